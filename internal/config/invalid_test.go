package config

import (
	"strings"
	"testing"
)

// TestInvalidConfigs checks that each broken config reports every problem
// at the right line, and says what is accepted.
func TestInvalidConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string // "LINE: fragment", in order
	}{
		{"unknown section with suggestion", "[servce web]\ncommand = x\n", []string{`1: unknown section [servce]; did you mean "service"?`}},
		{"supervisord section", "[program:web]\ncommand = x\n", []string{"1: section [program:web] is supervisord syntax; accepted: [service web]"}},
		{"unclosed header", "[service web\ncommand = x\n", []string{"1: has no closing ]"}},
		{"text after header", "[service web] extra\ncommand = x\n", []string{`1: unexpected text "extra"`}},
		{"service without name", "[service]\ncommand = x\n", []string{"1: [service] needs a name"}},
		{"two names", "[service a b]\n", []string{"1: has more than one name"}},
		{"bad name", "[service web/1]\ncommand = x\n", []string{`1: invalid service name "web/1"`}},
		{"supervise with name", "[supervise x]\n", []string{"1: [supervise] takes no name"}},
		{"duplicate supervise", "[supervise]\n[supervise]\n", []string{"2: [supervise] appears twice (first at line 1)"}},
		{"duplicate defaults", "[defaults]\nkeep = 1\n\n[defaults]\n", []string{"4: [defaults] appears twice (first at line 1)"}},
		{"duplicate name across kinds", "[service web]\ncommand = x\n[logfile web]\npath = /x\n", []string{`3: name "web" is already used by [service web] at line 1`}},
		{"key outside section", "keep = 3\n[service a]\ncommand = a\n", []string{"1: key \"keep\" outside any section"}},
		{"no equals", "[service a]\ncommand = a\njust words\n", []string{"3: expected `key = value`"}},
		{"empty key", "[service a]\n= a\ncommand = a\n", []string{"2: missing key before `=`"}},
		{"unknown key suggestion", "[service a]\ncomand = a\n", []string{"1: [service a] has no command", `2: unknown key "comand" in [service a]; did you mean "command"?`}},
		{"unknown key list", "[service a]\ncommand = a\nfrobnicate = 1\n", []string{`3: unknown key "frobnicate" in [service a]; accepted: after, autostart`}},
		{"key in wrong section", "[service a]\ncommand = a\nlog_dir = /x\n", []string{"3: key log_dir is not valid in [service a]; accepted: move it to [supervise]"}},
		{"service key in supervise", "[supervise]\nrestart = always\n", []string{"2: key restart is not valid in [supervise]; accepted: move it to [service NAME] or [defaults]"}},
		{"repeated key", "[service a]\ncommand = a\nkeep = 1\nkeep = 2\n", []string{"4: keep is already set at line 3"}},
		{"repeated env var", "[service a]\ncommand = a\nenv = A=1\nenv = A=2\n", []string{"4: env: A is already set at line 3"}},
		{"missing command", "\n[service a]\nkeep = 1\n", []string{"2: [service a] has no command; accepted: command = PROGRAM"}},
		{"after unknown", "[service a]\ncommand = a\nafter = bb\n[service b]\ncommand = b\n", []string{`3: after: [service a] waits for unknown service "bb"; did you mean "b"?`}},
		{"after logfile", "[service a]\ncommand = a\nafter = f\n[logfile f]\npath = /f\n", []string{"3: after: [service a] waits for f, a [logfile], not a service"}},
		{"after self", "[service a]\ncommand = a\nafter = a\n", []string{"3: after: [service a] waits for itself"}},
		{"after cron job", "[service a]\ncommand = a\nafter = c\n[service c]\ncommand = c\nschedule = @daily\n", []string{"3: after: [service a] waits for c, a cron job"}},
		{"after cycle", "[service a]\ncommand = a\nafter = c\n[service b]\ncommand = b\nafter = a\n[service c]\ncommand = c\nafter = b\n", []string{"3: after: cycle a -> c -> b -> a"}},
		{"two cycles", "[service a]\ncommand = a\nafter = b\n[service b]\ncommand = b\nafter = a\n[service c]\ncommand = c\nafter = d\n[service d]\ncommand = d\nafter = c\n", []string{"3: after: cycle a -> b -> a", "9: after: cycle c -> d -> c"}},
		{"two mains", "[service a]\ncommand = a\nmain = true\n[service b]\ncommand = b\nmain = true\n", []string{"6: main: [service b] and [service a] (line 3) are both main"}},
		{"main from defaults", "[defaults]\nmain = true\n[service a]\ncommand = a\n[service b]\ncommand = b\n", []string{"2: main: [service b] and [service a] (line 2) are both main"}},
		{"oneshot and schedule", "[service a]\ncommand = a\noneshot = true\nschedule = @hourly\n", []string{"4: [service a]: schedule and oneshot conflict"}},
		{"main and schedule", "[service a]\ncommand = a\nschedule = @hourly\nmain = true\n", []string{"4: [service a]: schedule and main conflict"}},
		{"oneshot and main", "[service a]\ncommand = a\nmain = yes\noneshot = yes\n", []string{"4: [service a]: oneshot and main conflict"}},
		{"restart on cron job", "[service a]\ncommand = a\nrestart = always\nschedule = 0 3 * * *\n", []string{"3: restart: [service a] is a cron job"}},
		{"restart on oneshot", "[service a]\ncommand = a\noneshot = true\nrestart = on-failure\n", []string{"4: restart: [service a] is a oneshot"}},
		{"tty with separate stderr", "[defaults]\nstderr = separate\n[service a]\ncommand = a\ntty = true\n", []string{"5: [service a]: tty and stderr conflict"}},
		{"backoff_max below backoff", "[service a]\ncommand = a\nbackoff = 10s\nbackoff_max = 5s\n", []string{"4: backoff_max (5s) is shorter than backoff (10s)"}},
		{"shared log path", "[service a]\ncommand = a\nlog = /l/x.log\n[service b]\ncommand = b\nlog = /l/x.log\n", []string{"6: [service b] writes /l/x.log, which [service a] (line 3) writes too"}},
		{"default path taken", "[service a]\ncommand = a\n[service b]\ncommand = b\nlog = /var/log/supervise/a.log\n", []string{"5: [service b] writes /var/log/supervise/a.log, which [service a] (line 1)"}},
		{"log path in defaults", "[defaults]\nlog = /l/all.log\n", []string{"2: log: a file path in [defaults] would send every service to the same file"}},
		{"logfile without path", "[logfile x]\nkeep = 1\n", []string{"1: [logfile x] has no path"}},
		{"logfile unknown service", "[service web]\ncommand = w\n[logfile x]\npath = /x.log\nservice = wbe\n", []string{`3: service: unknown service "wbe"; did you mean "web"? in [logfile x]`}},
		{"logfile copytruncate with service", "[service web]\ncommand = w\n[logfile x]\npath = /x.log\nmethod = copytruncate\nservice = web\n", []string{"6: service: [logfile x] uses method = copytruncate"}},
		{"unset variable", "[supervise]\nlog_dir = ${LOGS}/x\n", []string{"2: log_dir: environment variable LOGS is not set; accepted: set it, or write ${LOGS:-default}"}},
		{"bad variable", "[supervise]\nlog_dir = ${1X}\n", []string{"2: log_dir: invalid variable reference ${1X}"}},
		{"unterminated variable", "[supervise]\nlog_dir = ${HOME\n", []string{"2: log_dir: unterminated ${"}},
		{"text after quote", "[supervise]\nlog_dir = \"/x\" y\n", []string{`2: log_dir: unexpected text "y" after the closing quote`}},
		{"many errors at once", "[service a]\nrestart = sometimes\nkeep = many\n[service b]\ncommand = b\nstop_signal = NOPE\ngpus = x\n[bogus]\n", []string{
			"1: [service a] has no command", "2: restart:", "3: keep:", "6: stop_signal:", "7: gpus:", "8: unknown section [bogus]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := errorsOf(t, tc.text)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("%d errors, want %d:\n%s", len(errs), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				line, frag, _ := strings.Cut(w, ": ")
				prefix := "test.conf:" + line + ": "
				if !strings.HasPrefix(got[i], prefix) || !strings.Contains(got[i], frag) {
					t.Errorf("error %d = %q, want %q...%q", i, got[i], prefix, frag)
				}
			}
		})
	}
}

