package importer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

func TestDetectReloads(t *testing.T) {
	type rl struct{ svc, sig string }
	cases := []struct {
		script  string
		want    []rl
		unknown int
	}{
		{"kill -HUP $(cat /run/nginx.pid)", []rl{{"nginx", "HUP"}}, 0},
		{"kill -USR1 `cat /var/run/nginx.pid`", []rl{{"nginx", "USR1"}}, 0},
		{`[ -s /run/nginx.pid ] && kill -USR1 "$(cat /run/nginx.pid)"`, []rl{{"nginx", "USR1"}}, 0},
		{"/bin/kill -s USR1 $(cat /run/gunicorn/pid) 2>/dev/null || true", []rl{{"gunicorn", "USR1"}}, 0},
		{"kill -SIGHUP $(cat /var/run/php/php7.4-fpm.pid)", []rl{{"php7.4-fpm", "HUP"}}, 0},
		{"kill -1 $(pidof syslogd)", []rl{{"syslogd", "HUP"}}, 0},
		{"kill --signal USR2 $(pgrep -x unicorn)", []rl{{"unicorn", "USR2"}}, 0},
		{"kill $(cat /run/app.pid)", []rl{{"app", "TERM"}}, 0},
		{"pkill -HUP -x rsyslogd", []rl{{"rsyslogd", "HUP"}}, 0},
		{"pkill -USR1 -F /run/uwsgi/app.pid", []rl{{"app", "USR1"}}, 0},
		{"killall -s USR1 nginx", []rl{{"nginx", "USR1"}}, 0},
		{"systemctl reload nginx", []rl{{"nginx", "USR1"}}, 0},
		{"systemctl reload myapp.service", []rl{{"myapp", "HUP"}}, 0},
		{"systemctl kill -s HUP rsyslog.service", []rl{{"rsyslog", "HUP"}}, 0},
		{"systemctl kill --signal=USR1 --kill-who=main app", []rl{{"app", "USR1"}}, 0},
		{"invoke-rc.d nginx rotate >/dev/null 2>&1", []rl{{"nginx", "USR1"}}, 0},
		{"service php8.2-fpm reload > /dev/null", []rl{{"php8.2-fpm", "USR1"}}, 0},
		{"/etc/init.d/apache2 reload > /dev/null", []rl{{"apache2", "USR1"}}, 0},
		{"nginx -s reopen", []rl{{"nginx", "USR1"}}, 0},
		{"/usr/sbin/nginx -s reload", []rl{{"nginx", "HUP"}}, 0},
		{"apache2ctl graceful > /dev/null", []rl{{"apache2", "USR1"}}, 0},
		{"/usr/lib/php/php8.1-fpm-reopenlogs", []rl{{"php8.1-fpm", "USR1"}}, 0},
		{"/usr/lib/rsyslog/rsyslog-rotate", []rl{{"rsyslog", "HUP"}}, 0},
		{"supervisorctl signal USR1 web", []rl{{"web", "USR1"}}, 0},
		{"squid -k rotate", []rl{{"squid", "USR1"}}, 0},
		{"if [ -f /run/x.pid ]; then\n  kill -HUP $(cat /run/x.pid)\nfi", []rl{{"x", "HUP"}}, 0},
		{"if pgrep -f ^/usr/sbin/apache2 > /dev/null; then\n invoke-rc.d apache2 reload 2>&1 | logger -t apache2.logrotate\nfi", []rl{{"apache2", "USR1"}}, 0},
		{"# a comment\nkill -HUP $(cat /run/a.pid) # trailing\n", []rl{{"a", "HUP"}}, 0},
		{"kill -HUP $(cat /run/a.pid)\nkill -USR1 $(cat /run/b.pid)", []rl{{"a", "HUP"}, {"b", "USR1"}}, 0},
		{"mysqladmin flush-logs", nil, 1},
		{"supervisorctl restart web", nil, 1},
		{"systemctl restart web", nil, 1},
		{"kill -HUP 1234", nil, 1},
		{"/usr/local/bin/notify --all && kill -HUP $(cat /run/a.pid)", []rl{{"a", "HUP"}}, 1},
		{"", nil, 0},
	}
	for _, c := range cases {
		found, unknown := detectReloads(c.script)
		var got []rl
		for _, f := range found {
			got = append(got, rl{f.Service, f.Signal})
		}
		if !reflect.DeepEqual(got, c.want) || len(unknown) != c.unknown {
			t.Errorf("detectReloads(%q) = %v, unknown %q; want %v and %d unknown", c.script, got, unknown, c.want, c.unknown)
		}
	}
}

func TestPidfileService(t *testing.T) {
	for in, want := range map[string]string{
		"/run/nginx.pid":              "nginx",
		"/run/gunicorn/pid":           "gunicorn",
		"/var/run/php/php7.4-fpm.pid": "php7.4-fpm",
		"/var/run/redis/redis.pid":    "redis",
	} {
		if got := pidfileService(in); got != want {
			t.Errorf("pidfileService(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLrName(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/nginx/*.log":              "nginx-log",
		"/var/log/nginx/access.log":         "nginx-access-log",
		"/var/log/syslog":                   "syslog",
		"/var/log/redis/redis-server*.log":  "redis-server-log",
		"/home/*/.jupyter/*.log":            "home-jupyter-log",
		"/srv/app/logs/gunicorn-access.log": "srv-app-gunicorn-access-log",
		"/var/log/mail.info":                "mail.info-log",
		"/var/log/*":                        "log",
	} {
		if got := lrName(in); got != want {
			t.Errorf("lrName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLogrotateDefaults: directives at the top of a file are defaults for
// the stanzas after them, and a stanza's own directives win.
func TestLogrotateDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logrotate.conf")
	text := `weekly
rotate 4
compress
/var/log/a.log {
    daily
    rotate 9
    postrotate
        kill -USR1 $(cat /run/a.pid)
    endscript
}
nocompress
/var/log/b.log
{
    size 8k
    copytruncate
}
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Logrotate([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("out.conf", []byte(c.String()+"\n[service a]\ncommand = /bin/a\n"), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, c)
	}
	if len(cfg.Logfiles) != 2 {
		t.Fatalf("%d logfiles, want 2:\n%s", len(cfg.Logfiles), c)
	}
	a, b := cfg.Logfiles[0], cfg.Logfiles[1]
	if a.Path != "/var/log/a.log" || a.Log.RotateEvery != config.PeriodDaily || a.Log.Keep != 9 || a.Log.Compress != config.CompressGzip ||
		a.Method != config.MethodRename || a.Service != "a" || a.Signal.String() != "user defined signal 1" || a.Log.RotateSize != 0 || !a.Log.IfEmpty {
		t.Errorf("a: %+v", a)
	}
	if b.Path != "/var/log/b.log" || b.Log.RotateEvery != config.PeriodNever || b.Log.RotateSize != 8192 || b.Log.Keep != 4 ||
		b.Log.Compress != config.CompressNone || b.Method != config.MethodCopyTruncate || b.Service != "" {
		t.Errorf("b: %+v", b)
	}
	if strings.Count(c.String(), NotePrefix) != 0 {
		t.Errorf("nothing here is lost, but:\n%s", c)
	}
}
