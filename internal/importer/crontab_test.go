package importer

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

func TestCronPercent(t *testing.T) {
	cases := []struct {
		in, cmd, stdin string
		has            bool
	}{
		{"date +\\%Y-\\%m-\\%d", "date +%Y-%m-%d", "", false},
		{"mail -s hi root%line one%line two", "mail -s hi root", "line one\nline two", true},
		{"cat%", "cat", "", true},
		{"echo 100\\%%done%", "echo 100%", "done\n", true},
		{"no percent", "no percent", "", false},
	}
	for _, c := range cases {
		cmd, stdin, has := cronPercent(c.in)
		if cmd != c.cmd || stdin != c.stdin || has != c.has {
			t.Errorf("cronPercent(%q) = %q, %q, %v; want %q, %q, %v", c.in, cmd, stdin, has, c.cmd, c.stdin, c.has)
		}
	}
}

func TestNormalizeDow(t *testing.T) {
	for in, want := range map[string]string{
		"7": "0", "0": "0", "5-7": "5-6,0", "6-7": "6,0", "1,7": "1,0", "*": "*", "mon-fri": "mon-fri", "*/2": "*/2", "1-7/2": "1-7/2",
	} {
		if got := normalizeDow(in); got != want {
			t.Errorf("normalizeDow(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCronJobName(t *testing.T) {
	for in, want := range map[string]string{
		"cd /srv && python manage.py clearsessions":                                   "manage-clearsessions",
		"cd /var/www && php artisan schedule:run >> /dev/null 2>&1":                   "artisan-schedule-run",
		"test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )": "cron.daily",
		"flock -n /tmp/x.lock rsync -a /a /b":                                         "rsync",
		"[ -f /STOP ] && pkill -INT -f train.py":                                      "pkill",
		"/usr/local/bin/backup.sh > /var/log/backup.log 2>&1":                         "backup",
		"perl -e 'sleep 3' && certbot -q renew":                                       "certbot",
		"FOO=1 BAR=2 /opt/job --x":                                                    "job",
		"/opt/venv/bin/python -m cleanup.cache":                                       "cleanup.cache",
		"timeout 1h nice -n 19 /usr/bin/du -sh /data":                                 "du",
		"true": "job",
	} {
		if got := cronJobName(in); got != want {
			t.Errorf("cronJobName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSystemCrontabDetection(t *testing.T) {
	user := []string{"*/5 * * * * /usr/bin/job --x", "@daily echo hi"}
	system := []string{"SHELL=/bin/sh", "17 * * * * root cd / && run-parts /etc/cron.hourly", "@reboot www-data /srv/start"}
	if isSystemCrontab("/var/spool/cron/crontabs/app", user) {
		t.Error("user crontab taken for a system one")
	}
	if !isSystemCrontab("jobs.txt", system) {
		t.Error("system crontab (user field) not recognised by content")
	}
	if !isSystemCrontab("/etc/cron.d/anything", user) || !isSystemCrontab("/etc/crontab", user) {
		t.Error("/etc/crontab and cron.d files always have a user field")
	}
}

// TestCronCommandsRun runs each converted job's argv (as our parser splits
// it) and the original line through sh -c, as cron would, and compares what
// they print: quoting, comments, ${...}, % and stdin must all survive.
func TestCronCommandsRun(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	jobs := []struct{ line, stdin string }{
		{`echo "a # b" 'c ; d' $((1+2)) ${HOME:-none} \$X`, ""},
		{`printf '\%s|' one "two three" 'it'\''s'`, ""},
		{`echo 50\% done # a shell comment`, ""},
		{`X=1; echo "x=$X"; echo 'tab	in'`, ""},
		{`cat%first line%second line`, "first line\nsecond line"},
		{`tr a-z A-Z%hello \% world`, "hello % world"},
		{`sed s/a/b/%a\b%back\\slash%`, `a\b` + "\n" + `back\\slash` + "\n"},
		{`echo plain words only`, ""},
	}
	var text strings.Builder
	text.WriteString("HOME=/home/cronuser\nGREETING=\"hello there\"\n")
	for _, j := range jobs {
		text.WriteString("* * * * * " + j.line + "\n")
	}
	path := filepath.Join(dir, "crontab")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Crontab([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("out.conf", []byte(c.String()), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, c)
	}
	if len(cfg.Services) != len(jobs) {
		t.Fatalf("%d services, want %d:\n%s", len(cfg.Services), len(jobs), c)
	}
	for i, j := range jobs {
		s := cfg.Services[i]
		if s.Schedule == nil || !reflect.DeepEqual(s.Env, []string{"HOME=/home/cronuser", "GREETING=hello there"}) {
			t.Errorf("job %d: schedule %v env %q", i, s.Schedule, s.Env)
		}
		cmd := exec.Command(s.Command[0], s.Command[1:]...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, s.Env...)
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("job %d %q: %v\n%s", i, s.Command, err, got)
			continue
		}
		line, _, _ := cronPercent(j.line)
		ref := exec.Command("sh", "-c", line)
		ref.Env = cmd.Env
		ref.Stdin = strings.NewReader(j.stdin)
		want, err := ref.CombinedOutput()
		if err != nil {
			t.Errorf("reference %q: %v", line, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("job %q\nconverted %q\nprinted %q, cron would print %q", j.line, s.Command, got, want)
		}
	}
}
