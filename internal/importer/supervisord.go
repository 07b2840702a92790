package importer

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/signals"
)

// Supervisord converts supervisord configuration files (read together, as
// supervisord reads its main file and its [include]s) into a services.conf.
// It fails only when a file cannot be read.
func Supervisord(files []string) (*Conf, error) {
	ini := newINI()
	seen := map[string]bool{}
	for _, f := range files {
		if err := readSupervisordFile(ini, f, seen, 0); err != nil {
			return nil, err
		}
	}
	c := newConf()
	c.Header = []string{
		"Converted by `supervise import supervisord` from " + strings.Join(files, " ") + ".",
		"Review every \"# not converted:\" line. supervise stops and kills each service's",
		"whole process group, as supervisord's stopasgroup/killasgroup = true.",
	}
	for _, p := range ini.problems {
		c.Header = append(c.Header, "not converted: "+p+" (configparser rejects this line)")
	}
	sv := &svConverter{c: c, ini: ini}
	sv.convert()
	return c, nil
}

// readSupervisordFile parses file and, recursively, its [include] files=
// globs, which are relative to the including file's directory.
func readSupervisordFile(ini *iniFile, file string, seen map[string]bool, depth int) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return fmt.Errorf("supervisord %s: %w", file, err)
	}
	if seen[abs] || depth > 10 {
		return nil
	}
	seen[abs] = true
	data, err := readInput(file)
	if err != nil {
		return fmt.Errorf("supervisord: %w", err)
	}
	sub := newINI()
	sub.parse(file, data)
	ini.merge(sub)
	inc, ok := sub.byName["include"]
	if !ok {
		return nil
	}
	filesVal, ok := inc.get("files")
	if !ok {
		ini.problems = append(ini.problems, fmt.Sprintf("%s:%d: [include] has no files=", file, inc.line))
		return nil
	}
	here := absDir(file)
	expanded, err := pyFormat(filesVal, map[string]string{"here": here, "host_node_name": envRef("HOSTNAME")})
	if err != nil {
		ini.problems = append(ini.problems, fmt.Sprintf("%s:%d: [include] files: %v", file, inc.line, err))
		return nil
	}
	for _, pat := range strings.Fields(expanded) {
		if strings.ContainsRune(pat, refOpen) {
			ini.problems = append(ini.problems, fmt.Sprintf("%s:%d: [include] %s depends on the environment", file, inc.line, renderRefs(pat)))
			continue
		}
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(here, pat)
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			ini.problems = append(ini.problems, fmt.Sprintf("%s:%d: [include] %s: %v", file, inc.line, pat, err))
			continue
		}
		sort.Strings(matches)
		for _, m := range matches {
			if err := readSupervisordFile(ini, m, seen, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// merge adds the sections of o, later keys winning, as configparser does
// when one parser reads several files.
func (f *iniFile) merge(o *iniFile) {
	f.problems = append(f.problems, o.problems...)
	for _, s := range o.sections {
		if s.name == "include" {
			continue
		}
		cur := f.byName[s.name]
		if cur == nil {
			f.byName[s.name] = s
			f.sections = append(f.sections, s)
			continue
		}
		cur.file = s.file
		for _, k := range s.ord {
			if _, ok := cur.keys[k]; !ok {
				cur.ord = append(cur.ord, k)
			}
			cur.keys[k] = s.keys[k]
		}
	}
}

// maxNumprocs bounds the services one [program] expands to.
const maxNumprocs = 1000

type svConverter struct {
	c        *Conf
	ini      *iniFile
	globEnv  []envPair
	groups   map[string]svGroup // program name -> its [group:x]
	services []*svService
}

type svGroup struct {
	name     string
	priority int
}

// svService is one process of a [program:x], with what ordering needs.
type svService struct {
	sec       *Section
	groupPrio int
	prio      int
	eligible  bool // can be waited for by `after`: autostart and not disabled
}

func (sv *svConverter) convert() {
	sv.groups = map[string]svGroup{}
	def := sv.c.Defaults
	def.Comment("supervisord's log defaults: rotated by size only, at 50MB, 10 backups, uncompressed")
	def.Set("rotate_every", "never")
	def.Set("rotate_size", "50M")
	def.Set("keep", "10")
	def.Set("compress", "none")
	if s, ok := sv.ini.byName["supervisord"]; ok {
		sv.supervisord(s)
	}
	for _, s := range sv.ini.sections {
		if name, ok := strings.CutPrefix(s.name, "group:"); ok {
			sv.group(s, name)
		}
	}
	for _, s := range sv.ini.sections {
		switch {
		case s.name == "supervisord" || strings.HasPrefix(s.name, "group:"):
		case strings.HasPrefix(s.name, "program:"):
			sv.program(s, strings.TrimPrefix(s.name, "program:"))
		case s.name == "unix_http_server":
			sv.unixHTTPServer(s)
		case s.name == "inet_http_server":
			sv.c.Supervise.Note("[inet_http_server] %s: supervise has no TCP control interface; use `supervise ctl` on the unix socket (or `metrics` for monitoring)", keysOf(s))
		case s.name == "supervisorctl":
			sv.c.Supervise.Comment("[supervisorctl] is not needed: `supervise ctl` finds the socket from -c or SUPERVISE_SOCKET")
		case strings.HasPrefix(s.name, "rpcinterface:"):
			sv.c.Supervise.Comment("[%s] is not needed: the control socket is built in", s.name)
		case strings.HasPrefix(s.name, "eventlistener:"):
			cmd, _ := s.get("command")
			ev, _ := s.get("events")
			sv.c.Supervise.Note("[%s] command = %s, events = %s: supervise has no event listener protocol; run a script on each event with event_command (docs/alerts.md)", s.name, cmd, ev)
		case strings.HasPrefix(s.name, "fcgi-program:"):
			sv.c.Supervise.Note("[%s]: supervise does not own sockets for FastCGI programs; run the program with its own listener (php-fpm, gunicorn --bind)", s.name)
		case s.name == "ctlplugin" || strings.HasPrefix(s.name, "ctlplugin:"):
			sv.c.Supervise.Note("[%s]: supervisorctl plugins have no equivalent", s.name)
		default:
			sv.c.Supervise.Note("[%s]: unknown supervisord section", s.name)
		}
	}
	sv.splitSharedLogs()
	sv.order()
}

// splitSharedLogs gives each process its own file where several write the
// same one (numprocs with a fixed stdout_logfile): supervisord lets their
// lines interleave in one file, supervise refuses two writers.
func (sv *svConverter) splitSharedLogs() {
	byPath := map[string][]*Section{}
	var order []string
	for _, s := range sv.services {
		p, ok := s.sec.Get("log")
		if !ok || p == "off" || p == "console" {
			continue
		}
		if byPath[p] == nil {
			order = append(order, p)
		}
		byPath[p] = append(byPath[p], s.sec)
	}
	for _, p := range order {
		secs := byPath[p]
		if len(secs) < 2 {
			continue
		}
		for _, sec := range secs {
			np := filepath.Join(filepath.Dir(p), sec.Name+".log")
			sec.Replace("log", np)
			sec.Note("log %s is shared by %d processes: supervise gives each its own file, %s", p, len(secs), np)
		}
	}
}

func keysOf(s *iniSection) string {
	var parts []string
	for _, k := range s.ord {
		v := s.keys[k].value
		if k == "password" {
			v = "***"
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func (sv *svConverter) supervisord(s *iniSection) {
	here := absDir(s.file)
	vars := map[string]string{"here": here, "host_node_name": envRef("HOSTNAME")}
	sup, def := sv.c.Supervise, sv.c.Defaults
	for _, k := range s.ord {
		raw := s.keys[k].value
		v, err := pyFormat(raw, vars)
		if err != nil {
			sup.Note("[supervisord] %s: %v", k, err)
			continue
		}
		switch k {
		case "childlogdir":
			sup.Set("log_dir", value(v))
		case "nodaemon":
			if b, err := pyBool(v); err == nil && b {
				sup.Comment("nodaemon = true: supervise always runs in the foreground")
			} else {
				sup.Note("nodaemon = %s: supervise never daemonizes; run it as the container's command", v)
			}
		case "logfile":
			sup.Note("logfile = %s: supervise writes its own events to stderr, one line each", v)
		case "logfile_maxbytes", "logfile_backups", "loglevel", "silent":
			sup.Note("%s = %s: supervise's own event lines go to stderr, unrotated and unfiltered", k, v)
		case "pidfile":
			sup.Note("pidfile = %s: supervise writes no pidfile; it is usually PID 1", v)
		case "minfds", "minprocs":
			sup.Note("%s = %s: set resource limits outside (docker run --ulimit, ulimit -n in the entrypoint)", k, v)
		case "umask":
			sup.Note("umask = %s: supervise does not set a umask; set it in the entrypoint before exec", v)
		case "user":
			sup.Note("user = %s: run supervise itself as that user (USER in the Dockerfile), or set user on each service", v)
		case "directory":
			sup.Note("directory = %s: supervise does not chdir; set directory on each service", v)
		case "identifier":
			sup.Comment("identifier = %s: not needed (no XML-RPC)", v)
		case "nocleanup":
			sup.Note("nocleanup = %s: supervise names service logs itself and never deletes live logs at start", v)
		case "strip_ansi":
			if b, err := pyBool(v); err == nil && b {
				def.Set("strip_ansi", "true")
			}
		case "environment":
			pairs, err := parseEnvironment(v)
			if err != nil {
				sup.Note("environment = %s: %v", raw, err)
				continue
			}
			sv.globEnv = pairs
			sup.Comment("[supervisord] environment is set on every service below")
		default:
			sup.Note("[supervisord] %s = %s: no equivalent", k, v)
		}
	}
}

func (sv *svConverter) group(s *iniSection, name string) {
	prio := 999
	if v, ok := s.get("priority"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			prio = n
		} else {
			sv.c.Supervise.Note("[group:%s] priority = %s is not a number", name, v)
		}
	}
	progs, _ := s.get("programs")
	var list []string
	for _, p := range strings.Split(progs, ",") {
		if p = strings.TrimSpace(p); p != "" {
			sv.groups[p] = svGroup{name: name, priority: prio}
			list = append(list, p)
		}
	}
	sv.c.Supervise.Comment("[group:%s] programs = %s: supervise has no groups; name several services instead (supervise ctl restart %s)",
		name, strings.Join(list, ","), strings.Join(list, " "))
	for _, k := range s.ord {
		if k != "programs" && k != "priority" {
			sv.c.Supervise.Note("[group:%s] %s: no equivalent", name, k)
		}
	}
}

func (sv *svConverter) unixHTTPServer(s *iniSection) {
	vars := map[string]string{"here": absDir(s.file), "host_node_name": envRef("HOSTNAME")}
	sup := sv.c.Supervise
	mode := ""
	group := ""
	for _, k := range s.ord {
		v, err := pyFormat(s.keys[k].value, vars)
		if err != nil {
			sup.Note("[unix_http_server] %s: %v", k, err)
			continue
		}
		switch k {
		case "file":
			sup.Set("control", value(v))
		case "chmod":
			mode = v
		case "chown":
			if _, g, ok := strings.Cut(v, ":"); ok {
				group = g
			}
		case "username", "password":
			sup.Note("[unix_http_server] %s: the control socket checks the peer's uid instead (root, supervise's uid, or control_group)", k)
		default:
			sup.Note("[unix_http_server] %s = %s: no equivalent", k, v)
		}
	}
	m, err := strconv.ParseUint(strings.TrimSpace(mode), 8, 32)
	if mode == "" || err != nil {
		m = 0o700
	}
	switch {
	case m&0o060 != 0 && group != "":
		sup.Set("control_group", value(group))
	case m&0o060 != 0:
		sup.Note("[unix_http_server] chmod = %s gives a group access: set control_group to that group", mode)
	case m&0o006 != 0:
		sup.Note("[unix_http_server] chmod = %s: supervise never opens the socket to everyone; use control_group", mode)
	}
}

// svProgram holds the keys of one [program:x] after per-process expansion.
type svProgram struct {
	name, file string
	keys       map[string]string
	ord        []string
}

func (sv *svConverter) program(s *iniSection, progName string) {
	here := absDir(s.file)
	group := progName
	groupPrio := -1
	if g, ok := sv.groups[progName]; ok {
		group = g.name
		groupPrio = g.priority
	}
	numprocs, start := 1, 0
	top := sv.c.Supervise
	if v, ok := s.get("numprocs"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		switch {
		case err != nil || n < 1:
			top.Note("[program:%s] numprocs = %s is not a positive number; converted one process", progName, v)
		case n > maxNumprocs:
			top.Note("[program:%s] numprocs = %d: converted the first %d processes only", progName, n, maxNumprocs)
			numprocs = maxNumprocs
		default:
			numprocs = n
		}
	}
	if v, ok := s.get("numprocs_start"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			top.Note("[program:%s] numprocs_start = %s is not a number; started at 0", progName, v)
		} else {
			start = n
		}
	}
	if _, ok := s.get("command"); !ok {
		top.Note("[program:%s] has no command; supervisord refuses it too", progName)
		return
	}
	pn, _ := s.get("process_name")
	if pn == "" {
		pn = "%(program_name)s"
	}
	for num := start; num < start+numprocs; num++ {
		vars := map[string]string{
			"here":           here,
			"program_name":   progName,
			"group_name":     group,
			"process_num":    strconv.Itoa(num),
			"numprocs":       strconv.Itoa(numprocs),
			"host_node_name": envRef("HOSTNAME"),
		}
		name, err := pyFormat(pn, vars)
		if err != nil {
			top.Note("[program:%s] process_name: %v", progName, err)
			name = progName
		}
		if numprocs > 1 && !strings.Contains(pn, "process_num") {
			name = fmt.Sprintf("%s_%d", name, num)
		}
		sv.process(s, progName, name, vars, groupPrio)
	}
	if numprocs > 1 && !strings.Contains(pn, "process_num") {
		top.Note("[program:%s] numprocs = %d without %%(process_num) in process_name (supervisord refuses it); the processes were numbered NAME_N", progName, numprocs)
	}
}

func (sv *svConverter) process(s *iniSection, progName, procName string, vars map[string]string, groupPrio int) {
	rawCmd, _ := s.get("command")
	cmd, err := pyFormat(rawCmd, vars)
	if err != nil {
		sv.c.Supervise.Note("[program:%s] command: %v; program skipped", progName, err)
		return
	}
	if strings.TrimSpace(cmd) == "" {
		sv.c.Supervise.Note("[program:%s] has an empty command; supervisord refuses it too", progName)
		return
	}
	if err := checkQuoting(cmd); err != nil {
		sv.c.Supervise.Note("[program:%s] command %s: %v; supervisord refuses it too", progName, renderRefs(cmd), err)
		return
	}
	sec := sv.c.NewSection("service", procName)
	if sec.Name != procName {
		sec.Comment("[program:%s] process %s: renamed %s (names are [A-Za-z0-9_.-]+ and unique)", progName, procName, sec.Name)
	}
	get := func(k string) (string, bool) {
		raw, ok := s.get(k)
		if !ok {
			return "", false
		}
		v, err := pyFormat(raw, vars)
		if err != nil {
			sec.Note("%s: %v", k, err)
			return "", false
		}
		return v, true
	}
	boolKey := func(k string, def bool) bool {
		v, ok := get(k)
		if !ok {
			return def
		}
		b, err := pyBool(v)
		if err != nil {
			sec.Note("%s: %v; supervisord's default %v kept", k, err, def)
			return def
		}
		return b
	}
	intKey := func(k string, def int) (int, bool) {
		v, ok := get(k)
		if !ok {
			return def, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			sec.Note("%s = %s is not a non-negative number; supervisord's default %d kept", k, v, def)
			return def, false
		}
		return n, true
	}

	cmd = strings.Join(strings.Fields(strings.ReplaceAll(cmd, "\n", " ")), " ")
	sec.Set("command", commandValue(cmd))

	if v, ok := get("directory"); ok {
		sec.Set("directory", value(v))
	}
	if v, ok := get("user"); ok {
		sec.Set("user", value(v))
	}
	env := append([]envPair(nil), sv.globEnv...)
	if v, ok := get("environment"); ok {
		pairs, err := parseEnvironment(v)
		if err != nil {
			sec.Note("environment = %s: %v", renderRefs(v), err)
		}
		env = append(env, pairs...)
	}
	for _, p := range env {
		if !validEnvKey(p.Key) {
			sec.Note("environment %s=%s: %q is not a variable name supervise accepts (letters, digits, _)", p.Key, p.Value, p.Key)
			continue
		}
		sec.Set("env", envLine(p.Key, p.Value))
	}

	autostart := boolKey("autostart", true)
	if !autostart {
		sec.Set("autostart", "false")
	}

	autorestart := "unexpected"
	if v, ok := get("autorestart"); ok {
		switch lv := strings.ToLower(strings.TrimSpace(v)); lv {
		case "unexpected":
		default:
			if b, err := pyBool(lv); err == nil {
				autorestart = map[bool]string{true: "true", false: "false"}[b]
			} else {
				sec.Note("autorestart = %s: not true, false or unexpected; on-failure kept", v)
			}
		}
	}
	startsecs, startsecsSet := intKey("startsecs", 1)
	oneshot := autorestart == "false" && startsecsSet && startsecs == 0
	switch {
	case oneshot:
		sec.Set("oneshot", "true")
		sec.Comment("autorestart = false with startsecs = 0 is a run-once task: converted to oneshot (a failure is fatal, and `after` waits for its exit 0); if it runs for good, replace with restart = never")
	case autorestart == "true":
		sec.Set("restart", "always")
	case autorestart == "false":
		sec.Set("restart", "never")
	}
	if startsecsSet && !oneshot {
		sec.Set("start_secs", formatSeconds(startsecs))
	}
	if retries, _ := intKey("startretries", 3); !oneshot {
		// supervisord gives up after startretries failed starts in a row;
		// our default is to never give up, so write it even when default.
		sec.Set("max_restarts", strconv.Itoa(retries))
	}
	if v, ok := get("exitcodes"); ok && autorestart == "unexpected" {
		codes := strings.Split(strings.ReplaceAll(v, " ", ""), ",")
		if len(codes) != 1 || codes[0] != "0" {
			sec.Note("exitcodes = %s: supervise treats exit 0 alone as expected; other codes are restarted (on-failure), exit 0 never is", v)
		}
	}
	if v, ok := get("stopsignal"); ok {
		if sig, err := signals.Parse(v); err == nil {
			sec.Set("stop_signal", signals.Name(sig))
		} else {
			sec.Note("stopsignal = %s: %v", v, err)
		}
	}
	if n, ok := intKey("stopwaitsecs", 10); ok {
		sec.Set("stop_timeout", formatSeconds(n))
	}
	for _, k := range []string{"stopasgroup", "killasgroup"} {
		if v, ok := get(k); ok {
			if b, err := pyBool(v); err == nil && !b {
				sec.Note("%s = false: supervise always signals the whole process group", k)
			}
		}
	}
	if v, ok := get("umask"); ok {
		sec.Note("umask = %s: set it in the command (sh -c 'umask %s; exec ...')", v, v)
	}
	if v, ok := get("serverurl"); ok {
		sec.Note("serverurl = %s: no XML-RPC server; supervise ctl uses the control socket", v)
	}
	for _, k := range []string{"stdout_capture_maxbytes", "stderr_capture_maxbytes"} {
		if v, ok := get(k); ok && strings.TrimSpace(v) != "0" {
			sec.Note("%s = %s: no capture mode (it feeds event listeners)", k, v)
		}
	}
	for _, k := range []string{"stdout_events_enabled", "stderr_events_enabled", "stdout_syslog", "stderr_syslog"} {
		if boolKey(k, false) {
			sec.Note("%s = true: no equivalent (logs go to files or the console)", k)
		}
	}
	sv.logs(sec, get, boolKey)

	known := map[string]bool{}
	for _, k := range strings.Fields(`command process_name numprocs numprocs_start priority autostart autorestart
		startsecs startretries exitcodes stopsignal stopwaitsecs stopasgroup killasgroup user redirect_stderr
		stdout_logfile stdout_logfile_maxbytes stdout_logfile_backups stdout_capture_maxbytes stdout_events_enabled
		stdout_syslog stderr_logfile stderr_logfile_maxbytes stderr_logfile_backups stderr_capture_maxbytes
		stderr_events_enabled stderr_syslog environment directory umask serverurl`) {
		known[k] = true
	}
	for _, k := range s.ord {
		if !known[k] {
			sec.Note("%s = %s: unknown supervisord key", k, s.keys[k].value)
		}
	}

	prio, _ := intKey("priority", 999)
	gp := groupPrio
	if gp < 0 {
		gp = prio
	}
	sv.services = append(sv.services, &svService{sec: sec, groupPrio: gp, prio: prio, eligible: autostart})
}

// logDest is where one supervisord stream goes.
type logDest int

const (
	destAuto logDest = iota
	destNone
	destConsole
	destPath
)

func classifyLog(v string) logDest {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "AUTO":
		return destAuto
	case "NONE":
		return destNone
	}
	switch strings.TrimSpace(v) {
	case "/dev/null":
		// Discarded, as NONE; a log file there would be rotated by rename.
		return destNone
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2", "/proc/1/fd/1", "/proc/1/fd/2":
		return destConsole
	}
	return destPath
}

// logs maps redirect_stderr and the stdout/stderr logfile keys to log,
// stderr and the rotation keys.
func (sv *svConverter) logs(sec *Section, get func(string) (string, bool), boolKey func(string, bool) bool) {
	outV, ok := get("stdout_logfile")
	if !ok {
		outV = "AUTO"
	}
	errV, ok := get("stderr_logfile")
	if !ok {
		errV = "AUTO"
	}
	out, errD := classifyLog(outV), classifyLog(errV)
	merged := boolKey("redirect_stderr", false)
	if strings.HasPrefix(strings.TrimSpace(outV), "syslog") {
		sec.Note("stdout_logfile = %s: no syslog; written to the console instead", outV)
		out = destConsole
	}
	sameDest := errD == out && (out == destConsole || out == destNone ||
		out == destPath && filepath.Clean(outV) == filepath.Clean(errV))
	if !merged && sameDest {
		merged = true
	}
	separate := false
	if !merged {
		switch {
		case out == destNone:
			sec.Note("stdout_logfile = NONE with stderr kept: supervise cannot discard one stream; stdout is logged too")
			out, outV = errD, errV
			merged = true
		case errD == destNone:
			sec.Note("stderr_logfile = NONE: supervise cannot discard one stream; stderr is merged into the log")
			merged = true
		case out == destConsole || errD == destConsole:
			sec.Note("stdout_logfile = %s, stderr_logfile = %s: supervise cannot send one stream to the console and the other to a file; both go to %s",
				outV, errV, map[bool]string{true: "the console", false: "the log file"}[out == destConsole])
			merged = true
		default:
			separate = true
		}
	}
	switch out {
	case destNone:
		sec.Set("log", "off")
		return
	case destConsole:
		sec.Set("log", "console")
		return
	case destPath:
		sec.Set("log", value(outV))
	}
	if separate {
		sec.Set("stderr", "separate")
		if errD == destPath {
			dir := filepath.Dir(outV)
			if out == destAuto {
				dir = "{log_dir}"
			}
			want := filepath.Join(dir, sec.Name+".err.log")
			if out == destPath {
				want = (&config.LogPolicy{Path: filepath.Clean(outV)}).ErrPath()
			}
			if filepath.Clean(errV) != want {
				sec.Note("stderr_logfile = %s: supervise writes stderr to %s (beside the log, .err.log)", errV, want)
			}
		}
	}
	if v, ok := get("stdout_logfile_maxbytes"); ok {
		if n, err := byteSize(v); err == nil {
			rs, raised := rotateSize(n)
			sec.Set("rotate_size", rs)
			if raised {
				sec.Note("stdout_logfile_maxbytes = %s: supervise rotates at %s at the least", v, rs)
			}
		} else {
			sec.Note("stdout_logfile_maxbytes: %v", err)
		}
	}
	if v, ok := get("stdout_logfile_backups"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			sec.Set("keep", strconv.Itoa(n))
		} else {
			sec.Note("stdout_logfile_backups = %s is not a number", v)
		}
	}
	if separate {
		for _, k := range []string{"maxbytes", "backups"} {
			ov, _ := get("stdout_logfile_" + k)
			ev, ok := get("stderr_logfile_" + k)
			if ok && ev != ov {
				sec.Note("stderr_logfile_%s = %s: the stderr log rotates like the stdout log", k, ev)
			}
		}
	}
}

// order turns priorities into `after`: supervisord starts lower priorities
// first (groups by group priority, then by process priority), so each
// service waits for the autostarted services of the nearest lower level.
// supervisord only orders the starts; `after` also waits for "running",
// which is what the ordering is usually meant to achieve.
func (sv *svConverter) order() {
	type level struct {
		gp, p int
		svcs  []*svService
	}
	byKey := map[[2]int]*level{}
	var levels []*level
	for _, s := range sv.services {
		k := [2]int{s.groupPrio, s.prio}
		l := byKey[k]
		if l == nil {
			l = &level{gp: s.groupPrio, p: s.prio}
			byKey[k] = l
			levels = append(levels, l)
		}
		l.svcs = append(l.svcs, s)
	}
	if len(levels) < 2 {
		return
	}
	sort.Slice(levels, func(i, j int) bool {
		if levels[i].gp != levels[j].gp {
			return levels[i].gp < levels[j].gp
		}
		return levels[i].p < levels[j].p
	})
	var prev []string
	for _, l := range levels {
		if len(prev) > 0 {
			for _, s := range l.svcs {
				s.sec.Set("after", strings.Join(prev, ", "))
			}
		}
		var names []string
		for _, s := range l.svcs {
			if s.eligible {
				names = append(names, s.sec.Name)
			}
		}
		if len(names) > 0 {
			prev = names
		}
	}
}

// absDir is supervisord's %(here)s: the absolute directory of the file.
func absDir(file string) string {
	if abs, err := filepath.Abs(file); err == nil {
		return filepath.Dir(abs)
	}
	return filepath.Dir(file)
}
