package config

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/supervise/supervise/internal/cron"
	"github.com/supervise/supervise/pkg/signals"
)

// valueKind says how a raw value becomes the text a key parser sees.
type valueKind int

const (
	plainValue valueKind = iota // unquote "...", then expand ${VAR}
	argvValue                   // expand ${VAR}, then split with shell quoting
)

// ctx is what a key parser may need besides the value.
type ctx struct {
	p   *parser
	sec *section
}

// Setters may run for many services (from [defaults]); each gets its own
// copy of slices and pointers, so no two services share mutable state.
type (
	serviceSetter func(*Service)
	logSetter     func(*LogPolicy)
)

func cloneUser(u *User) *User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	return &c
}

type serviceKey struct {
	kind   valueKind
	repeat bool // may appear more than once (env)
	parse  func(c ctx, v string) (serviceSetter, error)
}

type logKey struct {
	kind      valueKind
	inLogfile bool // also valid in [logfile]
	parse     func(c ctx, v string) (logSetter, error)
}

type supervisorKey struct {
	kind  valueKind
	parse func(c ctx, v string, s *Supervise) error
}

type logfileKey struct {
	kind  valueKind
	parse func(c ctx, v string, l *Logfile) error
}

func durationKey(set func(*Service, time.Duration)) serviceKey {
	return serviceKey{parse: func(c ctx, v string) (serviceSetter, error) {
		d, err := parseDuration(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { set(s, d) }, nil
	}}
}

func boolKey(set func(*Service, bool)) serviceKey {
	return serviceKey{parse: func(c ctx, v string) (serviceSetter, error) {
		b, err := parseBool(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { set(s, b) }, nil
	}}
}

func signalKey(set func(*Service, syscall.Signal)) serviceKey {
	return serviceKey{parse: func(c ctx, v string) (serviceSetter, error) {
		sig, err := signals.Parse(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { set(s, sig) }, nil
	}}
}

var serviceKeys = map[string]serviceKey{
	"command": {kind: argvValue, parse: func(c ctx, v string) (serviceSetter, error) {
		argv, err := splitCommand(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.Command = slices.Clone(argv) }, nil
	}},
	"directory": {parse: func(c ctx, v string) (serviceSetter, error) {
		dir, err := c.p.abs(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.Directory = dir }, nil
	}},
	"user": {parse: func(c ctx, v string) (serviceSetter, error) {
		u, err := c.p.users().lookupUser(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.User = cloneUser(u) }, nil
	}},
	"env": {repeat: true, parse: func(c ctx, v string) (serviceSetter, error) {
		kv, err := parseEnv(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.Env = append(slices.Clip(s.Env), kv) }, nil
	}},
	"env_file": {parse: func(c ctx, v string) (serviceSetter, error) {
		f, err := c.p.abs(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.EnvFile = f }, nil
	}},
	"gpus": {parse: func(c ctx, v string) (serviceSetter, error) {
		g, err := parseGPUs(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.GPUs = g }, nil
	}},
	"tty": boolKey(func(s *Service, b bool) { s.TTY = b }),
	"restart": {parse: func(c ctx, v string) (serviceSetter, error) {
		var r Restart
		switch v {
		case "always":
			r = RestartAlways
		case "on-failure":
			r = RestartOnFailure
		case "never":
			r = RestartNever
		default:
			return nil, fmt.Errorf("%q is not a restart policy; %s", clip(v), acceptedChoice(v, []string{"always", "on-failure", "never"}))
		}
		return func(s *Service) { s.Restart = r }, nil
	}},
	"start_secs":  durationKey(func(s *Service, d time.Duration) { s.StartSecs = d }),
	"backoff":     durationKey(func(s *Service, d time.Duration) { s.Backoff = d }),
	"backoff_max": durationKey(func(s *Service, d time.Duration) { s.BackoffMax = d }),
	"max_restarts": {parse: func(c ctx, v string) (serviceSetter, error) {
		n, err := parseCount(v, 0, 1<<31-1)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.MaxRestarts = n }, nil
	}},
	"stop_signal":   signalKey(func(s *Service, sig syscall.Signal) { s.StopSignal = sig }),
	"stop_timeout":  durationKey(func(s *Service, d time.Duration) { s.StopTimeout = d }),
	"reload_signal": signalKey(func(s *Service, sig syscall.Signal) { s.ReloadSignal = sig }),
	"after": {parse: func(c ctx, v string) (serviceSetter, error) {
		names, err := parseNameList(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { s.After = slices.Clone(names) }, nil
	}},
	"oneshot": boolKey(func(s *Service, b bool) { s.Oneshot = b }),
	"schedule": {parse: func(c ctx, v string) (serviceSetter, error) {
		sch, err := cron.Parse(v)
		if err != nil {
			return nil, err
		}
		return func(s *Service) { c := *sch; s.Schedule = &c }, nil
	}},
	"main":      boolKey(func(s *Service, b bool) { s.Main = b }),
	"autostart": boolKey(func(s *Service, b bool) { s.Autostart = b }),
}

func logBool(set func(*LogPolicy, bool)) logKey {
	return logKey{inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		b, err := parseBool(v)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { set(l, b) }, nil
	}}
}

func logSize(min int64, set func(*LogPolicy, int64)) logKey {
	return logKey{inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		n, err := parseSize(v)
		if err != nil {
			return nil, err
		}
		if n != 0 && n < min {
			return nil, fmt.Errorf("%q is too small; accepted: 0 or at least %d bytes", clip(v), min)
		}
		return func(l *LogPolicy) { set(l, n) }, nil
	}}
}

func logDuration(set func(*LogPolicy, time.Duration)) logKey {
	return logKey{inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		d, err := parseDuration(v)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { set(l, d) }, nil
	}}
}

