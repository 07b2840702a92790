package sink

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

func TestCaptureMergedLines(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	p := policy(dir)
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
	go func() { defer wg.Done(); writeLines(t, c.Stdout, "out", 20000, 199, 1) }()
	go func() { defer wg.Done(); writeLines(t, c.Stderr, "err", 20000, 57, 2) }()
	wg.Wait()
	c.CloseChildEnds()
	waitDone(t, c)
	r := checkLog(t, p.Path, map[string]uint64{"out": 20000, "err": 20000})
	if r.Lines != 40000 {
		t.Fatalf("lines = %d", r.Lines)
	}
	st := l.Stats()
	if want := int64(20000*199 + 20000*57); st.BytesWritten != want || st.Bytes != want {
		t.Fatalf("stats %+v, want %d bytes", st, want)
	}
}

func TestPartialLastLine(t *testing.T) {
	for _, tty := range []bool{false, true} {
		name := "pipe"
		if tty {
			name = "pty"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, Options{})
			p := policy(dir)
			l, err := m.Open("svc", p)
			if err != nil {
				t.Fatal(err)
			}
			c, err := l.Attach(tty)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Stdout.WriteString("first\nno newline at exit"); err != nil {
				t.Fatal(err)
			}
			c.CloseChildEnds() // pty: the master now reads EIO, which is EOF
			waitDone(t, c)
			got, err := os.ReadFile(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "first\nno newline at exit\n" {
				t.Fatalf("log = %q", got)
			}
		})
	}
}

func TestSizeRotationNumbered(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	p := policy(dir)
	p.RotateSize = 4000 // 199-byte lines do not divide it
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, c.Stdout, "out", 5000, 199, 3)
	c.CloseChildEnds()
	waitDone(t, c)
	checkLog(t, p.Path, map[string]uint64{"out": 5000})
	as, err := archive.List(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	// 20 lines (3980 bytes) fit in 4000: 5000 lines make 250 files.
	if len(as) != 249 || l.Stats().Rotations != 249 {
		t.Fatalf("%d archives, %d rotations, want 249", len(as), l.Stats().Rotations)
	}
	for _, a := range as {
		fi, err := os.Stat(filepath.Join(dir, a.Name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 3980 {
			t.Fatalf("%s is %d bytes, want 3980", a.Name, fi.Size())
		}
		if !strings.HasPrefix(a.Name, "svc.log.") || a.Dated {
			t.Fatalf("unexpected archive name %s", a.Name)
		}
	}
	_ = config.LogFile
}
