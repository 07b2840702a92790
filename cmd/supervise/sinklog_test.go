package main

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink"
)

// TestSinkLogStats: the adapter hands procs every counter of the sink,
// so `ctl status` and metrics see what the sink counted.
func TestSinkLogStats(t *testing.T) {
	dir := t.TempDir()
	mgr := sink.NewManager(sink.Options{Console: io.Discard})
	defer mgr.Close()
	pol := config.LogPolicy{Mode: config.LogFile, Path: filepath.Join(dir, "web.log"), Keep: 3, Compress: config.CompressNone,
		FileMode: 0o644, MaxLine: 64 << 10, RotateEvery: config.PeriodNever}
	l, err := sinkLogs{mgr}.Open("web", pol)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c.Stdout, "hello\n"); err != nil {
		t.Fatal(err)
	}
	c.CloseChildEnds()
	select {
	case <-c.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not finish")
	}
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Path != pol.Path || st.Bytes != 0 || st.BytesWritten != 6 || st.Rotations != 1 {
		t.Errorf("stats %+v, want path %s, 0 live bytes, 6 written, 1 rotation", st, pol.Path)
	}
}
