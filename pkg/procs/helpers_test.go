package procs

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/signals"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fakeClock is a manual clock: timers fire only in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time on and fires, in order, every timer that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// testLogs captures each service's output through real pipes into memory,
// so EOF and drain behave as with the sink, without the sink.
type testLogs struct {
	mu   sync.Mutex
	logs map[string]*testLog
}

type testLog struct {
	name    string
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on each write
	wg      sync.WaitGroup
	updates int
	closed  bool
}

func (l *testLogs) Open(name string, p config.LogPolicy) (Log, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.logs == nil {
		l.logs = map[string]*testLog{}
	}
	tl := &testLog{name: name, changed: make(chan struct{})}
	l.logs[name] = tl
	return tl, nil
}

func (l *testLogs) get(name string) *testLog {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logs[name]
}

func (l *testLog) Attach(tty bool) (*Capture, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(done)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			if n > 0 {
				l.mu.Lock()
				l.buf.Write(b[:n])
				close(l.changed)
				l.changed = make(chan struct{})
				l.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return &Capture{
		Stdout: w, Stderr: w,
		CloseChildEnds: func() { w.Close() },
		Done:           done,
		// Abandoning the stream: closing the read end ends the copier.
		Close: func() { r.Close() },
	}, nil
}

func (l *testLog) Rotate() error { return nil }
func (l *testLog) Update(config.LogPolicy) error {
	l.mu.Lock()
	l.updates++
	l.mu.Unlock()
	return nil
}
func (l *testLog) Stats() LogStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LogStats{Path: "/test/" + l.name + ".log", BytesWritten: int64(l.buf.Len())}
}
func (l *testLog) Close() error {
	l.wg.Wait()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return nil
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits until the output contains s.
func (l *testLog) waitFor(t testing.TB, s string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		l.mu.Lock()
		out, ch := l.buf.String(), l.changed
		l.mu.Unlock()
		if strings.Contains(out, s) {
			return out
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("log %s: %q not seen within %v; have:\n%s", l.name, s, d, out)
		}
	}
}

// harness runs one Supervisor with a fake clock and records its events.
type harness struct {
	t       testing.TB
	s       *Supervisor
	clock   *fakeClock
	logs    *testLogs
	reaper  *signals.Reaper
	events  chan Event
	backlog []Event
	traces  chan string
	stderr  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newHarness(t testing.TB, cfg *config.Config, tweak ...func(*Options)) *harness {
	t.Helper()
	r, err := signals.NewReaper(signals.ReaperOptions{NoSubreaper: os.Getpid() == 1})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clock: newFakeClock(), logs: &testLogs{}, reaper: r,
		events: make(chan Event, 8192), traces: make(chan string, 1024), stderr: &lockedBuffer{}}
	opts := Options{Reaper: r, Logs: h.logs, Clock: h.clock, Stderr: h.stderr,
		OnEvent: func(e Event) { h.events <- e },
		trace: func(s string) {
			select {
			case h.traces <- s:
			default: // a test that does not wait for traces must not block the loop
			}
		}}
	for _, f := range tweak {
		f(&opts)
	}
	s, err := New(cfg, opts)
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(h.close)
	return h
}

// close shuts down (killing everything at once) and releases the harness.
func (h *harness) close() {
	h.s.Shutdown()
	for i := 0; i < 50; i++ {
		select {
		case <-h.s.Done():
			i = 50
		case <-time.After(100 * time.Millisecond):
			h.clock.Advance(time.Minute)
		}
	}
	if err := h.s.Close(); err != nil {
		h.t.Error(err)
	}
	h.reaper.Close()
	if h.t.Failed() {
		h.t.Logf("supervise stderr:\n%s", h.stderr.String())
	}
}

// next waits for the first event of kind for name not yet consumed;
// other events stay queued for later calls.
func (h *harness) next(kind, name string) Event {
	h.t.Helper()
	for i, e := range h.backlog {
		if e.Kind == kind && e.Service == name {
			h.backlog = append(h.backlog[:i:i], h.backlog[i+1:]...)
			return e
		}
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-h.events:
			if e.Kind == kind && e.Service == name {
				return e
			}
			h.backlog = append(h.backlog, e)
		case <-deadline:
			h.t.Fatalf("no %s event for %s; stderr:\n%s", kind, name, h.stderr.String())
		}
	}
}

// expectNone asserts no event of kind for name has been reported; call
// after status() so everything already caused has been reported.
func (h *harness) expectNone(kind, name string) {
	h.t.Helper()
	for {
		select {
		case e := <-h.events:
			h.backlog = append(h.backlog, e)
			continue
		default:
		}
		break
	}
	for _, e := range h.backlog {
		if e.Kind == kind && e.Service == name {
			h.t.Fatalf("unexpected event %s", strings.TrimSpace(e.Line()))
		}
	}
}

// waitTrace waits for an internal step.
func (h *harness) waitTrace(step string) {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-h.traces:
			if s == step {
				return
			}
		case <-deadline:
			h.t.Fatalf("step %q not reached; stderr:\n%s", step, h.stderr.String())
		}
	}
}

// status returns one service's row; it also proves the loop has finished
// everything posted before it.
func (h *harness) status(name string) Status {
	h.t.Helper()
	st, err := h.s.Status([]string{name})
	if err != nil {
		h.t.Fatal(err)
	}
	return st[0]
}

func (h *harness) wantState(name string, want State) Status {
	h.t.Helper()
	st := h.status(name)
	if st.State != want {
		h.t.Fatalf("%s: state %s, want %s; stderr:\n%s", name, st.State, want, h.stderr.String())
	}
	return st
}

// svc builds a service with the SPEC defaults.
func svc(name string, argv ...string) *config.Service {
	return &config.Service{
		Name: name, Command: argv,
		Restart: config.RestartOnFailure, StartSecs: time.Second,
		Backoff: time.Second, BackoffMax: time.Minute,
		StopSignal: syscall.SIGTERM, StopTimeout: 10 * time.Second,
		ReloadSignal: syscall.SIGHUP, Autostart: true,
	}
}

func sh(name, script string) *config.Service { return svc(name, "/bin/sh", "-c", script) }

func conf(svcs ...*config.Service) *config.Config {
	return &config.Config{
		File:      "test.conf",
		Supervise: config.Supervise{ShutdownTimeout: 30 * time.Second},
		Services:  svcs,
	}
}

func exitCodeOf(t testing.TB, st Status) int {
	t.Helper()
	if st.ExitCode == nil {
		t.Fatalf("%s: no exit code", st.Name)
	}
	return *st.ExitCode
}
