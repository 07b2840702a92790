package sink

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

func TestErrPath(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/x.log": "/var/log/x.err.log",
		"/var/log/x":     "/var/log/x.err",
		"/a.b/x.txt":     "/a.b/x.err.txt",
	} {
		if got := ErrPath(in); got != want {
			t.Errorf("ErrPath(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestStderrSeparate(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	p.StderrSeparate = true
	p.RotateSize = 1000
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); writeLines(t, c.Stdout, "out", 500, 99, 1) }()
	go func() { defer wg.Done(); writeLines(t, c.Stderr, "err", 300, 99, 2) }()
	wg.Wait()
	c.CloseChildEnds()
	waitDone(t, c)
	checkLog(t, p.Path, map[string]uint64{"out": 500})
	checkLog(t, filepath.Join(dir, "svc.err.log"), map[string]uint64{"err": 300})
	if _, err := os.Stat(filepath.Join(dir, "svc.err.log.1")); err != nil {
		t.Fatalf("stderr log not rotated alike: %v", err)
	}
	if rot := l.Stats().Rotations; rot != 49+29 {
		t.Fatalf("rotations = %d, want %d", rot, 49+29)
	}
}

// syncBuffer is a console that tests can read while the Manager writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestConsoleAndOff(t *testing.T) {
	dir := t.TempDir()
	var con syncBuffer
	m := newManager(t, Options{Console: &con})
	pc := policy(dir)
	pc.Mode, pc.Path = config.LogConsole, ""
	lc, err := m.Open("web", pc)
	if err != nil {
		t.Fatal(err)
	}
	pf := policy(dir)
	pf.Console = true
	lf, err := m.Open("db", pf)
	if err != nil {
		t.Fatal(err)
	}
	po := policy(dir)
	po.Mode, po.Path = config.LogOff, ""
	lo, err := m.Open("quiet", po)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, lc, "hello\npartial")
	emit(t, lf, "both\n")
	// log=off still drains: a writer far beyond the pipe buffer finishes.
	emit(t, lo, strings.Repeat("discarded line\n", 200000))
	if err := m.Close(); err != nil { // flushes the console queue
		t.Fatal(err)
	}
	got := con.String()
	for _, want := range []string{"web | hello\n", "web | partial\n", "db | both\n"} {
		if !strings.Contains(got, want) {
			t.Fatalf("console %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "quiet") || strings.Contains(got, "discarded") {
		t.Fatal("log=off reached the console")
	}
	if read(t, pf.Path) != "both\n" {
		t.Fatal("console=true must also write the file")
	}
	if lc.Stats().Path != "" || lo.Stats().Path != "" {
		t.Fatal("console and off logs have no path")
	}
}

// TestUpdateKeepsEveryLine switches the log to another file and changes
// framing keys while lines are flowing: no line may be lost or doubled.
func TestUpdateKeepsEveryLine(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); writeLines(t, c.Stdout, "out", 30000, 120, 9) }()
	p2 := p
	p2.Path = filepath.Join(dir, "moved.log")
	p2.Timestamps = config.TimestampsUnix
	p2.RotateSize = 100 << 10
	if err := l.Update(p2); err != nil {
		t.Fatal(err)
	}
	<-done
	c.CloseChildEnds()
	waitDone(t, c)
	c1 := mustCheck(t, p.Path)
	c2 := mustCheck(t, p2.Path)
	if c1.Streams["out"] == nil && c2.Streams["out"] == nil {
		t.Fatal("no lines at all")
	}
	// The two files together hold every line once, in order.
	var all bytes.Buffer
	for _, path := range []string{p.Path, p2.Path} {
		all.WriteString(history(t, path))
	}
	chk := newChecker(30000)
	if err := chk.Read(&all); err != nil {
		t.Fatal(err)
	}
	if r := chk.Report(); !r.OK() {
		t.Fatalf("across the update: %s", r.String())
	}
	if l.Stats().Path != p2.Path {
		t.Fatalf("stats path %s", l.Stats().Path)
	}
}

func TestUpdateModeAndHardLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := policy(dir)
	// A hard link at the live name would make supervise append to victim.
	if err := os.Link(victim, p.Path); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "line\n")
	if got := read(t, victim); got != "precious\n" {
		t.Fatalf("victim changed: %q", got)
	}
	if got := read(t, p.Path); got != "supervise: replaced a hard link at svc.log\nline\n" {
		t.Fatalf("log = %q", got)
	}
	p.FileMode = 0o600
	if err := l.Update(p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after update = %v", fi.Mode().Perm())
	}
}
