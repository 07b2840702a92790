package config

import (
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

type keyCase struct {
	key, value string
	got        func(*Service) any
	want       any
	err        string // non-empty: the value is invalid and the error says this
}

func svcField(f func(*Service) any) func(*Service) any { return f }

var (
	fCommand   = svcField(func(s *Service) any { return s.Command })
	fDirectory = svcField(func(s *Service) any { return s.Directory })
	fEnv       = svcField(func(s *Service) any { return s.Env })
	fEnvFile   = svcField(func(s *Service) any { return s.EnvFile })
	fGPUs      = svcField(func(s *Service) any { return s.GPUs })
	fTTY       = svcField(func(s *Service) any { return s.TTY })
	fRestart   = svcField(func(s *Service) any { return s.Restart })
	fStartSecs = svcField(func(s *Service) any { return s.StartSecs })
	fBackoff   = svcField(func(s *Service) any { return s.Backoff })
	fBackMax   = svcField(func(s *Service) any { return s.BackoffMax })
	fMaxRest   = svcField(func(s *Service) any { return s.MaxRestarts })
	fStopSig   = svcField(func(s *Service) any { return s.StopSignal })
	fStopTO    = svcField(func(s *Service) any { return s.StopTimeout })
	fReloadSig = svcField(func(s *Service) any { return s.ReloadSignal })
	fOneshot   = svcField(func(s *Service) any { return s.Oneshot })
	fMain      = svcField(func(s *Service) any { return s.Main })
	fAutostart = svcField(func(s *Service) any { return s.Autostart })
	fSchedule  = svcField(func(s *Service) any {
		if s.Schedule == nil {
			return nil
		}
		return s.Schedule.Spec
	})
	fUser = svcField(func(s *Service) any {
		if s.User == nil {
			return nil
		}
		return *s.User
	})
	fLog = func(f func(*LogPolicy) any) func(*Service) any {
		return func(s *Service) any { return f(&s.Log) }
	}
)

// TestServiceKeys covers every process key with good and bad values.
func TestServiceKeys(t *testing.T) {
	cases := []keyCase{
		{"command", "python train.py --epochs 3", fCommand, []string{"python", "train.py", "--epochs", "3"}, ""},
		{"command", `sh -c 'echo "a b" $x' "two words" back\ slash`, fCommand, []string{"sh", "-c", `echo "a b" $x`, "two words", "back slash"}, ""},
		{"command", `printf "%s\n" "q\"uote" '#notcomment' # comment`, fCommand, []string{"printf", `%s\n`, `q"uote`, "#notcomment"}, ""},
		{"command", `echo ""`, fCommand, []string{"echo", ""}, ""},
		{"command", "ls ${HOME}", fCommand, []string{"ls", "/home/me"}, ""},
		{"command", "", nil, nil, "empty command"},
		{"command", "echo 'open", nil, nil, "unterminated '"},
		{"command", `echo "open`, nil, nil, `unterminated "`},
		{"command", `echo \`, nil, nil, "trailing backslash"},
		{"command", "echo ${NOPE}", nil, nil, "NOPE is not set"},
		{"directory", "/opt/app", fDirectory, "/opt/app", ""},
		{"directory", "work/../run", fDirectory, "/srv/run", ""},
		{"directory", `"/path with spaces"`, fDirectory, "/path with spaces", ""},
		{"directory", `"/unterminated`, nil, nil, "unterminated quote"},
		{"user", "jovyan", fUser, User{Name: "jovyan", UID: 1000, GID: 100, Groups: []uint32{100, 44}, Home: "/home/jovyan", Login: "jovyan"}, ""},
		{"user", "1001", fUser, User{Name: "1001", UID: 1001, GID: 1001, Groups: []uint32{1001, 44, 109}, Home: "/home/trainer", Login: "trainer"}, ""},
		{"user", "1001:4", fUser, User{Name: "1001:4", UID: 1001, GID: 4, Groups: []uint32{4, 44, 109}, Home: "/home/trainer", Login: "trainer"}, ""},
		{"user", "trainer:video", fUser, User{Name: "trainer:video", UID: 1001, GID: 44, Groups: []uint32{44, 109}, Home: "/home/trainer", Login: "trainer"}, ""},
		{"user", "5000:5000", fUser, User{Name: "5000:5000", UID: 5000, GID: 5000, Groups: []uint32{5000}, Home: "/", Login: "5000"}, ""},
		{"user", "nohome", fUser, User{Name: "nohome", UID: 1002, GID: 1002, Groups: []uint32{1002}, Home: "/", Login: "nohome"}, ""},
		{"user", "ghost", nil, nil, `unknown user "ghost"`},
		{"user", "5000", nil, nil, "uid 5000 has no entry"},
		{"user", "jovyan:nogroup", nil, nil, `unknown group "nogroup"`},
		{"user", ":100", nil, nil, "invalid user"},
		{"env", "FOO=bar", fEnv, []string{"FOO=bar"}, ""},
		{"env", `GREETING="hello world"`, fEnv, []string{"GREETING=hello world"}, ""},
		{"env", `"QUOTED=a b"`, fEnv, []string{"QUOTED=a b"}, ""},
		{"env", "SINGLE='x y'", fEnv, []string{"SINGLE=x y"}, ""},
		{"env", "EMPTYV=", fEnv, []string{"EMPTYV="}, ""},
		{"env", "P=${DATA}/x:${EMPTY:-dflt}", fEnv, []string{"P=/data/x:dflt"}, ""},
		{"env", "LIT=$${HOME} $HOME", fEnv, []string{"LIT=${HOME} $HOME"}, ""},
		{"env", "NOEQUALS", nil, nil, "not KEY=VALUE"},
		{"env", "1BAD=x", nil, nil, "not KEY=VALUE"},
		{"env", "=x", nil, nil, "not KEY=VALUE"},
		{"env_file", "/etc/app.env", fEnvFile, "/etc/app.env", ""},
		{"env_file", "app.env", fEnvFile, "/srv/app.env", ""},
		{"gpus", "all", fGPUs, "all", ""},
		{"gpus", "none", fGPUs, "none", ""},
		{"gpus", "0, 1,3", fGPUs, "0,1,3", ""},
		{"gpus", "-1", nil, nil, "not a GPU index"},
		{"gpus", "0,0", nil, nil, "listed twice"},
		{"gpus", "some", nil, nil, "accepted: all, none"},
		{"tty", "true", fTTY, true, ""},
		{"tty", "yes", fTTY, true, ""},
		{"tty", "off", fTTY, false, ""},
		{"tty", "maybe", nil, nil, "not a boolean"},
		{"restart", "always", fRestart, RestartAlways, ""},
		{"restart", "on-failure", fRestart, RestartOnFailure, ""},
		{"restart", "never", fRestart, RestartNever, ""},
		{"restart", "unless-stopped", nil, nil, "accepted: always, on-failure, never"},
		{"start_secs", "5s", fStartSecs, 5 * time.Second, ""},
		{"start_secs", "0", fStartSecs, time.Duration(0), ""},
		{"start_secs", "5", nil, nil, "not a duration"},
		{"start_secs", "-1s", nil, nil, "not a duration"},
		{"backoff", "500ms", fBackoff, 500 * time.Millisecond, ""},
		{"backoff", "soon", nil, nil, "accepted: a duration"},
		{"backoff_max", "1d", fBackMax, 24 * time.Hour, ""},
		{"backoff_max", "1h30m", fBackMax, 90 * time.Minute, ""},
		{"backoff_max", "1x", nil, nil, "not a duration"},
		{"max_restarts", "3", fMaxRest, 3, ""},
		{"max_restarts", "0", fMaxRest, 0, ""},
		{"max_restarts", "-1", nil, nil, "whole number"},
		{"max_restarts", "three", nil, nil, "whole number"},
		{"stop_signal", "INT", fStopSig, syscall.SIGINT, ""},
		{"stop_signal", "SIGQUIT", fStopSig, syscall.SIGQUIT, ""},
		{"stop_signal", "2", fStopSig, syscall.SIGINT, ""},
		{"stop_signal", "STOPPLEASE", nil, nil, "unknown signal"},
		{"stop_timeout", "30s", fStopTO, 30 * time.Second, ""},
		{"stop_timeout", "forever", nil, nil, "not a duration"},
		{"reload_signal", "USR1", fReloadSig, syscall.SIGUSR1, ""},
		{"reload_signal", "0", nil, nil, "out of range"},
		{"oneshot", "true", fOneshot, true, ""},
		{"oneshot", "1", nil, nil, "not a boolean"},
		{"schedule", "*/5 * * * *", fSchedule, "*/5 * * * *", ""},
		{"schedule", "@every 10m", fSchedule, "@every 10m", ""},
		{"schedule", "@daily", fSchedule, "@daily", ""},
		{"schedule", "61 * * * *", nil, nil, "out of range 0-59"},
		{"schedule", "@sometimes", nil, nil, "unknown schedule"},
		{"main", "true", fMain, true, ""},
		{"main", "2", nil, nil, "not a boolean"},
		{"autostart", "false", fAutostart, false, ""},
		{"autostart", "nah", nil, nil, "not a boolean"},
	}
	runKeyCases(t, cases)
}

// TestLogKeys covers every log key with good and bad values.
func TestLogKeys(t *testing.T) {
	lf := func(f func(*LogPolicy) any) func(*Service) any { return fLog(f) }
	cases := []keyCase{
		{"log", "off", lf(func(l *LogPolicy) any { return [2]any{l.Mode, l.Path} }), [2]any{LogOff, ""}, ""},
		{"log", "console", lf(func(l *LogPolicy) any { return [2]any{l.Mode, l.Path} }), [2]any{LogConsole, ""}, ""},
		{"log", "/var/log/x/app.log", lf(func(l *LogPolicy) any { return [2]any{l.Mode, l.Path} }), [2]any{LogFile, "/var/log/x/app.log"}, ""},
		{"log", "logs/app.log", lf(func(l *LogPolicy) any { return l.Path }), "/srv/logs/app.log", ""},
		{"log", `""`, nil, nil, "accepted: off, console, or a file path"},
		{"stderr", "separate", lf(func(l *LogPolicy) any { return l.StderrSeparate }), true, ""},
		{"stderr", "merge", lf(func(l *LogPolicy) any { return l.StderrSeparate }), false, ""},
		{"stderr", "split", nil, nil, "accepted: merge, separate"},
		{"console", "true", lf(func(l *LogPolicy) any { return l.Console }), true, ""},
		{"console", "loud", nil, nil, "not a boolean"},
		{"rotate_size", "10M", lf(func(l *LogPolicy) any { return l.RotateSize }), int64(10 << 20), ""},
		{"rotate_size", "2G", lf(func(l *LogPolicy) any { return l.RotateSize }), int64(2 << 30), ""},
		{"rotate_size", "64KiB", lf(func(l *LogPolicy) any { return l.RotateSize }), int64(64 << 10), ""},
		{"rotate_size", "0", lf(func(l *LogPolicy) any { return l.RotateSize }), int64(0), ""},
		{"rotate_size", "512", nil, nil, "too small"},
		{"rotate_size", "10X", nil, nil, "not a size"},
		{"rotate_size", "-5M", nil, nil, "not a size"},
		{"rotate_size", "99999999999T", nil, nil, "too large"},
		{"rotate_every", "hourly", lf(func(l *LogPolicy) any { return l.RotateEvery }), PeriodHourly, ""},
		{"rotate_every", "weekly", lf(func(l *LogPolicy) any { return l.RotateEvery }), PeriodWeekly, ""},
		{"rotate_every", "never", lf(func(l *LogPolicy) any { return l.RotateEvery }), PeriodNever, ""},
		{"rotate_every", "monthly", nil, nil, "accepted: never, hourly, daily, weekly"},
		{"keep", "30", lf(func(l *LogPolicy) any { return l.Keep }), 30, ""},
		{"keep", "0", lf(func(l *LogPolicy) any { return l.Keep }), 0, ""},
		{"keep", "-1", nil, nil, "whole number"},
		{"max_age", "30d", lf(func(l *LogPolicy) any { return l.MaxAge }), 30 * 24 * time.Hour, ""},
		{"max_age", "month", nil, nil, "not a duration"},
		{"max_total", "1G", lf(func(l *LogPolicy) any { return l.MaxTotal }), int64(1 << 30), ""},
		{"max_total", "lots", nil, nil, "not a size"},
		{"compress", "zstd", lf(func(l *LogPolicy) any { return l.Compress }), CompressZstd, ""},
		{"compress", "none", lf(func(l *LogPolicy) any { return l.Compress }), CompressNone, ""},
		{"compress", "gzip", lf(func(l *LogPolicy) any { return l.Compress }), CompressGzip, ""},
		{"compress", "bzip2", nil, nil, "accepted: none, gzip, zstd"},
		{"delay_compress", "true", lf(func(l *LogPolicy) any { return l.DelayCompress }), true, ""},
		{"delay_compress", "later", nil, nil, "not a boolean"},
		{"if_empty", "yes", lf(func(l *LogPolicy) any { return l.IfEmpty }), true, ""},
		{"if_empty", "x", nil, nil, "not a boolean"},
		{"dateext", "on", lf(func(l *LogPolicy) any { return l.DateExt }), true, ""},
		{"dateext", "date", nil, nil, "not a boolean"},
		{"file_mode", "0640", lf(func(l *LogPolicy) any { return l.FileMode }), os.FileMode(0o640), ""},
		{"file_mode", "600", lf(func(l *LogPolicy) any { return l.FileMode }), os.FileMode(0o600), ""},
		{"file_mode", "0888", nil, nil, "not a file mode"},
		{"file_mode", "04755", nil, nil, "not a file mode"},
		{"file_mode", "0444", nil, nil, "read and write"},
		{"file_owner", "jovyan", lf(func(l *LogPolicy) any { return *l.FileOwner }), Owner{UID: 1000, GID: -1}, ""},
		{"file_owner", "jovyan:adm", lf(func(l *LogPolicy) any { return *l.FileOwner }), Owner{UID: 1000, GID: 4}, ""},
		{"file_owner", "2000:2000", lf(func(l *LogPolicy) any { return *l.FileOwner }), Owner{UID: 2000, GID: 2000}, ""},
		{"file_owner", "ghost", nil, nil, `unknown user "ghost"`},
		{"file_owner", "root:ghosts", nil, nil, `unknown group "ghosts"`},
		{"timestamps", "rfc3339", lf(func(l *LogPolicy) any { return l.Timestamps }), TimestampsRFC3339, ""},
		{"timestamps", "unix", lf(func(l *LogPolicy) any { return l.Timestamps }), TimestampsUnix, ""},
		{"timestamps", "iso", nil, nil, "accepted: none, rfc3339, unix"},
		{"progress", "collapse", lf(func(l *LogPolicy) any { return l.CollapseProgress }), true, ""},
		{"progress", "keep", lf(func(l *LogPolicy) any { return l.CollapseProgress }), false, ""},
		{"progress", "squash", nil, nil, "accepted: keep, collapse"},
		{"progress_interval", "1s", lf(func(l *LogPolicy) any { return l.ProgressInterval }), time.Second, ""},
		{"progress_interval", "0", nil, nil, "not positive"},
		{"strip_ansi", "true", lf(func(l *LogPolicy) any { return l.StripANSI }), true, ""},
		{"strip_ansi", "colors", nil, nil, "not a boolean"},
		{"max_line", "1M", lf(func(l *LogPolicy) any { return l.MaxLine }), 1 << 20, ""},
		{"max_line", "16", nil, nil, "out of range"},
		{"max_line", "1G", nil, nil, "out of range"},
	}
	runKeyCases(t, cases)
}

func runKeyCases(t *testing.T, cases []keyCase) {
	t.Helper()
	for _, tc := range cases {
		var text string
		line := 3
		if tc.key == "command" {
			text = "# x\n[service x]\ncommand = " + tc.value + "\n"
		} else {
			text = "# x\n[service x]\n" + tc.key + " = " + tc.value + "\ncommand = true\n"
		}
		if tc.err != "" {
			wantOneError(t, text, line, tc.key+": ", tc.err)
			continue
		}
		cfg, err := parseText(text)
		if err != nil {
			t.Errorf("%s = %s: %v", tc.key, tc.value, err)
			continue
		}
		if got := tc.got(cfg.Services[0]); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %s: got %#v, want %#v", tc.key, tc.value, got, tc.want)
		}
	}
}

// TestSupervisorKeys covers every [supervise] key.
func TestSupervisorKeys(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		got        func(*Supervise) any
		want       any
		err        string
	}{
		{"control", "/tmp/s.sock", func(s *Supervise) any { return s.Control }, "/tmp/s.sock", ""},
		{"control", "run/s.sock", func(s *Supervise) any { return s.Control }, "/srv/run/s.sock", ""},
		{"control", `""`, nil, nil, "empty path"},
		{"control_group", "video", func(s *Supervise) any { return [2]any{s.ControlGroup, s.ControlGID} }, [2]any{"video", 44}, ""},
		{"control_group", "4242", func(s *Supervise) any { return [2]any{s.ControlGroup, s.ControlGID} }, [2]any{"4242", 4242}, ""},
		{"control_group", "wheel", nil, nil, `unknown group "wheel"`},
		{"log_dir", "${DATA}/logs", func(s *Supervise) any { return s.LogDir }, "/data/logs", ""},
		{"log_dir", "${MISSING:-/tmp/l}", func(s *Supervise) any { return s.LogDir }, "/tmp/l", ""},
		{"log_dir", "${MISSING}", nil, nil, "MISSING is not set"},
		{"shutdown_timeout", "1m", func(s *Supervise) any { return s.ShutdownTimeout }, time.Minute, ""},
		{"shutdown_timeout", "0s", nil, nil, "not positive"},
		{"shutdown_timeout", "long", nil, nil, "not a duration"},
		{"disk_min_free", "10%", func(s *Supervise) any { return s.DiskMinFree }, Amount{Percent: 10, IsPercent: true}, ""},
		{"disk_min_free", "2.5%", func(s *Supervise) any { return s.DiskMinFree }, Amount{Percent: 2.5, IsPercent: true}, ""},
		{"disk_min_free", "2G", func(s *Supervise) any { return s.DiskMinFree }, Amount{Bytes: 2 << 30}, ""},
		{"disk_min_free", "120%", nil, nil, "not a percentage"},
		{"disk_min_free", "lots", nil, nil, "not a size or percentage"},
		{"disk_warn", "90%", func(s *Supervise) any { return s.DiskWarn }, Amount{Percent: 90, IsPercent: true}, ""},
		{"disk_warn", "5G", nil, nil, "not a usage percentage"},
		{"disk_warn", "0%", nil, nil, "not a usage percentage"},
		{"event_command", "/bin/notify --to 'ops team'", func(s *Supervise) any { return s.EventCommand }, []string{"/bin/notify", "--to", "ops team"}, ""},
		{"event_command", "'", nil, nil, "unterminated '"},
		{"metrics", "0.0.0.0:9100", func(s *Supervise) any { return s.Metrics }, "0.0.0.0:9100", ""},
		{"metrics", ":${PORT}", func(s *Supervise) any { return s.Metrics }, "127.0.0.1:9100", ""},
		{"metrics", "9100", func(s *Supervise) any { return s.Metrics }, "127.0.0.1:9100", ""},
		{"metrics", "[::1]:9100", func(s *Supervise) any { return s.Metrics }, "[::1]:9100", ""},
		{"metrics", "host:http", nil, nil, "not a number from 1 to 65535"},
		{"metrics", "a:b:c", nil, nil, "not an address"},
	} {
		text := "[supervise]\n" + tc.key + " = " + tc.value + "\n"
		if tc.err != "" {
			wantOneError(t, text, 2, tc.key+": ", tc.err)
			continue
		}
		cfg, err := parseText(text)
		if err != nil {
			t.Errorf("%s = %s: %v", tc.key, tc.value, err)
			continue
		}
		if got := tc.got(&cfg.Supervise); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %s: got %#v, want %#v", tc.key, tc.value, got, tc.want)
		}
	}
}