func TestErrorsFormat(t *testing.T) {
	errs := Errors{{File: "a.conf", Line: 3, Msg: "x"}, {File: "a.conf", Msg: "y"}}
	if got := errs.Error(); got != "a.conf:3: x\na.conf: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
}

// TestErrorsBounded checks that hostile input gets a capped error list.
func TestErrorsBounded(t *testing.T) {
	text := "[service a]\ncommand = a\n" + strings.Repeat("nokey = 1\n", 5000)
	errs := errorsOf(t, text)
	if len(errs) != maxErrors+1 || !strings.Contains(errs[maxErrors].Msg, "4000 more errors not shown") {
		t.Errorf("%d errors, last %v", len(errs), errs[len(errs)-1])
	}
	if _, err := parseText(strings.Repeat("#", MaxSize+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized input: %v", err)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.conf"); err == nil || !strings.HasPrefix(err.Error(), "testdata/does-not-exist.conf: cannot read config: no such file") {
		t.Errorf("Load of a missing file: %v", err)
	}
	cfg, err := Load("../../examples/demo.conf")
	if err != nil {
		t.Fatalf("examples/demo.conf: %v", err)
	}
	if len(cfg.Services) == 0 || cfg.File != "../../examples/demo.conf" {
		t.Errorf("demo config: %+v", cfg)
	}
}

func TestRestartKeysOnJobs(t *testing.T) {
	for _, key := range []string{"restart = always", "start_secs = 5s", "backoff = 2s", "backoff_max = 2m", "max_restarts = 3"} {
		name, _, _ := strings.Cut(key, " ")
		wantOneError(t, "[service c]\ncommand = c\nschedule = @daily\n"+key+"\n", 4, name+": [service c] is a cron job")
		wantOneError(t, "[service o]\ncommand = o\noneshot = true\n"+key+"\n", 4, name+": [service o] is a oneshot")
	}
	// From [defaults] they apply to the services that restart and are
	// ignored by jobs, without an error.
	cfg := mustParse(t, "[defaults]\nrestart = always\nmax_restarts = 2\n[service c]\ncommand = c\nschedule = @daily\n[service s]\ncommand = s\n")
	if cfg.Service("s").Restart != RestartAlways || cfg.Service("s").MaxRestarts != 2 {
		t.Errorf("defaults not applied to a service")
	}
}

func TestValueSuggestions(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"restart = alway", `"alway" is not a restart policy; did you mean "always"? accepted: always, on-failure, never`},
		{"compress = Gzip", `"Gzip" is not accepted; did you mean "gzip"? accepted: none, gzip, zstd`},
		{"rotate_every = dayly", `did you mean "daily"?`},
		{"stderr = seperate", `did you mean "separate"?`},
		{"timestamps = rfc3999", `did you mean "rfc3339"?`},
		{"compress = xz", `"xz" is not accepted; accepted: none, gzip, zstd`},
	} {
		wantOneError(t, "[service a]\ncommand = a\n"+tc.line+"\n", 3, tc.want)
	}
}
