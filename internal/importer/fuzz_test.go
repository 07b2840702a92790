package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

// converterBugs are parser complaints that mean the converter wrote bad
// syntax, as opposed to input values our parser rejects (an unknown user,
// a schedule field out of range).
var converterBugs = []string{
	"expected `key = value`", "unterminated", "section header", "unknown section", "unknown key",
	"after the closing quote", "is not KEY=VALUE", "is already used", "invalid variable reference",
	"outside any section", "empty command", "[supervise] takes", "needs a name",
}

func fuzzConvert(f *testing.F, kind string) {
	ins, _ := filepath.Glob(filepath.Join("testdata", kind, "*.in"))
	for _, in := range ins {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Convert(kind, []string{path})
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		out := c.String()
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "[") && !strings.Contains(line, " = ") {
				t.Fatalf("line %q is neither comment, header nor key = value:\n%s", line, out)
			}
		}
		_, err = config.ParseOptions("out.conf", []byte(out), config.Options{
			LookupEnv:  lookupTestEnv,
			Dir:        "/",
			PasswdFile: filepath.Join("testdata", "passwd"),
			GroupFile:  filepath.Join("testdata", "group"),
		})
		if err == nil {
			return
		}
		for _, msg := range strings.Split(err.Error(), "\n") {
			for _, bug := range converterBugs {
				if strings.Contains(msg, bug) {
					t.Fatalf("converter wrote bad syntax: %s\n%s", msg, numbered(out))
				}
			}
		}
	})
}

func FuzzSupervisord(f *testing.F) { fuzzConvert(f, "supervisord") }
func FuzzLogrotate(f *testing.F)   { fuzzConvert(f, "logrotate") }
func FuzzCrontab(f *testing.F)     { fuzzConvert(f, "crontab") }
