package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCLI(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte("[program:web]\ncommand=/bin/web\numask=022\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{"converts", []string{"import", "supervisord", conf}, exitOK, "[service web]\ncommand = /bin/web\n", "1 item(s) not converted", false},
		{"help", []string{"import", "-h"}, exitOK, "", "Usage: supervise import", true},
		{"no args", []string{"import"}, exitUsage, "", "Usage: supervise import", true},
		{"no file", []string{"import", "crontab"}, exitUsage, "", "Usage", true},
		{"unknown flag", []string{"import", "--bogus", "crontab", conf}, exitUsage, "", "unknown flag", true},
		{"unknown kind", []string{"import", "systemd", conf}, exitFail, "", `"systemd": unknown kind`, true},
		{"unreadable", []string{"import", "logrotate", filepath.Join(dir, "missing")}, exitFail, "", "no such file", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(c.args, &out, &errb)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, errb.String())
			}
			if !strings.Contains(out.String(), c.stdout) {
				t.Errorf("stdout %q lacks %q", out.String(), c.stdout)
			}
			if c.noStdout && out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
			if !strings.Contains(errb.String(), c.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), c.stderr)
			}
		})
	}
}
