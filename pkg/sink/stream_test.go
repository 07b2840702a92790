package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
)

// TestStreamModes: a stream turns busy under a burst (its thread waits in
// poll(2)), goes back to the netpoller when quiet, and no line is lost or
// torn across either change.
func TestStreamModes(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	p := policy(dir)
	c := attachPipes(t, m, "svc", p)
	r := c.readers[0]
	const burst = 20000 // lines of 199 bytes: ~4 MiB, well over busyBytes
	writeRange(t, c.Stdout, "out", 0, burst, 199, 1)
	waitFor(t, "the stream to turn busy", func() bool { return r.turns.Load() == 1 })
	waitFor(t, "the quiet stream to park", func() bool { return !r.busy.Load() })
	// A trickle stays in the netpoller; the next burst turns busy again.
	writeRange(t, c.Stdout, "out", burst, 10, 199, 2)
	time.Sleep(2 * busyWait) // not a barrier: a chance for the trickle to be read
	if r.busy.Load() || r.turns.Load() != 1 {
		t.Fatal("ten lines made the stream busy")
	}
	writeRange(t, c.Stdout, "out", burst+10, burst, 199, 3)
	waitFor(t, "the stream to turn busy again", func() bool { return r.turns.Load() == 2 })
	c.CloseChildEnds()
	waitDone(t, c)
	checkLog(t, p.Path, map[string]uint64{"out": 2*burst + 10})
}

// TestCloseBusyStream: Close stops a busy reader whose pipe a grandchild
// still holds, after draining what was written.
func TestCloseBusyStream(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	p := policy(dir)
	c := attachPipes(t, m, "svc", p)
	fd, err := unix.Dup(int(c.Stdout.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	held := os.NewFile(uintptr(fd), "grandchild")
	defer held.Close()
	c.CloseChildEnds()
	// The grandchild writes until the stream is busy, then stops without
	// closing; Close comes right after, while the reader waits in poll(2)
	// (or, on a slow machine, has already parked: both must drain).
	var n uint64
	for c.readers[0].turns.Load() == 0 {
		if n == 200000 { // 40 MB
			t.Fatal("the stream never turned busy")
		}
		writeRange(t, held, "out", n, 1000, 199, n)
		n += 1000
	}
	c.Close()
	checkLog(t, p.Path, map[string]uint64{"out": n})
}

// TestQuietStreamsHoldNoThread: streams that are not busy wait in the
// netpoller, so a hundred quiet services do not cost a hundred threads
// (Go never ends a thread it made).
func TestQuietStreamsHoldNoThread(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	before := threads(t)
	const n = 50
	var caps []*Capture
	for i := range n {
		p := policy(dir)
		p.Path = filepath.Join(dir, "svc"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+".log")
		c := attachPipes(t, m, "svc"+p.Path, p)
		caps = append(caps, c)
		if _, err := c.Stdout.WriteString("started\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Stderr.WriteString("warning\n"); err != nil {
			t.Fatal(err)
		}
		defer func(p string) {
			c.CloseChildEnds()
			waitDone(t, c)
			if got := read(t, p); got != "started\nwarning\n" && got != "warning\nstarted\n" {
				t.Errorf("%s = %q", p, got)
			}
		}(p.Path)
	}
	// Give every reader time to read its line and wait again.
	time.Sleep(2 * busyWait)
	if after := threads(t); after > before+10 {
		t.Fatalf("%d quiet streams made %d threads (%d before)", 2*n, after-before, before)
	}
}

func threads(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestBufferGrowsWithTheStream: a quiet stream keeps a buffer of a few KiB;
// a chatty one grows to full-size reads. Every line is whole either way.
func TestBufferGrowsWithTheStream(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lines    uint64
		min, max int
	}{
		// 8000 bytes in all: reads that lag behind can double the first
		// 4 KiB chunk once, never twice.
		{"quiet", 100, 0, 3 * minChunk},
		{"chatty", 40000, readSize, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, Options{})
			p := policy(dir)
			c := attachPipes(t, m, "svc", p)
			if tc.lines < 1000 {
				// One line per write, as a quiet service does.
				for i := range tc.lines {
					writeRange(t, c.Stdout, "out", i, 1, 80, i)
				}
			} else {
				writeLines(t, c.Stdout, "out", tc.lines, 199, 1)
			}
			c.CloseChildEnds()
			waitDone(t, c) // the reader has finished: its buffer is ours to look at
			if got := len(c.readers[0].buf); got < tc.min || got > tc.max {
				t.Fatalf("buffer of %d bytes, want %d..%d", got, tc.min, tc.max)
			}
			checkLog(t, p.Path, map[string]uint64{"out": tc.lines})
		})
	}
}

// attachPipes opens log name with policy p and attaches a pipe capture.
func attachPipes(t *testing.T, m *Manager, name string, p config.LogPolicy) *Capture {
	t.Helper()
	l, err := m.Open(name, p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestQuietStreamStaysParked: a quiet stream keeps one registration in the
// netpoller across its lines (no dup or epoll_ctl per line); turning busy
// takes it out.
func TestQuietStreamStaysParked(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	p := policy(dir)
	c := attachPipes(t, m, "svc", p)
	r := c.readers[0]
	parked := func() *os.File {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.parked
	}
	var first *os.File
	for i := range uint64(5) {
		writeRange(t, c.Stdout, "out", i, 1, 80, i)
		waitFor(t, "the line to be written", func() bool { return len(read(t, p.Path)) == int(i+1)*80 })
		waitFor(t, "the stream to park", func() bool { return parked() != nil })
		if first == nil {
			first = parked()
		} else if parked() != first {
			t.Fatalf("line %d: parked through a new descriptor", i)
		}
	}
	writeRange(t, c.Stdout, "out", 5, 20000, 199, 9)
	waitFor(t, "the stream to turn busy", func() bool { return r.turns.Load() == 1 })
	if r.busy.Load() && parked() == first {
		t.Fatal("a busy stream is still registered in the netpoller")
	}
	c.CloseChildEnds()
	waitDone(t, c)
	checkLog(t, p.Path, map[string]uint64{"out": 20005})
}
