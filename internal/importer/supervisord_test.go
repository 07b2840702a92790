package importer

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

func TestParseEnvironment(t *testing.T) {
	cases := []struct {
		in   string
		want []envPair
		err  bool
	}{
		{in: `A="x,y",B=/usr/bin:/bin`, want: []envPair{{"A", "x,y"}, {"B", "/usr/bin:/bin"}}},
		{in: `KEY='single quoted',K2=v2`, want: []envPair{{"KEY", "single quoted"}, {"K2", "v2"}}},
		{in: "A=1,\n    B=2,", want: []envPair{{"A", "1"}, {"B", "2"}}},
		{in: `LANG=en_US.UTF-8,URL=http://h:80/p`, want: []envPair{{"LANG", "en_US.UTF-8"}, {"URL", "http://h:80/p"}}},
		{in: `A=1 # trailing comment`, want: []envPair{{"A", "1"}}},
		{in: `A="semi;colon # not a comment"`, want: []envPair{{"A", "semi;colon # not a comment"}}},
		{in: `P="/opt/bin:` + envRef("PATH") + `"`, want: []envPair{{"P", "/opt/bin:" + envRef("PATH")}}},
		{in: `H=` + envRef("HOME") + `/x`, want: []envPair{{"H", envRef("HOME") + "/x"}}},
		{in: ``, want: nil},
		// supervisord's parser drops a fourth token silently; so do we.
		{in: `A=x y`, want: []envPair{{"A", "x"}}},
		{in: `A=a=b`, err: true},
		{in: `A="unterminated`, err: true},
		{in: `A`, err: true},
	}
	for _, c := range cases {
		got, err := parseEnvironment(c.in)
		if (err != nil) != c.err {
			t.Errorf("parseEnvironment(%q) error = %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseEnvironment(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPyFormat(t *testing.T) {
	vars := map[string]string{"program_name": "web", "process_num": "3", "here": "/etc/sv"}
	cases := []struct{ in, want string }{
		{"%(program_name)s", "web"},
		{"%(program_name)s_%(process_num)02d", "web_03"},
		{"%(process_num)d", "3"},
		{"%(process_num)3d|", "  3|"},
		{"%(process_num)-3d|", "3  |"},
		{"%(program_name)-6s|", "web   |"},
		{"%(program_name)5s", "  web"},
		{"100%% of %(here)s", "100% of /etc/sv"},
		{"--dir=%(ENV_HOME)s/x", "--dir=" + envRef("HOME") + "/x"},
		{"no format", "no format"},
	}
	for _, c := range cases {
		got, err := pyFormat(c.in, vars)
		if err != nil || got != c.want {
			t.Errorf("pyFormat(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"%(nope)s", "50%", "%s", "%(program_name", "%(program_name)", "%(program_name)d", "%(here)q"} {
		if got, err := pyFormat(bad, vars); err == nil {
			t.Errorf("pyFormat(%q) = %q, want an error", bad, got)
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "50MB": 50 << 20, "1kb": 1 << 10, "2GB": 2 << 30, " 10 MB ": 10 << 20} {
		if got, err := byteSize(in); err != nil || got != want {
			t.Errorf("byteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "1.5MB", "-1", "10TB"} {
		if _, err := byteSize(bad); err == nil {
			t.Errorf("byteSize(%q): want an error", bad)
		}
	}
	for n, want := range map[int64]string{0: "0", 1000: "1000", 1024: "1K", 50 << 20: "50M", 1 << 30: "1G", 1536: "1536"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// convertText converts one supervisord file and parses the result.
func convertText(t *testing.T, text string) (*Conf, *config.Config) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "supervisord.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Supervisord([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.ParseOptions("out.conf", []byte(c.String()), config.Options{
		LookupEnv:  lookupTestEnv,
		Dir:        "/",
		PasswdFile: filepath.Join("testdata", "passwd"),
		GroupFile:  filepath.Join("testdata", "group"),
	})
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, numbered(c.String()))
	}
	return c, cfg
}

func TestProcessNameExpansion(t *testing.T) {
	_, cfg := convertText(t, `
[program:worker]
command=/bin/worker --id %(process_num)02d --name %(program_name)s-%(group_name)s --of %(numprocs)d
process_name=%(program_name)s_%(process_num)02d
numprocs=3
numprocs_start=8
stdout_logfile=/var/log/w/%(process_num)d.log
`)
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
	}
	if want := []string{"worker_08", "worker_09", "worker_10"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}
	last := cfg.Services[2]
	if want := []string{"/bin/worker", "--id", "10", "--name", "worker-worker", "--of", "3"}; !reflect.DeepEqual(last.Command, want) {
		t.Errorf("command = %q, want %q", last.Command, want)
	}
	if last.Log.Path != "/var/log/w/10.log" {
		t.Errorf("log path = %q, want /var/log/w/10.log", last.Log.Path)
	}
}

// TestPriorityOrder: lower priority starts first; a [group] priority ranks
// the whole group; autostart=false services are never waited for.
func TestPriorityOrder(t *testing.T) {
	_, cfg := convertText(t, `
[program:db]
command=/bin/db
priority=1
[program:cache]
command=/bin/cache
priority=1
[program:app]
command=/bin/app
priority=10
[program:manual]
command=/bin/manual
priority=5
autostart=false
[program:worker]
command=/bin/worker
priority=20
[program:early]
command=/bin/early
priority=900
[group:boot]
programs=early
priority=0
[program:migrate]
command=/bin/migrate
autorestart=false
startsecs=0
priority=2
`)
	after := map[string][]string{}
	for _, s := range cfg.Services {
		after[s.Name] = s.After
	}
	want := map[string][]string{
		"early":   nil,
		"db":      {"early"},
		"cache":   {"early"},
		"migrate": {"db", "cache"},
		"manual":  {"migrate"},
		"app":     {"migrate"},
		"worker":  {"app"},
	}
	for name, w := range want {
		if got := after[name]; !reflect.DeepEqual(got, w) && !(len(got) == 0 && len(w) == 0) {
			t.Errorf("%s: after = %v, want %v", name, got, w)
		}
	}
	for _, s := range cfg.Services {
		if s.Name == "migrate" && !s.Oneshot {
			t.Errorf("migrate (autorestart=false, startsecs=0) should be a oneshot")
		}
	}
}

func TestSupervisordLogs(t *testing.T) {
	c, cfg := convertText(t, `
[supervisord]
childlogdir=/var/log/sv
[program:merged]
command=/bin/a
redirect_stderr=true
stdout_logfile=/var/log/a.log
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=0
[program:split]
command=/bin/b
stdout_logfile=/var/log/b/out.log
stderr_logfile=/var/log/b/out.err.log
[program:docker]
command=/bin/c
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0
[program:quiet]
command=/bin/d
stdout_logfile=NONE
stderr_logfile=NONE
[program:auto]
command=/bin/e
[program:devnull]
command=/bin/f
redirect_stderr=true
stdout_logfile=/dev/null
`)
	by := map[string]*config.Service{}
	for _, s := range cfg.Services {
		by[s.Name] = s
	}
	if l := by["merged"].Log; l.Path != "/var/log/a.log" || l.StderrSeparate || l.RotateSize != 1<<20 || l.Keep != 0 {
		t.Errorf("merged: %+v", l)
	}
	if l := by["split"].Log; l.Path != "/var/log/b/out.log" || !l.StderrSeparate || l.ErrPath() != "/var/log/b/out.err.log" {
		t.Errorf("split: path %s separate %v", l.Path, l.StderrSeparate)
	}
	if l := by["docker"].Log; l.Mode != config.LogConsole {
		t.Errorf("docker: mode %v, want console", l.Mode)
	}
	if l := by["devnull"].Log; l.Mode != config.LogOff {
		t.Errorf("devnull: mode %v, want off", l.Mode)
	}
	if l := by["quiet"].Log; l.Mode != config.LogOff {
		t.Errorf("quiet: mode %v, want off", l.Mode)
	}
	if l := by["auto"].Log; l.Path != "/var/log/sv/auto.log" || !l.StderrSeparate || l.RotateSize != 50<<20 || l.Keep != 10 || l.RotateEvery != config.PeriodNever || l.Compress != config.CompressNone {
		t.Errorf("auto: %+v", l)
	}
	if c.NoteCount() != 0 {
		t.Errorf("nothing here is lost, but:\n%s", c)
	}
}

func TestIncludeAndHere(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.conf", "[include]\nfiles = conf.d/*.conf other.ini\n[program:main]\ncommand=/bin/main\n")
	write("conf.d/b.conf", "[program:b]\ncommand=%(here)s/run-b\n")
	write("conf.d/a.conf", "[program:a]\ncommand=/bin/a\n[program:main]\ncommand=/bin/main --overridden\n")
	write("other.ini", "[program:c]\ncommand=/bin/c\n")
	c, err := Supervisord([]string{filepath.Join(dir, "main.conf")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("out.conf", []byte(c.String()), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, c)
	}
	got := map[string][]string{}
	for _, s := range cfg.Services {
		got[s.Name] = s.Command
	}
	want := map[string][]string{
		"main": {"/bin/main", "--overridden"},
		"a":    {"/bin/a"},
		"b":    {filepath.Join(dir, "conf.d") + "/run-b"},
		"c":    {"/bin/c"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("services = %v, want %v", got, want)
	}
	if _, err := Supervisord([]string{filepath.Join(dir, "missing.conf")}); err == nil {
		t.Error("a missing file must be an error")
	}
}
