package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateCheck = flag.Bool("update", false, "rewrite testdata/check/*.golden")

// fixedNow pins the next runs of schedules in the golden files.
func fixedNow() time.Time { return time.Date(2026, 11, 28, 21, 45, 0, 0, time.UTC) }

// TestCheckGolden runs `check -c` on each testdata/check/*.conf and compares
// exit code, stdout and stderr with the .golden file beside it.
func TestCheckGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/check/*.conf")
	if len(files) < 2 {
		t.Fatal("missing testdata/check/*.conf")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := check([]string{"-c", file}, &stdout, &stderr, fixedNow)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout.String(), stderr.String())
			golden := strings.TrimSuffix(file, ".conf") + ".golden"
			if *updateCheck {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -run TestCheckGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("check -c %s differs from %s (go test -run TestCheckGolden -update to accept):\n%s", file, golden, got)
			}
		})
	}
}

func TestCheckExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string // substrings of stdout and stderr
		emptyOut bool
	}{
		{[]string{"-c", "testdata/check/valid.conf"}, exitOK, "start order       prep, train, tb, rotate-ckpt", "", false},
		{[]string{"--config=testdata/check/valid.conf"}, exitOK, "[service train]", "", false},
		{[]string{"-c", "testdata/check/invalid.conf"}, exitFail, "", "testdata/check/invalid.conf:3: shutdown_timeout:", true},
		{[]string{"-c", "testdata/check/missing.conf"}, exitFail, "", "testdata/check/missing.conf: cannot read config", true},
		{[]string{"-h"}, exitOK, "Usage: supervise check [-c FILE]", "", false},
		{[]string{"--help"}, exitOK, "-c, --config string", "", false},
		{[]string{"--bogus"}, exitUsage, "", "unknown flag: --bogus", true},
		{[]string{"-c"}, exitUsage, "", "flag needs an argument", true},
		{[]string{"-c", "x", "extra"}, exitUsage, "", `unexpected argument "extra"`, true},
	} {
		var stdout, stderr bytes.Buffer
		code := check(tc.args, &stdout, &stderr, fixedNow)
		if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("check %q = %d\nstdout: %s\nstderr: %s\nwant %d, stdout with %q, stderr with %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out, tc.err)
		}
		if tc.emptyOut && stdout.Len() != 0 {
			t.Errorf("check %q wrote to stdout on failure: %s", tc.args, stdout.String())
		}
		if tc.code == exitUsage && !strings.Contains(stderr.String(), "Usage: supervise check") {
			t.Errorf("check %q: no usage on stderr", tc.args)
		}
	}
}

// TestCheckDefaultPath checks that without -c the default path is read.
func TestCheckDefaultPath(t *testing.T) {
	if _, err := os.Stat("/etc/supervise/services.conf"); err == nil {
		t.Skip("/etc/supervise/services.conf exists here")
	}
	var stdout, stderr bytes.Buffer
	if code := check(nil, &stdout, &stderr, fixedNow); code != exitFail || !strings.Contains(stderr.String(), "/etc/supervise/services.conf: cannot read config") {
		t.Errorf("check without -c = %d, stderr %s", code, stderr.String())
	}
}

// TestCheckViaRun checks the dispatch from main's run.
func TestCheckViaRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "-c", "testdata/check/valid.conf"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "[service prep]") {
		t.Errorf("run check = %d, stderr %s", code, stderr.String())
	}
}
