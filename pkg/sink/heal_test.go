package sink

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

// TestLogDirDeleted: `rm -rf` of the log directory while a service writes.
// supervise recreates the directory, counts what the deleted file held as
// dropped with a marker line, and every later line lands on disk.
func TestLogDirDeleted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	m := NewManager(Options{})
	defer m.Close()
	pol := config.LogPolicy{Path: filepath.Join(dir, "svc.log"), RotateSize: 1 << 20, Keep: 3, FileMode: 0o644, MaxLine: 64 << 10}
	l, err := m.Open("svc", pol)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c.Stdout, "before 1")
	waitFor(t, "the first line written", func() bool { return l.Stats().BytesWritten > 0 })
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(); err != nil {
		t.Fatalf("rotate after the directory was deleted: %v", err)
	}
	fmt.Fprintln(c.Stdout, "after 1")
	c.CloseChildEnds()
	<-c.Done()
	b, err := os.ReadFile(pol.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := "supervise: dropped 9 bytes (log file deleted)\nafter 1\n"
	if string(b) != want {
		t.Errorf("live file:\n%s\nwant:\n%s", b, want)
	}
	if st := l.Stats(); st.DroppedBytes != 9 {
		t.Errorf("DroppedBytes %d, want 9", st.DroppedBytes)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("recreated directory: %v %v", fi, err)
	}
}
