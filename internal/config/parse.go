package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// MaxSize bounds a config file; anything larger is rejected unread, so a
// wrong -c path (a log, a binary) cannot make parsing slow.
const MaxSize = 1 << 20

// DefaultPath is where supervise looks for its config without -c.
const DefaultPath = "/etc/supervise/services.conf"

// Options says what Parse consults besides the file itself.
type Options struct {
	LookupEnv  func(string) (string, bool) // ${VAR}; nil means os.LookupEnv
	Dir        string                      // base of relative paths; "" means the cwd
	PasswdFile string                      // "" means /etc/passwd
	GroupFile  string                      // "" means /etc/group
}

// Load reads and parses the file at path with supervise's own environment.
// When the file is invalid the error is an Errors listing every problem.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read config: %v", errors.Unwrap(err))}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read config: %v", err)}}
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse parses data as the config file named file (used in messages),
// expanding ${VAR} with lookupEnv (nil: no variables are set).
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	return ParseOptions(file, data, Options{LookupEnv: lookupEnv})
}

// ParseOptions is Parse with every outside input explicit, for tests and
// tools that resolve a config for another root.
func ParseOptions(file string, data []byte, opts Options) (*Config, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.PasswdFile == "" {
		opts.PasswdFile = "/etc/passwd"
	}
	if opts.GroupFile == "" {
		opts.GroupFile = "/etc/group"
	}
	p := &parser{file: file, opts: opts}
	if len(data) > MaxSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("file is larger than %d bytes; accepted: a services.conf of at most 1 MiB", MaxSize)}}
	}
	cfg := p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		if p.dropped > 0 {
			p.errs = append(p.errs, Error{File: file, Msg: fmt.Sprintf("%d more errors not shown", p.dropped)})
		}
		return nil, p.errs
	}
	return cfg, nil
}

type parser struct {
	file    string
	opts    Options
	errs    Errors
	dropped int     // errors beyond maxErrors, counted only
	db      *userDB // loaded on first use
}

// maxErrors bounds memory on hostile input; real files have a handful.
const maxErrors = 1000

func (p *parser) errorf(line int, format string, args ...any) {
	p.dropped++
	if len(p.errs) < maxErrors {
		p.dropped--
		p.errs = append(p.errs, Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

func (p *parser) users() *userDB {
	if p.db == nil {
		p.db = loadUserDB(p.opts.PasswdFile, p.opts.GroupFile)
	}
	return p.db
}

// abs makes a path absolute against Options.Dir or the cwd.
func (p *parser) abs(v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("empty path; accepted: an absolute path, or one relative to the current directory")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "", fmt.Errorf("path contains a NUL byte")
	}
	if filepath.IsAbs(v) {
		return filepath.Clean(v), nil
	}
	dir := p.opts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("relative path %q: %w", clip(v), err)
		}
		dir = wd
	}
	return filepath.Join(dir, v), nil
}

// value turns an entry's raw text into what the key's parser reads.
func (p *parser) value(e entry, kind valueKind) (string, bool) {
	v := e.raw
	if kind == plainValue {
		uq, err := unquote(v)
		if err != nil {
			p.errorf(e.line, "%s: %v", e.key, err)
			return "", false
		}
		v = uq
	}
	x, err := expand(v, p.opts.LookupEnv)
	if err != nil {
		p.errorf(e.line, "%s: %v", e.key, err)
		return "", false
	}
	return x, true
}

// applied is one parsed `key = value` of a [defaults] or [service] section.
type applied struct {
	key     string
	line    int
	svc     serviceSetter // process key
	log     logSetter     // log key
	logfile bool          // log key that [logfile] sections inherit
}

// svcState tracks, while a service is built, where each key was set.
type svcState struct {
	s   *Service
	sec *section
	own map[string]int // key -> line, keys written in the service's section
	set map[string]int // key -> line, including [defaults]

	validAfter []string // After without the targets reported as errors
}