// TestLogfileKeys covers the [logfile] keys and which log keys it accepts.
func TestLogfileKeys(t *testing.T) {
	base := "[service jupyter]\ncommand = jupyter lab\n[logfile jl]\n"
	cfg := mustParse(t, base+"path = /home/*/.jupyter/*.log\nmethod = copytruncate\ncheck_every = 30s\nkeep = 3\ncompress = zstd\nrotate_size = 1M\n")
	l := cfg.Logfiles[0]
	if l.Path != "/home/*/.jupyter/*.log" || l.Method != MethodCopyTruncate || l.CheckEvery != 30*time.Second || l.Log.Keep != 3 || l.Log.Compress != CompressZstd || l.Log.RotateSize != 1<<20 {
		t.Errorf("logfile = %+v", *l)
	}
	cfg = mustParse(t, base+"path = jl.log\nservice = jupyter\nsignal = USR1\n")
	l = cfg.Logfiles[0]
	if l.Path != "/srv/jl.log" || l.Method != MethodRename || l.Service != "jupyter" || l.Signal != syscall.SIGUSR1 || l.CheckEvery != time.Minute {
		t.Errorf("logfile = %+v", *l)
	}
	if l.Log.Keep != 7 || l.Log.Compress != CompressGzip || l.Log.RotateSize != 100<<20 {
		t.Errorf("logfile defaults = %+v", l.Log)
	}
	for _, tc := range []struct {
		line, err string
	}{
		{"method = move", "accepted: rename, copytruncate"},
		{"signal = NOPE", "unknown signal"},
		{"check_every = 10ms", "at least 1s"},
		{"path = /x/[", "not a valid glob"},
		{"service = a b", "not a service name"},
		{"stderr = separate", "not valid in [logfile jl]"},
		{"console = true", "not valid in [logfile jl]"},
		{"log = /x.log", "names its file with path"},
		{"timestamps = unix", "shapes captured output"},
		{"max_line = 1M", "shapes captured output"},
		{"comprss = gzip", `did you mean "compress"?`},
	} {
		if strings.HasPrefix(tc.line, "path") {
			wantOneError(t, base+tc.line+"\n", 4, tc.err)
			continue
		}
		wantOneError(t, base+"path = /x.log\n"+tc.line+"\n", 5, tc.err)
	}
}

