package config

import (
	"errors"
	"strings"
	"testing"
)

var testEnv = map[string]string{
	"HOME":  "/home/me",
	"EMPTY": "",
	"PORT":  "9100",
	"DATA":  "/data",
	"SPACE": "a b",
}

func testOptions() Options {
	return Options{
		LookupEnv: func(k string) (string, bool) {
			v, ok := testEnv[k]
			return v, ok
		},
		Dir:        "/srv",
		PasswdFile: "testdata/passwd",
		GroupFile:  "testdata/group",
	}
}

func parseText(text string) (*Config, error) {
	return ParseOptions("test.conf", []byte(text), testOptions())
}

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := parseText(text)
	if err != nil {
		t.Fatalf("unexpected errors:\n%v\nconfig:\n%s", err, text)
	}
	return cfg
}

// errorsOf returns the Errors of a failed parse, failing the test otherwise.
func errorsOf(t *testing.T, text string) Errors {
	t.Helper()
	cfg, err := parseText(text)
	if err == nil {
		t.Fatalf("no error, want one; config:\n%s", text)
	}
	if cfg != nil {
		t.Errorf("a Config came back together with errors")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not Errors: %v", err, err)
	}
	return errs
}

// wantOneError checks that text has exactly one error, at line, that
// contains every fragment.
func wantOneError(t *testing.T, text string, line int, fragments ...string) {
	t.Helper()
	errs := errorsOf(t, text)
	if len(errs) != 1 {
		t.Errorf("%d errors, want 1:\n%v\nconfig:\n%s", len(errs), errs, text)
		return
	}
	e := errs[0]
	if e.Line != line || e.File != "test.conf" {
		t.Errorf("error at %s:%d, want test.conf:%d: %v", e.File, e.Line, line, e)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Msg, f) {
			t.Errorf("error %q does not contain %q", e.Msg, f)
		}
	}
}