func (p *parser) parse(data []byte) *Config {
	secs := p.lex(data)
	cfg := &Config{File: p.file, Supervise: defaultSupervise()}

	var sup, defs *section
	byName := map[string]*section{}
	var services, logfiles []*section
	for _, sec := range secs {
		switch sec.kind {
		case "supervise", "defaults":
			first := &sup
			if sec.kind == "defaults" {
				first = &defs
			}
			if *first != nil {
				p.errorf(sec.line, "[%s] appears twice (first at line %d); accepted: one [%s] section", sec.kind, (*first).line, sec.kind)
				continue
			}
			*first = sec
		default:
			if prev, ok := byName[sec.name]; ok {
				p.errorf(sec.line, "name %q is already used by [%s %s] at line %d; accepted: names unique across services and logfiles", sec.name, prev.kind, prev.name, prev.line)
				continue
			}
			byName[sec.name] = sec
			if sec.kind == "service" {
				services = append(services, sec)
			} else {
				logfiles = append(logfiles, sec)
			}
		}
	}

	if sup != nil {
		p.supervise(sup, &cfg.Supervise)
	}
	var defaults []applied
	if defs != nil {
		defaults = p.serviceEntries(defs)
	}
	var states []*svcState
	for _, sec := range services {
		st := p.service(sec, defaults, &cfg.Supervise)
		states = append(states, st)
		cfg.Services = append(cfg.Services, st.s)
	}
	for _, sec := range logfiles {
		cfg.Logfiles = append(cfg.Logfiles, p.logfile(sec, defaults))
	}
	p.crossCheck(cfg, states)
	return cfg
}

func defaultSupervise() Supervise {
	return Supervise{
		Control:         "/run/supervise.sock",
		ControlGID:      -1,
		LogDir:          "/var/log/supervise",
		ShutdownTimeout: 30 * time.Second,
		DiskMinFree:     Amount{Percent: 5, IsPercent: true},
		DiskWarn:        Amount{Percent: 80, IsPercent: true},
	}
}

func defaultLogPolicy() LogPolicy {
	return LogPolicy{
		Mode:             LogFile,
		RotateSize:       100 << 20,
		RotateEvery:      PeriodDaily,
		Keep:             7,
		Compress:         CompressGzip,
		FileMode:         0o644,
		ProgressInterval: 10 * time.Second,
		MaxLine:          64 << 10,
	}
}

func defaultService(name string, line int) *Service {
	return &Service{
		Name:         name,
		Line:         line,
		Restart:      RestartOnFailure,
		StartSecs:    time.Second,
		Backoff:      time.Second,
		BackoffMax:   60 * time.Second,
		StopSignal:   syscall.SIGTERM,
		StopTimeout:  10 * time.Second,
		ReloadSignal: syscall.SIGHUP,
		Autostart:    true,
		Log:          defaultLogPolicy(),
	}
}

// once reports a key repeated within one section; env is the only key that
// may repeat.
func (p *parser) once(seen map[string]int, e entry, repeat bool) bool {
	if first, ok := seen[e.key]; ok && !repeat {
		p.errorf(e.line, "%s is already set at line %d; accepted: each key once per section (only env repeats)", e.key, first)
		return false
	}
	if _, ok := seen[e.key]; !ok {
		seen[e.key] = e.line
	}
	return true
}

func (p *parser) supervise(sec *section, s *Supervise) {
	seen := map[string]int{}
	for _, e := range sec.entries {
		k, ok := supervisorKeys[e.key]
		if !ok {
			p.unknownKey(e, sec)
			continue
		}
		if !p.once(seen, e, false) {
			continue
		}
		v, ok := p.value(e, k.kind)
		if !ok {
			continue
		}
		if err := k.parse(ctx{p: p, sec: sec}, v, s); err != nil {
			p.errorf(e.line, "%s: %v", e.key, err)
		}
	}
}

// serviceEntries parses the keys of a [defaults] or [service] section.
func (p *parser) serviceEntries(sec *section) []applied {
	var out []applied
	seen := map[string]int{}
	envKeys := map[string]int{}
	for _, e := range sec.entries {
		sk, isSvc := serviceKeys[e.key]
		lk, isLog := logKeys[e.key]
		if !isSvc && !isLog {
			p.unknownKey(e, sec)
			continue
		}
		if !p.once(seen, e, sk.repeat) {
			continue
		}
		kind := sk.kind
		if isLog {
			kind = lk.kind
		}
		v, ok := p.value(e, kind)
		if !ok {
			continue
		}
		c := ctx{p: p, sec: sec}
		if isLog {
			set, err := lk.parse(c, v)
			if err != nil {
				p.errorf(e.line, "%s: %v", e.key, err)
				continue
			}
			out = append(out, applied{key: e.key, line: e.line, log: set, logfile: lk.inLogfile})
			continue
		}
		set, err := sk.parse(c, v)
		if err != nil {
			p.errorf(e.line, "%s: %v", e.key, err)
			continue
		}
		if e.key == "env" {
			name, _, _ := strings.Cut(v, "=")
			if first, dup := envKeys[name]; dup {
				p.errorf(e.line, "env: %s is already set at line %d; accepted: each variable once per section", name, first)
				continue
			}
			envKeys[name] = e.line
		}
		out = append(out, applied{key: e.key, line: e.line, svc: set})
	}
	return out
}