func TestDefaults(t *testing.T) {
	cfg := mustParse(t, "[service a]\ncommand = a\n")
	s := cfg.Services[0]
	want := &Service{
		Name: "a", Line: 1, Command: []string{"a"},
		Restart: RestartOnFailure, StartSecs: time.Second, Backoff: time.Second, BackoffMax: time.Minute,
		StopSignal: syscall.SIGTERM, StopTimeout: 10 * time.Second, ReloadSignal: syscall.SIGHUP, Autostart: true,
		Log: LogPolicy{Mode: LogFile, Path: "/var/log/supervise/a.log", RotateSize: 100 << 20, RotateEvery: PeriodDaily,
			Keep: 7, Compress: CompressGzip, FileMode: 0o644, ProgressInterval: 10 * time.Second, MaxLine: 64 << 10},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *s, *want)
	}
	wantSup := Supervise{Control: "/run/supervise.sock", ControlGID: -1, LogDir: "/var/log/supervise", ShutdownTimeout: 30 * time.Second,
		DiskMinFree: Amount{Percent: 5, IsPercent: true}, DiskWarn: Amount{Percent: 80, IsPercent: true}}
	if !reflect.DeepEqual(cfg.Supervise, wantSup) {
		t.Errorf("supervise defaults:\n got %+v\nwant %+v", cfg.Supervise, wantSup)
	}
}

