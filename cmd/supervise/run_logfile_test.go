package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPID1Logfile drives [logfile] through the real binary: a service writes
// its own file and reopens it on HUP; `ctl rotate NAME` and USR1 rename it
// and signal the service; a reload adds a copytruncate [logfile]; an unknown
// name is refused. Every line the service wrote is found exactly once.
func TestPID1Logfile(t *testing.T) {
	conf := pid1Header + `
[service app]
command = sh -c 'mkdir -p DIR/app; f=DIR/app/app.log; trap "exec >>$f" HUP; exec >>$f; i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.002; done'

[logfile applog]
path = DIR/app/*.log
service = app
compress = none
rotate_every = never
check_every = 1h
`
	p := startPID1(t, conf)
	sock := filepath.Join(p.dir, "run", "sock")
	live := filepath.Join(p.dir, "app", "app.log")
	hasLines := func(path string) func() (int, bool) {
		return func() (int, bool) {
			b, _ := os.ReadFile(path)
			return 0, strings.Count(string(b), "\n") >= 5
		}
	}
	p.waitFor(hasLines(live))
	p.waitFor(func() (int, bool) { _, err := os.Stat(sock); return 0, err == nil })

	if resp := ctlDo(t, sock, "rotate", "applog"); !resp.OK {
		t.Fatalf("ctl rotate applog: %+v", resp)
	}
	if _, err := os.Stat(live + ".1"); err != nil {
		t.Fatalf("after ctl rotate: %v", err)
	}
	p.waitFor(hasLines(live)) // the service reopened on HUP and writes on
	if err := syscall.Kill(p.hostPID(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	p.waitFor(func() (int, bool) { _, err := os.Stat(live + ".2"); return 0, err == nil })
	p.waitFor(hasLines(live))

	// A reload adds a copytruncate [logfile] for a file nobody reopens.
	other := filepath.Join(p.dir, "other.log")
	if err := os.WriteFile(other, []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(p.dir, "services.conf")
	good := strings.ReplaceAll(conf, "DIR", p.dir)
	added := good + fmt.Sprintf("\n[logfile other]\npath = %s\nmethod = copytruncate\ncompress = none\n", other)
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	if resp := ctlDo(t, sock, "reload"); !resp.OK {
		t.Fatalf("reload: %+v", resp)
	}
	if resp := ctlDo(t, sock, "rotate", "other"); !resp.OK {
		t.Fatalf("ctl rotate other: %+v", resp)
	}
	if b, err := os.ReadFile(other + ".1"); err != nil || string(b) != "kept\n" {
		t.Fatalf("other.log.1 = %q, %v", b, err)
	}
	if fi, err := os.Stat(other); err != nil || fi.Size() != 0 {
		t.Fatalf("other.log not truncated: %v %v", fi, err)
	}
	if resp := ctlDo(t, sock, "rotate", "nosuch"); resp.OK {
		t.Errorf("ctl rotate of an unknown name succeeded")
	}

	if resp := ctlDo(t, sock, "stop", "app"); !resp.OK {
		t.Fatalf("stop: %+v", resp)
	}
	// Oldest first: app.log.N ... app.log.1, app.log.
	var all strings.Builder
	for n := 2; n >= 1; n-- {
		b, err := os.ReadFile(live + "." + strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	b, _ := os.ReadFile(live)
	all.Write(b)
	lines := strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n")
	for i, l := range lines {
		if l != fmt.Sprintf("line %d", i+1) {
			t.Fatalf("line %d of the history is %q, want %q (lost, duplicated or reordered)", i+1, l, fmt.Sprintf("line %d", i+1))
		}
	}
	if !strings.Contains(p.stderr(), "rotated applog") || !strings.Contains(p.stderr(), "rotated other") {
		t.Errorf("no rotated events:\n%s", p.stderr())
	}
	ctlDo(t, sock, "shutdown")
	if code := p.wait(); code != 0 {
		t.Errorf("exit %d after ctl shutdown, want 0\n%s", code, p.stderr())
	}
	t.Logf("%d lines across app.log.2, app.log.1 and app.log, each exactly once", len(lines))
}