func (p *parser) service(sec *section, defaults []applied, sup *Supervise) *svcState {
	st := &svcState{s: defaultService(sec.name, sec.line), sec: sec, own: map[string]int{}, set: map[string]int{}}
	apply := func(a applied) {
		st.set[a.key] = a.line
		if a.svc != nil {
			a.svc(st.s)
		} else {
			a.log(&st.s.Log)
		}
	}
	for _, a := range defaults {
		apply(a)
	}
	for _, a := range p.serviceEntries(sec) {
		st.own[a.key] = a.line
		apply(a)
	}
	s := st.s
	s.Env = dedupeEnv(s.Env)
	if _, own := st.own["after"]; !own && slices.Contains(s.After, s.Name) {
		// `after = setup` in [defaults] means "everything waits for setup",
		// not that setup waits for itself.
		s.After = slices.DeleteFunc(slices.Clone(s.After), func(n string) bool { return n == s.Name })
	}
	if s.Log.Mode == LogFile && s.Log.Path == "" {
		s.Log.Path = filepath.Join(sup.LogDir, s.Name+".log")
	}
	p.checkService(st)
	return st
}

// dedupeEnv keeps the last value of each variable, so a service's env
// overrides the same variable from [defaults].
func dedupeEnv(env []string) []string {
	if len(env) < 2 {
		return env
	}
	last := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	out := make([]string, 0, len(last))
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}

// line returns where key was set for the service, else its header line.
func (st *svcState) line(key string) int {
	if l, ok := st.set[key]; ok {
		return l
	}
	return st.sec.line
}

// restartKeys configure restarts, meaningless for cron jobs and oneshots.
var restartKeys = []string{"restart", "start_secs", "backoff", "backoff_max", "max_restarts"}

func (p *parser) checkService(st *svcState) {
	s := st.s
	if s.Command == nil {
		if !slices.ContainsFunc(st.sec.entries, func(e entry) bool { return e.key == "command" }) { // a bad command was reported already
			p.errorf(st.sec.line, "[service %s] has no command; accepted: command = PROGRAM [ARGS...]", s.Name)
		}
	}
	if s.BackoffMax < s.Backoff {
		p.errorf(st.line("backoff_max"), "backoff_max (%s) is shorter than backoff (%s); accepted: backoff_max >= backoff", s.BackoffMax, s.Backoff)
	}
	conflict := func(a, b, why string) {
		l := max(st.line(a), st.line(b))
		p.errorf(l, "[service %s]: %s and %s conflict: %s", s.Name, a, b, why)
	}
	if s.Schedule != nil && s.Oneshot {
		conflict("schedule", "oneshot", "a cron job already runs to completion at each tick; accepted: one of them")
	}
	if s.Schedule != nil && s.Main {
		conflict("schedule", "main", "supervise would shut down after the first tick; accepted: one of them")
	}
	if s.Oneshot && s.Main {
		conflict("oneshot", "main", "for a main service that runs once, write main = true with restart = never; accepted: one of them")
	}
	// Restart keys would do nothing on a job that is never restarted; they
	// are errors when written in its own section (not from [defaults]).
	for _, key := range restartKeys {
		l, ok := st.own[key]
		switch {
		case !ok:
		case s.Schedule != nil:
			p.errorf(l, "%s: [service %s] is a cron job (schedule), which is never restarted; accepted: remove %s", key, s.Name, key)
		case s.Oneshot:
			p.errorf(l, "%s: [service %s] is a oneshot, which is never restarted (a failure is fatal); accepted: remove %s", key, s.Name, key)
		}
	}
	if s.TTY && s.Log.StderrSeparate {
		conflict("tty", "stderr", "a pseudo-terminal merges stdout and stderr; accepted: stderr = merge with tty = true")
	}
}

