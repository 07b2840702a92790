package sink

import (
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/linecheck"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// Environment of the re-executed test binary acting as a program that
// writes its own log file (the os/exec TestHelperProcess pattern).
const (
	helperPath   = "SINK_LOGFILE_HELPER_PATH"
	helperLines  = "SINK_LOGFILE_HELPER_LINES"
	helperSize   = "SINK_LOGFILE_HELPER_SIZE"
	helperReopen = "SINK_LOGFILE_HELPER_REOPEN"
)

// TestLogfileHelperProcess is not a test: run with helperPath set, it
// writes numbered lines to that path, one write(2) per line with O_APPEND,
// as fast as it can; with helperReopen=1 it reopens the path on SIGHUP
// between two lines, as a well-behaved daemon does. It exits 0 when done.
func TestLogfileHelperProcess(t *testing.T) {
	path := os.Getenv(helperPath)
	if path == "" {
		t.Skip("helper process for the [logfile] tests")
	}
	n, _ := strconv.ParseUint(os.Getenv(helperLines), 10, 64)
	size, _ := strconv.Atoi(os.Getenv(helperSize))
	hup := make(chan os.Signal, 1)
	if os.Getenv(helperReopen) == "1" {
		signal.Notify(hup, syscall.SIGHUP)
	}
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(3)
		}
		return f
	}
	f := open()
	var buf []byte
	for i := uint64(0); i < n; i++ {
		select {
		case <-hup:
			f.Close()
			f = open()
		default:
		}
		if i%100 == 99 {
			// Pacing, not synchronization: leave the watcher some CPU on
			// a loaded machine so that rotations happen during the run.
			time.Sleep(100 * time.Microsecond)
		}
		buf = linecheck.Line(buf[:0], "out", i, size)
		if _, err := f.Write(buf); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(4)
		}
	}
	f.Close()
	os.Exit(0)
}

// startWriter runs the helper writing n lines of size bytes to path.
func startWriter(t *testing.T, path string, n uint64, size int, reopen bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLogfileHelperProcess$")
	r := "0"
	if reopen {
		r = "1"
	}
	cmd.Env = append(os.Environ(), helperPath+"="+path, helperLines+"="+strconv.FormatUint(n, 10),
		helperSize+"="+strconv.Itoa(size), helperReopen+"="+r)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitExit waits for the helper with a deadline (sink runs no reaper, so a
// test may wait for its child).
func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("writer: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("writer did not finish")
	}
}

// lfEvents collects a Manager's lfEvents.
type lfEvents struct {
	mu sync.Mutex
	es []Event
}

func (e *lfEvents) add(ev Event) {
	e.mu.Lock()
	e.es = append(e.es, ev)
	e.mu.Unlock()
}

func (e *lfEvents) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.es {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func (e *lfEvents) find(kind string) (Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.es {
		if ev.Kind == kind {
			return ev, true
		}
	}
	return Event{}, false
}

// logfileSection is a [logfile] with rotation off, no compression and a
// check period long enough that only the test's own calls check.
func logfileSection(name, path string) *config.Logfile {
	pol := config.LogPolicy{Mode: config.LogFile, Keep: 1 << 20, FileMode: 0o644, RotateEvery: config.PeriodNever, Compress: config.CompressNone}
	return &config.Logfile{Name: name, Path: path, Method: config.MethodRename, Signal: syscall.SIGHUP, CheckEvery: time.Hour, Log: pol}
}

func newLogfiles(t *testing.T, m *Manager, sections []*config.Logfile, sig SignalFunc) *Logfiles {
	t.Helper()
	lf := NewLogfiles(m, sections, sig)
	t.Cleanup(func() { lf.Close() })
	return lf
}

func watcherOf(t *testing.T, lf *Logfiles, name string) *watcher {
	t.Helper()
	lf.mu.Lock()
	defer lf.mu.Unlock()
	w, ok := lf.watchers[name]
	if !ok {
		t.Fatalf("no watcher %s", name)
	}
	return w
}

// historyBytes is the decompressed size of a live file and its archives.
func historyBytes(t *testing.T, path string) int64 {
	t.Helper()
	files, err := archive.Files(path)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range files {
		r, err := archive.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// waitState is waitFor that says what it saw when it gives up.
func waitState(t *testing.T, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; state: %s", what, state())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// listing describes a directory for a failure message.
func listing(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var b []byte
	for _, e := range ents {
		fi, _ := e.Info()
		if fi != nil {
			b = append(b, e.Name()+"("+strconv.FormatInt(fi.Size(), 10)+") "...)
		}
	}
	return string(b)
}