// TestDefaultsSection checks that [defaults] applies to every service
// wherever it appears, that a service overrides it, and that env merges.
func TestDefaultsSection(t *testing.T) {
	cfg := mustParse(t, `
[service a]
command = a
keep = 2
env = B=service

[defaults]
keep = 9
compress = zstd
restart = always
env = A=default
env = B=default
stderr = separate

[service b]
command = b

[logfile f]
path = /f.log

[supervise]
log_dir = /logs
`)
	a, b := cfg.Service("a"), cfg.Service("b")
	if a.Log.Keep != 2 || b.Log.Keep != 9 {
		t.Errorf("keep: a %d b %d", a.Log.Keep, b.Log.Keep)
	}
	if a.Log.Compress != CompressZstd || b.Restart != RestartAlways || !a.Log.StderrSeparate {
		t.Errorf("inherited values missing: %+v", a)
	}
	if !reflect.DeepEqual(a.Env, []string{"A=default", "B=service"}) || !reflect.DeepEqual(b.Env, []string{"A=default", "B=default"}) {
		t.Errorf("env: a %q b %q", a.Env, b.Env)
	}
	if a.Log.Path != "/logs/a.log" || a.Log.ErrPath() != "/logs/a.err.log" {
		t.Errorf("paths: %s %s", a.Log.Path, a.Log.ErrPath())
	}
	f := cfg.Logfile("f")
	if f.Log.Keep != 9 || f.Log.Compress != CompressZstd {
		t.Errorf("[logfile] does not inherit rotation keys from [defaults]: %+v", f.Log)
	}
	if cfg.Service("nope") != nil || cfg.Logfile("nope") != nil {
		t.Errorf("lookup of a missing name is not nil")
	}
}

