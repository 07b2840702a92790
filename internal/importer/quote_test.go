package importer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

// parseOne parses a config holding one service built from lines.
func parseOne(t *testing.T, lines ...string) *config.Service {
	t.Helper()
	text := "[service t]\n" + strings.Join(lines, "\n") + "\n"
	env := map[string]string{"HOME": "/root", "PORT": "8080"}
	cfg, err := config.Parse("t.conf", []byte(text), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return cfg.Services[0]
}

// TestCommandValue checks that what the converters write as `command` is
// split by our parser into exactly the argv the original command meant:
// no ${...} expanded by accident, no # or ; taken for a comment.
func TestCommandValue(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "gunicorn app:app -w 4", []string{"gunicorn", "app:app", "-w", "4"}},
		{"literal ${} in double quotes", `bash -c "exec gunicorn --bind 0.0.0.0:${PORT}"`,
			[]string{"bash", "-c", "exec gunicorn --bind 0.0.0.0:${PORT}"}},
		{"literal ${:-} in single quotes", `sh -c 'echo ${HOME:-/root}'`, []string{"sh", "-c", "echo ${HOME:-/root}"}},
		{"bare ${}", `echo ${X}`, []string{"echo", "${X}"}},
		{"escaped $", `echo \${X}`, []string{"echo", "${X}"}},
		{"$${ stays $${", `echo $${X}`, []string{"echo", "$${X}"}},
		{"$VAR untouched", `sh -c 'echo $HOME'`, []string{"sh", "-c", "echo $HOME"}},
		{"bare # after a blank", "echo a #b", []string{"echo", "a", "#b"}},
		{"bare ; after a tab", "echo a\t;b", []string{"echo", "a", ";b"}},
		{"# inside a word", "curl http://x/#frag", []string{"curl", "http://x/#frag"}},
		{"# in single quotes", `sh -c 'echo a # b; echo c'`, []string{"sh", "-c", "echo a # b; echo c"}},
		{"# in double quotes", `sh -c "echo a # b"`, []string{"sh", "-c", "echo a # b"}},
		{"escaped blank then #", `echo a\ #b`, []string{"echo", "a #b"}},
		{"leading double quote", `"/opt/my app/bin" --flag`, []string{"/opt/my app/bin", "--flag"}},
		{"single quote escapes", `sh -c 'echo '\''hi'\'' # x'`, []string{"sh", "-c", "echo 'hi' # x"}},
		{"intended reference", "run --home=" + envRef("HOME") + "/x", []string{"run", "--home=/root/x"}},
		{"reference in quotes", `run '` + envRef("HOME") + ` dir'`, []string{"run", "/root dir"}},
		{"literal next to reference", `sh -c 'cd ` + envRef("HOME") + ` && echo ${PWD}'`, []string{"sh", "-c", "cd /root && echo ${PWD}"}},
		{"newline joins", "echo a\nb", []string{"echo", "a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := commandValue(c.in)
			s := parseOne(t, "command = "+v)
			if !reflect.DeepEqual(s.Command, c.want) {
				t.Errorf("commandValue(%q) = %q, parsed to %q, want %q", c.in, v, s.Command, c.want)
			}
		})
	}
}

// TestValue checks plain and env values round-trip through quoting and
// expansion.
func TestValue(t *testing.T) {
	for _, v := range []string{
		"plain", "a b", "x #not a comment", "x ;semi", "#start", ";start", `"quoted"`, `it's`,
		`back\slash "and" quotes #`, " padded ", "${LITERAL}", "a$${b}", "$HOME/x", "tab\t#x", "",
	} {
		got := parseOne(t, "command = /bin/true", "env = "+envLine("K", v), "directory = "+value("/d/"+v))
		if want := []string{"K=" + v}; !reflect.DeepEqual(got.Env, want) {
			t.Errorf("envLine(K, %q) = %q, parsed to %q, want %q", v, envLine("K", v), got.Env, want)
		}
		if want := "/d/" + v; got.Directory != strings.TrimRight(want, "/") && got.Directory != want {
			t.Errorf("value(%q) = %q, parsed to %q, want %q", want, value(want), got.Directory, want)
		}
	}
	if got := envLine("HOME", envRef("HOME")); got != "HOME=${HOME}" {
		t.Errorf("reference rendered %q, want HOME=${HOME}", got)
	}
	if got := parseOne(t, "command = /bin/true", "env = "+envLine("P", "/opt/bin:"+envRef("HOME"))); !reflect.DeepEqual(got.Env, []string{"P=/opt/bin:/root"}) {
		t.Errorf("reference in env parsed to %q", got.Env)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":         "''",
		"plain":    "plain",
		"a b":      "'a b'",
		"it's":     `'it'\''s'`,
		"$HOME":    "'$HOME'",
		"/usr/bin": "/usr/bin",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"web":          "web",
		"weird name":   "weird-name",
		"celery:w@%h":  "celery-w-h",
		"--x--":        "x",
		"":             "unnamed",
		"php8.2-fpm":   "php8.2-fpm",
		"a/b\\c":       "a-b-c",
		"ünïcode_name": "n-code_name",
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	c := newConf()
	names := []string{c.NewSection("service", "x").Name, c.NewSection("logfile", "x").Name, c.NewSection("service", "x y").Name, c.NewSection("service", "x-y").Name}
	if want := []string{"x", "x-2", "x-y", "x-y-2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("unique names = %v, want %v", names, want)
	}
}
