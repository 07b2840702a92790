package sink

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPTYProcess runs a real child on the pty: it sees a terminal, its "\n"
// stays "\n" (ONLCR is off), its partial last line gets a newline, and the
// master's EIO after it exits counts as EOF. (sink runs no reaper, so this
// test may wait for its child with exec.)
func TestPTYProcess(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Stdout != c.Stderr {
		t.Fatal("tty: stdout and stderr must be the same file")
	}
	cmd := exec.Command("sh", "-c", `test -t 1 && echo tty; stty size </dev/tty; echo err >&2; printf 'a\r b\r c\n'; printf partial`)
	cmd.Stdout, cmd.Stderr = c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1} // Ctty: the child's fd 1
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.CloseChildEnds()
	waitDone(t, c)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	size := "24 80"
	if w, err := unix.IoctlGetWinsize(1, unix.TIOCGWINSZ); err == nil && w.Row > 0 && w.Col > 0 {
		size = fmt.Sprintf("%d %d", w.Row, w.Col) // run from a terminal: its size
	}
	if got, want := read(t, p.Path), "tty\n"+size+"\nerr\na\r b\r c\npartial\n"; got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
}

// TestCaptureCloseWithHeldPipe: a grandchild keeps the pipe open after the
// service exited; at the drain deadline Close stops reading and still
// writes the partial line.
func TestCaptureCloseWithHeldPipe(t *testing.T) {
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
	fd, err := unix.Dup(int(c.Stdout.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	held := os.NewFile(uintptr(fd), "grandchild")
	defer held.Close()
	if _, err := c.Stdout.WriteString("whole\nhalf"); err != nil {
		t.Fatal(err)
	}
	c.CloseChildEnds()
	// Wait until the reader has both pieces before the deadline.
	waitFor(t, "the whole line", func() bool { return read(t, p.Path) == "whole\n" })
	select {
	case <-c.Done():
		t.Fatal("Done before EOF while a grandchild holds the pipe")
	default:
	}
	c.Close()
	<-c.Done()
	if got := read(t, p.Path); got != "whole\nhalf\n" {
		t.Fatalf("log = %q", got)
	}
}

// TestLogCloseStopsCaptures: closing the log (shutdown) ends its captures
// without leaking their goroutines.
func TestLogCloseStopsCaptures(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{})
	l, err := m.Open("svc", policy(dir))
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout.WriteString("x")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if _, err := l.Attach(false); err == nil {
		t.Fatal("attach after close succeeded")
	}
	c.Close() // idempotent
}