func TestErrPath(t *testing.T) {
	for in, want := range map[string]string{
		"/l/web.log": "/l/web.err.log",
		"/l/web.txt": "/l/web.err.txt",
		"/l/.log":    "/l/.err.log",
		"/l/web":     "/l/web.err",
		"/l.d/web":   "/l.d/web.err",
	} {
		l := LogPolicy{Path: in}
		if got := l.ErrPath(); got != want {
			t.Errorf("ErrPath(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestDefaultsAfterSkipsSelf(t *testing.T) {
	cfg := mustParse(t, "[defaults]\nafter = setup\n[service setup]\ncommand = s\noneshot = true\n[service web]\ncommand = w\n")
	if got := cfg.Service("setup").After; len(got) != 0 {
		t.Errorf("setup inherits after = %v", got)
	}
	if got := cfg.Service("web").After; !reflect.DeepEqual(got, []string{"setup"}) {
		t.Errorf("web after = %v", got)
	}
	// Written in the service's own section it is still an error.
	wantOneError(t, "[service a]\ncommand = a\nafter = a\n", 3, "waits for itself")
}

// TestDefaultsNotShared checks that services inheriting from [defaults]
// get their own copies: changing one cannot change another.
func TestDefaultsNotShared(t *testing.T) {
	cfg := mustParse(t, "[defaults]\ncommand = run x\nuser = jovyan\nafter = c\nfile_owner = jovyan\n[service a]\n[service b]\n[service c]\nafter =\n")
	a, b := cfg.Service("a"), cfg.Service("b")
	a.Command[0] = "changed"
	a.User.Groups[0] = 9
	a.After[0] = "changed"
	a.Log.FileOwner.UID = 9
	if b.Command[0] != "run" || b.User.Groups[0] != 100 || b.After[0] != "c" || b.Log.FileOwner.UID != 1000 {
		t.Errorf("services share state from [defaults]: %+v", b)
	}
	cfg = mustParse(t, "[defaults]\nschedule = @daily\n[service a]\ncommand = a\n[service b]\ncommand = b\n")
	if cfg.Services[0].Schedule == cfg.Services[1].Schedule {
		t.Errorf("services share a *cron.Schedule")
	}
}