func logChoice(accepted []string, set func(*LogPolicy, int)) logKey {
	return logKey{inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		i := slices.Index(accepted, v)
		if i < 0 {
			return nil, choiceError(v, accepted)
		}
		return func(l *LogPolicy) { set(l, i) }, nil
	}}
}

// minRotateSize keeps rotate_size from rotating on every line.
const minRotateSize = 4096

var logKeys = map[string]logKey{
	"log": {parse: func(c ctx, v string) (logSetter, error) {
		switch v {
		case "off":
			return func(l *LogPolicy) { l.Mode, l.Path = LogOff, "" }, nil
		case "console":
			return func(l *LogPolicy) { l.Mode, l.Path = LogConsole, "" }, nil
		case "":
			return nil, fmt.Errorf("empty value; accepted: off, console, or a file path")
		}
		if c.sec.kind == "defaults" {
			return nil, fmt.Errorf("a file path in [defaults] would send every service to the same file; accepted in [defaults]: off, console (the default path is {log_dir}/NAME.log)")
		}
		path, err := c.p.abs(v)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { l.Mode, l.Path = LogFile, path }, nil
	}},
	"stderr": {parse: func(c ctx, v string) (logSetter, error) {
		switch v {
		case "merge":
			return func(l *LogPolicy) { l.StderrSeparate = false }, nil
		case "separate":
			return func(l *LogPolicy) { l.StderrSeparate = true }, nil
		}
		return nil, choiceError(v, []string{"merge", "separate"})
	}},
	"console":     {parse: logBool(func(l *LogPolicy, b bool) { l.Console = b }).parse},
	"rotate_size": logSize(minRotateSize, func(l *LogPolicy, n int64) { l.RotateSize = n }),
	"rotate_every": logChoice([]string{"never", "hourly", "daily", "weekly"},
		func(l *LogPolicy, i int) { l.RotateEvery = Period(i) }),
	"keep": {inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		n, err := parseCount(v, 0, 100000)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { l.Keep = n }, nil
	}},
	"max_age":   logDuration(func(l *LogPolicy, d time.Duration) { l.MaxAge = d }),
	"max_total": logSize(0, func(l *LogPolicy, n int64) { l.MaxTotal = n }),
	"compress": logChoice([]string{"none", "gzip", "zstd"},
		func(l *LogPolicy, i int) { l.Compress = Compression(i) }),
	"delay_compress": logBool(func(l *LogPolicy, b bool) { l.DelayCompress = b }),
	"if_empty":       logBool(func(l *LogPolicy, b bool) { l.IfEmpty = b }),
	"dateext":        logBool(func(l *LogPolicy, b bool) { l.DateExt = b }),
	"file_mode": {inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		m, err := parseFileMode(v)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { l.FileMode = m }, nil
	}},
	"file_owner": {inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		o, err := c.p.users().lookupOwner(v)
		if err != nil {
			return nil, err
		}
		return func(l *LogPolicy) { c := *o; l.FileOwner = &c }, nil
	}},
	"timestamps": logChoice([]string{"none", "rfc3339", "unix"},
		func(l *LogPolicy, i int) { l.Timestamps = Timestamps(i) }),
	"progress": logChoice([]string{"keep", "collapse"},
		func(l *LogPolicy, i int) { l.CollapseProgress = i == 1 }),
	"progress_interval": {inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		d, err := parseDuration(v)
		if err != nil {
			return nil, err
		}
		if d <= 0 {
			return nil, fmt.Errorf("%q is not positive; accepted: %s", clip(v), acceptDuration)
		}
		return func(l *LogPolicy) { l.ProgressInterval = d }, nil
	}},
	"strip_ansi": logBool(func(l *LogPolicy, b bool) { l.StripANSI = b }),
	"max_line": {inLogfile: true, parse: func(c ctx, v string) (logSetter, error) {
		n, err := parseSize(v)
		if err != nil {
			return nil, err
		}
		if n < minMaxLine || n > maxMaxLine {
			return nil, fmt.Errorf("%q is out of range; accepted: a size from %d to %d bytes (16M)", clip(v), minMaxLine, maxMaxLine)
		}
		return func(l *LogPolicy) { l.MaxLine = int(n) }, nil
	}},
}

