package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWriteErrorReopens: a write error other than ENOSPC (here EBADF from a
// descriptor that cannot write) drops and counts the lines, leaves the
// output in the dropping state with no file, and the disk guard reopens the
// file and writes the marker.
func TestWriteErrorReopens(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	m := newManager(t, Options{GuardEvery: time.Hour})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "before\n")
	o := l.route.Load().out
	ro, err := os.Open(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	o.f.Close()
	o.f = ro // writes now fail with EBADF
	o.mu.Unlock()
	emit(t, l, "lost 1\nlost 2\n")
	if st := l.Stats(); st.DroppedBytes != 14 || st.LastError == nil {
		t.Fatalf("stats %+v", st)
	}
	// The write error woke the guard, which reopens the file and writes
	// the marker; a housekeeping pass does the same if it has not yet.
	m.housekeepNow(false)
	o.mu.Lock()
	state, f := o.state, o.f
	o.mu.Unlock()
	if state != stateOpen || f == nil || f == ro {
		t.Fatalf("not reopened: state %d", state)
	}
	emit(t, l, "after\n")
	want := "before\nsupervise: dropped 14 bytes (write error: bad file descriptor)\nafter\n"
	if got := read(t, p.Path); got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
}

// TestRotationFailureKeepsWriting: when the live file cannot be renamed
// (a bind mount on it makes rename fail with EBUSY), lines keep going to the
// live file past rotate_size, rotation is retried a second later rather
// than on every write, and succeeds once the obstacle is gone.
func TestRotationFailureKeepsWriting(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bind mounts need root")
	}
	dir := t.TempDir()
	p := policy(dir)
	p.RotateSize = 100
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)}
	m := newManager(t, Options{Now: clk.now, GuardEvery: time.Hour})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(src, p.Path, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("bind mount: %v", err)
	}
	mounted := true
	defer func() {
		if mounted {
			unix.Unmount(p.Path, unix.MNT_DETACH)
		}
	}()
	line := strings.Repeat("x", 59) + "\n"
	for range 5 {
		emit(t, l, line)
	}
	if l.Stats().Rotations != 0 || l.Stats().LastError == nil {
		t.Fatalf("rotation should have failed: %+v", l.Stats())
	}
	if err := unix.Unmount(p.Path, unix.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	mounted = false
	// Everything went on into the live file, past rotate_size.
	if got := read(t, p.Path); got != strings.Repeat(line, 5) {
		t.Fatalf("live file has %d bytes, want all 5 lines", len(got))
	}
	clk.add(2 * time.Second)
	emit(t, l, line)
	if l.Stats().Rotations == 0 {
		t.Fatal("rotation not retried")
	}
	if got := read(t, p.Path+".1"); got != strings.Repeat(line, 5) {
		t.Fatalf("archive has %d bytes, want the 5 lines", len(got))
	}
}
