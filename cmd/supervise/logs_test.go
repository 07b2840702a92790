package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"go.uber.org/goleak"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/logread"
)

func writeArchive(t *testing.T, path, content string) {
	t.Helper()
	var buf bytes.Buffer
	switch filepath.Ext(path) {
	case ".gz":
		w := gzip.NewWriter(&buf)
		w.Write([]byte(content))
		w.Close()
	case ".zst":
		w, _ := zstd.NewWriter(&buf)
		w.Write([]byte(content))
		w.Close()
	default:
		buf.WriteString(content)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// logsConfig has a service web (numbered archives), a job with dateext
// archives and a separate stderr log, a silent service and a [logfile].
func logsConfig(t *testing.T) *config.Config {
	dir := t.TempDir()
	writeArchive(t, filepath.Join(dir, "web.log.2.gz"), "2026-11-28T20:00:00Z boot\n2026-11-28T20:30:00Z error: disk\n")
	writeArchive(t, filepath.Join(dir, "web.log.1.zst"), "2026-11-28T21:00:00Z serving\n")
	writeArchive(t, filepath.Join(dir, "web.log"), "2026-11-28T22:00:00Z error: timeout\n2026-11-28T22:05:00Z ok\n")
	writeArchive(t, filepath.Join(dir, "job.log-20261128-200000.gz"), "first run\n")
	writeArchive(t, filepath.Join(dir, "job.log-20261128-210000"), "second run\n")
	writeArchive(t, filepath.Join(dir, "job.log"), "third run\n")
	writeArchive(t, filepath.Join(dir, "job.err.log"), "job stderr\n")
	os.MkdirAll(filepath.Join(dir, "jupyter"), 0o755)
	writeArchive(t, filepath.Join(dir, "jupyter", "a.log.1.gz"), "a old\n")
	writeArchive(t, filepath.Join(dir, "jupyter", "a.log"), "a new\n")
	return &config.Config{
		File: "services.conf",
		Services: []*config.Service{
			{Name: "web", Log: config.LogPolicy{Mode: config.LogFile, Path: filepath.Join(dir, "web.log")}},
			{Name: "job", Log: config.LogPolicy{Mode: config.LogFile, Path: filepath.Join(dir, "job.log"), StderrSeparate: true, DateExt: true}},
			{Name: "quiet", Log: config.LogPolicy{Mode: config.LogOff}},
			{Name: "fresh", Log: config.LogPolicy{Mode: config.LogFile, Path: filepath.Join(dir, "fresh.log")}},
		},
		Logfiles: []*config.Logfile{{Name: "jupyter", Path: filepath.Join(dir, "jupyter", "*.log")}},
	}
}

func showFor(t *testing.T, cfg *config.Config, name string, q logread.Query) (int, string, string) {
	t.Helper()
	paths, err := logPaths(cfg, name)
	if err != nil {
		return exitFail, "", err.Error()
	}
	var out, errb bytes.Buffer
	code := showLogs(context.Background(), paths, q, false, &out, &errb)
	return code, out.String(), errb.String()
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLogsAcrossArchives(t *testing.T) {
	cfg := logsConfig(t)
	cases := []struct {
		name string
		q    logread.Query
		want string
	}{
		{"web", logread.Query{Lines: -1}, "boot|error: disk|serving|error: timeout|ok"},
		{"web", logread.Query{Lines: 2}, "error: timeout|ok"},
		{"web", logread.Query{Lines: -1, Grep: regexpMust("^[^ ]+ error")}, "error: disk|error: timeout"},
		{"web", logread.Query{Lines: -1, Since: mustTime("2026-11-28T20:30:00Z"), Until: mustTime("2026-11-28T22:00:00Z")}, "error: disk|serving|error: timeout"},
		{"job", logread.Query{Lines: -1}, "first run|second run|third run"},
		{"job.err", logread.Query{Lines: -1}, "job stderr"},
		{"jupyter", logread.Query{Lines: -1}, "a old|a new"},
	}
	for _, c := range cases {
		code, out, errs := showFor(t, cfg, c.name, c.q)
		if code != 0 || errs != "" {
			t.Fatalf("%s: exit %d %q", c.name, code, errs)
		}
		var msgs []string
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasPrefix(l, "2026-") {
				l = l[strings.IndexByte(l, ' ')+1:]
			}
			msgs = append(msgs, l)
		}
		if got := strings.Join(msgs, "|"); got != c.want {
			t.Errorf("logs %s %+v: got %q, want %q", c.name, c.q, got, c.want)
		}
	}
}

func TestLogsNoSuchLog(t *testing.T) {
	cfg := logsConfig(t)
	for name, msg := range map[string]string{
		"ghost":   `no such log "ghost"`,
		"quiet":   "log = off",
		"web.err": "stderr = merge",
		"fresh":   "neither",
	} {
		code, _, errs := showFor(t, cfg, name, logread.Query{Lines: -1})
		if code != exitFail || !strings.Contains(errs, msg) {
			t.Errorf("%s: exit %d %q, want 1 and %q", name, code, errs, msg)
		}
	}
}

func TestLogsFollow(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := logsConfig(t)
	paths, _ := logPaths(cfg, "web")
	r, w, _ := os.Pipe()
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- showLogs(ctx, paths, logread.Query{Lines: 1, KeepLive: true, Grep: regexpMust("keep|ok")}, true, w, os.Stderr)
		w.Close()
	}()
	buf := make([]byte, 4096)
	var got string
	read := func(want string) {
		t.Helper()
		r.SetReadDeadline(time.Now().Add(10 * time.Second))
		for !strings.HasSuffix(got, want) {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatalf("got %q, want suffix %q: %v", got, want, err)
			}
			got += string(buf[:n])
		}
	}
	read("ok\n")
	f, _ := os.OpenFile(paths[0], os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("drop me\nkeep 1\n")
	f.Close()
	read("keep 1\n")
	os.Rename(paths[0], paths[0]+".1")
	writeArchive(t, paths[0], "keep 2\n")
	read("keep 2\n")
	cancel()
	if code := <-done; code != 0 {
		t.Fatal(code)
	}
	if strings.Contains(got, "drop me") || strings.Contains(got, "timeout") {
		t.Fatalf("filters not applied: %q", got)
	}
}

func TestLogsUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"web", "--since", "yesterday"},
		{"web", "--until", "nope"},
		{"web", "--grep", "("},
		{"web", "-f", "--until", "1h"},
		{"web", "-n", "-2"},
		{"web", "--bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"logs"}, args...), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "Usage: supervise logs") {
			t.Errorf("logs %v: exit %d %q", args, code, errb.String())
		}
	}
	var out bytes.Buffer
	if code := run([]string{"logs", "-h"}, &out, &out); code != 0 || !strings.Contains(out.String(), "--since") {
		t.Errorf("-h: %d %q", code, out.String())
	}
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func TestLogsAndCtlWithConfigFile(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctl.sock")
	conf := filepath.Join(dir, "services.conf")
	os.WriteFile(conf, []byte("[supervise]\nlog_dir = "+dir+"\ncontrol = "+sock+"\n\n[service web]\ncommand = sleep 1000\n"), 0o644)
	writeArchive(t, filepath.Join(dir, "web.log.1.gz"), "from the archive\n")
	writeArchive(t, filepath.Join(dir, "web.log"), "live one\nlive two\n")

	var out, errb bytes.Buffer
	if code := run([]string{"logs", "web", "-c", conf, "-n", "2"}, &out, &errb); code != 0 || out.String() != "live one\nlive two\n" {
		t.Fatalf("logs -n 2: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"logs", "-c", conf, "web", "--grep", "archive"}, &out, &errb); code != 0 || out.String() != "from the archive\n" {
		t.Fatalf("logs --grep: %d %q %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"logs", "-c", conf, "nope"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `no such log "nope"`) {
		t.Fatalf("logs nope: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"logs", "-c", filepath.Join(dir, "missing.conf"), "web"}, &out, &errb); code != 1 {
		t.Fatalf("missing config: %d %q", code, errb.String())
	}
	// ctl -c takes the socket from the config.
	t.Setenv("SUPERVISE_SOCKET", "")
	errb.Reset()
	if code := run([]string{"ctl", "-c", conf, "status"}, &out, &errb); code != 3 || !strings.Contains(errb.String(), sock) {
		t.Fatalf("ctl -c without a supervisor: %d %q", code, errb.String())
	}
}