const (
	minMaxLine = 64
	maxMaxLine = 16 << 20
)

var supervisorKeys = map[string]supervisorKey{
	"control": {parse: func(c ctx, v string, s *Supervise) error {
		p, err := c.p.abs(v)
		s.Control = p
		return err
	}},
	"control_group": {parse: func(c ctx, v string, s *Supervise) error {
		gid, err := c.p.users().lookupGroup(v)
		if err != nil {
			return err
		}
		s.ControlGroup, s.ControlGID = v, int(gid)
		return nil
	}},
	"log_dir": {parse: func(c ctx, v string, s *Supervise) error {
		p, err := c.p.abs(v)
		s.LogDir = p
		return err
	}},
	"shutdown_timeout": {parse: func(c ctx, v string, s *Supervise) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("%q is not positive; accepted: %s", clip(v), acceptDuration)
		}
		s.ShutdownTimeout = d
		return nil
	}},
	"disk_min_free": {parse: func(c ctx, v string, s *Supervise) error {
		a, err := parseAmount(v)
		s.DiskMinFree = a
		return err
	}},
	"disk_warn": {parse: func(c ctx, v string, s *Supervise) error {
		a, err := parseAmount(v)
		if err == nil && (!a.IsPercent || a.Percent == 0) {
			err = fmt.Errorf("%q is not a usage percentage; accepted: a percentage above 0%% and up to 100%%, such as 80%%", clip(v))
		}
		s.DiskWarn = a
		return err
	}},
	"event_command": {kind: argvValue, parse: func(c ctx, v string, s *Supervise) error {
		argv, err := splitCommand(v)
		s.EventCommand = argv
		return err
	}},
	"metrics": {parse: func(c ctx, v string, s *Supervise) error {
		addr, err := parseListen(v)
		s.Metrics = addr
		return err
	}},
}

