package importer

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.golden from the converters' output")

// testdataToken stands for the absolute path of testdata in goldens, so they
// do not depend on where the repository is checked out.
const testdataToken = "@TESTDATA@"

// TestGolden converts every testdata/KIND/*.in, compares the result with
// the .golden beside it, and checks that our own parser accepts it.
func TestGolden(t *testing.T) {
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, kind := range []string{"supervisord", "logrotate", "crontab"} {
		ins, err := filepath.Glob(filepath.Join("testdata", kind, "*.in"))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			counts[kind]++
			t.Run(kind+"/"+strings.TrimSuffix(filepath.Base(in), ".in"), func(t *testing.T) {
				conf, err := Convert(kind, []string{in})
				if err != nil {
					t.Fatalf("Convert: %v", err)
				}
				out := conf.String()
				norm := strings.ReplaceAll(out, abs, testdataToken)
				golden := strings.TrimSuffix(in, ".in") + ".golden"
				if *update {
					if err := os.WriteFile(golden, []byte(norm), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if norm != string(want) {
					t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, diffLines(string(want), norm))
				}
				checkParses(t, kind, out)
			})
		}
	}
	// The goldens are the evidence that the converters handle what projects
	// ship; keep the corpus from shrinking unnoticed.
	for kind, min := range map[string]int{"supervisord": 10, "logrotate": 10, "crontab": 5} {
		if counts[kind] < min {
			t.Errorf("testdata/%s has %d inputs, want at least %d", kind, counts[kind], min)
		}
	}
}

var serviceRef = regexp.MustCompile(`(?m)^service = (\S+)$`)

// checkParses runs config.ParseOptions on a conversion with every variable
// set and the test's passwd/group files. Logrotate output names services
// it does not define (it is meant to be appended to a services.conf): alone
// the only errors may be those unknown services, and with a stub for each
// it must parse.
func checkParses(t *testing.T, kind, out string) {
	t.Helper()
	opts := config.Options{
		LookupEnv:  lookupTestEnv,
		Dir:        "/",
		PasswdFile: filepath.Join("testdata", "passwd"),
		GroupFile:  filepath.Join("testdata", "group"),
	}
	_, err := config.ParseOptions("out.conf", []byte(out), opts)
	if kind != "logrotate" {
		if err != nil {
			t.Errorf("converted config does not parse:\n%v\n--- output:\n%s", err, numbered(out))
		}
		return
	}
	var stubs []string
	seen := map[string]bool{}
	for _, m := range serviceRef.FindAllStringSubmatch(out, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			stubs = append(stubs, m[1])
		}
	}
	sort.Strings(stubs)
	if err != nil {
		for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
			if !strings.Contains(line, "unknown service") {
				t.Errorf("converted config: %s\n--- output:\n%s", line, numbered(out))
			}
		}
	} else if len(stubs) > 0 {
		t.Errorf("config.Parse accepted [logfile] service references to services that do not exist: %v", stubs)
	}
	full := out
	for _, s := range stubs {
		full += "\n[service " + s + "]\ncommand = /bin/true\n"
	}
	if _, err := config.ParseOptions("out.conf", []byte(full), opts); err != nil {
		t.Errorf("converted config with stub services does not parse:\n%v\n--- output:\n%s", err, numbered(full))
	}
}

// lookupTestEnv supplies every variable a conversion refers to: a user for
// the ones used as user names, an absolute path for the rest.
func lookupTestEnv(name string) (string, bool) {
	switch name {
	case "NB_USER", "USER":
		return "jovyan", true
	}
	return "/env/" + name, true
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		b.WriteString(strings.Repeat(" ", 4-len(itoa(i+1))) + itoa(i+1) + "  " + l + "\n")
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// diffLines shows the first lines that differ, enough to see what changed.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}

// TestCombined appends the three kinds of output into one services.conf, as
// docs/migrating.md tells users to: no section may clash, and the [logfile]
// service references resolve to the converted supervisord programs.
func TestCombined(t *testing.T) {
	var all strings.Builder
	for _, in := range []struct{ kind, file string }{
		{"supervisord", "testdata/supervisord/nginx-phpfpm.in"},
		{"logrotate", "testdata/logrotate/nginx-docker.in"},
		{"logrotate", "testdata/logrotate/php-fpm.in"},
		{"crontab", "testdata/crontab/laravel.in"},
		{"crontab", "testdata/crontab/cron.d-php.in"},
	} {
		c, err := Convert(in.kind, []string{in.file})
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(c.String() + "\n")
	}
	text := strings.Replace(all.String(), "service = php8.2-fpm", "service = php-fpm", 1)
	cfg, err := config.ParseOptions("all.conf", []byte(text), config.Options{
		LookupEnv:  lookupTestEnv,
		PasswdFile: filepath.Join("testdata", "passwd"),
		GroupFile:  filepath.Join("testdata", "group"),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, numbered(text))
	}
	if len(cfg.Logfiles) != 3 || cfg.Logfiles[0].Service != "nginx" {
		t.Errorf("logfiles: %+v", cfg.Logfiles)
	}
}