func (p *parser) logfile(sec *section, defaults []applied) *Logfile {
	l := &Logfile{Name: sec.name, Line: sec.line, Signal: syscall.SIGHUP, CheckEvery: time.Minute, Log: defaultLogPolicy()}
	l.Log.Mode = LogFile
	for _, a := range defaults {
		if a.logfile {
			a.log(&l.Log)
		}
	}
	seen := map[string]int{}
	for _, e := range sec.entries {
		fk, isOwn := logfileKeys[e.key]
		lk, isLog := logKeys[e.key]
		if !isOwn && !(isLog && lk.inLogfile) {
			p.unknownKey(e, sec)
			continue
		}
		if !p.once(seen, e, false) {
			continue
		}
		kind := fk.kind
		if isLog {
			kind = lk.kind
		}
		v, ok := p.value(e, kind)
		if !ok {
			continue
		}
		c := ctx{p: p, sec: sec}
		if isOwn {
			if err := fk.parse(c, v, l); err != nil {
				p.errorf(e.line, "%s: %v", e.key, err)
			}
			continue
		}
		set, err := lk.parse(c, v)
		if err != nil {
			p.errorf(e.line, "%s: %v", e.key, err)
			continue
		}
		set(&l.Log)
	}
	if _, ok := seen["path"]; !ok {
		p.errorf(sec.line, "[logfile %s] has no path; accepted: path = FILE or GLOB", sec.name)
	}
	if l.Method == MethodCopyTruncate && l.Service != "" {
		p.errorf(seen["service"], "service: [logfile %s] uses method = copytruncate, which never signals a service; accepted: remove service, or method = rename", sec.name)
	}
	return l
}

// keyOwners names the sections where a key is valid, for "belongs in" hints.
func keyOwners(key string) []string {
	var out []string
	if _, ok := supervisorKeys[key]; ok {
		out = append(out, "[supervise]")
	}
	_, sk := serviceKeys[key]
	lk, lok := logKeys[key]
	if sk || lok {
		out = append(out, "[service NAME]", "[defaults]")
	}
	if _, ok := logfileKeys[key]; ok || (lok && lk.inLogfile) {
		out = append(out, "[logfile NAME]")
	}
	return out
}

// validKeys lists the keys accepted in a section of this kind.
func validKeys(kind string) []string {
	var out []string
	switch kind {
	case "supervise":
		for k := range supervisorKeys {
			out = append(out, k)
		}
	case "service", "defaults":
		for k := range serviceKeys {
			out = append(out, k)
		}
		for k := range logKeys {
			out = append(out, k)
		}
	case "logfile":
		for k := range logfileKeys {
			out = append(out, k)
		}
		for k, lk := range logKeys {
			if lk.inLogfile {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

func sectionTitle(sec *section) string {
	if sec.name == "" {
		return "[" + sec.kind + "]"
	}
	return "[" + sec.kind + " " + sec.name + "]"
}

func (p *parser) unknownKey(e entry, sec *section) {
	if len(p.errs) >= maxErrors {
		p.dropped++ // not worth the suggestion work
		return
	}
	valid := validKeys(sec.kind)
	if owners := keyOwners(e.key); len(owners) > 0 {
		why := ""
		if sec.kind == "logfile" {
			switch e.key {
			case "log":
				why = " (a [logfile] names its file with path)"
			case "stderr", "console":
				why = " (a [logfile] is written by its program, not captured)"
			case "timestamps", "progress", "progress_interval", "strip_ansi", "max_line":
				why = " (it shapes captured output; a [logfile] is written by its program)"
			}
		}
		p.errorf(e.line, "key %s is not valid in %s%s; accepted: move it to %s", e.key, sectionTitle(sec), why, strings.Join(owners, " or "))
		return
	}
	if s := suggest(e.key, valid); s != "" {
		p.errorf(e.line, "unknown key %q in %s; %s", clip(e.key), sectionTitle(sec), s)
		return
	}
	p.errorf(e.line, "unknown key %q in %s; accepted: %s", clip(e.key), sectionTitle(sec), strings.Join(valid, ", "))
}