var logfileKeys = map[string]logfileKey{
	"path": {parse: func(c ctx, v string, l *Logfile) error {
		if v == "" {
			return fmt.Errorf("empty path; accepted: a file path or a glob such as /home/*/.jupyter/*.log")
		}
		p, err := c.p.abs(v)
		if err != nil {
			return err
		}
		if _, err := filepath.Match(p, ""); err != nil {
			return fmt.Errorf("%q is not a valid glob: %v; accepted: a file path or a glob with * ? [...]", clip(v), err)
		}
		l.Path = p
		return nil
	}},
	"method": {parse: func(c ctx, v string, l *Logfile) error {
		switch v {
		case "rename":
			l.Method = MethodRename
		case "copytruncate":
			l.Method = MethodCopyTruncate
		default:
			return fmt.Errorf("%q is not a rotation method; %s", clip(v), acceptedChoice(v, []string{"rename", "copytruncate"}))
		}
		return nil
	}},
	"service": {parse: func(c ctx, v string, l *Logfile) error {
		if !nameRE.MatchString(v) {
			return fmt.Errorf("%q is not a service name; accepted: the NAME of a [service NAME]", clip(v))
		}
		l.Service = v
		return nil
	}},
	"signal": {parse: func(c ctx, v string, l *Logfile) error {
		sig, err := signals.Parse(v)
		l.Signal = sig
		return err
	}},
	"check_every": {parse: func(c ctx, v string, l *Logfile) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		if d < time.Second {
			return fmt.Errorf("%q is too short; accepted: a duration of at least 1s", clip(v))
		}
		l.CheckEvery = d
		return nil
	}},
}

// parseEnv checks one `env` value: KEY=VALUE, with the value optionally in
// "..." or '...' quotes that are removed.
func parseEnv(v string) (string, error) {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !varNameRE.MatchString(k) {
		return "", fmt.Errorf("%q is not KEY=VALUE; accepted: one variable per env line, KEY of letters, digits, _ (not starting with a digit)", clip(v))
	}
	if len(val) >= 2 && val[0] == '\'' && val[len(val)-1] == '\'' {
		val = val[1 : len(val)-1]
	} else if len(val) >= 2 && val[0] == '"' {
		uq, err := unquote(val)
		if err != nil {
			return "", err
		}
		val = uq
	}
	if strings.IndexByte(val, 0) >= 0 {
		return "", fmt.Errorf("value of %s contains a NUL byte", k)
	}
	return k + "=" + val, nil
}

// parseGPUs normalizes all, none, or a list of device indexes.
func parseGPUs(v string) (string, error) {
	const accepted = "accepted: all, none, or a list of GPU indexes such as 0,1"
	switch v {
	case "all", "none":
		return v, nil
	case "":
		return "", fmt.Errorf("empty value; %s", accepted)
	}
	var out []string
	seen := map[int]bool{}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 1<<16 {
			return "", fmt.Errorf("%q is not a GPU index; %s", clip(f), accepted)
		}
		if seen[n] {
			return "", fmt.Errorf("GPU %d is listed twice; %s", n, accepted)
		}
		seen[n] = true
		out = append(out, strconv.Itoa(n))
	}
	return strings.Join(out, ","), nil
}

// parseNameList reads `after`: a comma list of service names.
func parseNameList(v string) ([]string, error) {
	var out []string
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if !nameRE.MatchString(f) {
			return nil, fmt.Errorf("%q is not a service name; accepted: a comma list of service names such as db, setup", clip(f))
		}
		if slices.Contains(out, f) {
			return nil, fmt.Errorf("%q is listed twice; accepted: a comma list of distinct service names", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// captureKeys shape captured output; a [logfile] is written by its own
// program, so they would do nothing there and are rejected.
var captureKeys = []string{"timestamps", "progress", "progress_interval", "strip_ansi", "max_line"}

func init() {
	for _, k := range captureKeys {
		lk := logKeys[k]
		lk.inLogfile = false
		logKeys[k] = lk
	}
}

// parseListen reads `metrics`: HOST:PORT, :PORT or PORT; without a host it
// listens on loopback only.
func parseListen(v string) (string, error) {
	const accepted = "accepted: HOST:PORT such as 127.0.0.1:9100 or 0.0.0.0:9100, or :PORT for loopback"
	if !strings.Contains(v, ":") {
		v = ":" + v
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("%q is not an address; %s", clip(v), accepted)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535; %s", clip(port), accepted)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func choiceError(v string, accepted []string) error {
	return fmt.Errorf("%q is not accepted; %s", clip(v), acceptedChoice(v, accepted))
}

// acceptedChoice lists the accepted words, after a "did you mean" for a
// near miss ("alway", "Gzip").
func acceptedChoice(v string, accepted []string) string {
	msg := "accepted: " + strings.Join(accepted, ", ")
	if s := suggest(v, accepted); s != "" {
		return s + " " + msg
	}
	return msg
}
