package procs

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// TestBackoffDoublesToMax follows a service that always fails at once:
// delays 1s, 2s, 4s, 4s (backoff_max), each checked on the fake clock to
// the millisecond.
func TestBackoffDoublesToMax(t *testing.T) {
	c := sh("flaky", "exit 3")
	c.BackoffMax = 4 * time.Second
	h := newHarness(t, conf(c))
	h.s.Boot()
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		h.next("started", "flaky")
		e := h.next("backoff", "flaky")
		if !strings.Contains(e.Detail, "restarting in "+want.String()+" (exit 3)") {
			t.Fatalf("backoff %d: %q, want a delay of %s", i, e.Detail, want)
		}
		st := h.wantState("flaky", StateBackoff)
		if st.Restarts != i || exitCodeOf(t, st) != 3 {
			t.Fatalf("backoff %d: restarts %d exit %v", i, st.Restarts, *st.ExitCode)
		}
		h.clock.Advance(want - time.Millisecond)
		h.wantState("flaky", StateBackoff)
		h.expectNone("started", "flaky")
		h.clock.Advance(time.Millisecond)
	}
	h.next("started", "flaky")
}

// TestBackoffResetsAfterLongRun: a run longer than start_secs resets the
// delay to backoff and the failed-start streak.
func TestBackoffResetsAfterLongRun(t *testing.T) {
	// The command fails fast while the marker file is absent and waits
	// (until signalled) once it exists, so one service shows both kinds
	// of run.
	dir := t.TempDir()
	c := sh("svc", `if [ -e `+dir+`/long ]; then echo waiting; exec sleep 1000; fi; exit 1`)
	c.BackoffMax = time.Minute
	h := newHarness(t, conf(c))
	h.s.Boot()
	for _, want := range []string{"1s", "2s", "4s"} {
		h.next("started", "svc")
		if e := h.next("backoff", "svc"); !strings.Contains(e.Detail, "restarting in "+want) {
			t.Fatalf("got %q, want %s", e.Detail, want)
		}
		if want == "4s" {
			touch(t, dir+"/long")
		}
		d, _ := time.ParseDuration(want)
		h.clock.Advance(d)
	}
	h.next("started", "svc")
	h.logs.get("svc").waitFor(t, "waiting", 10*time.Second)
	h.clock.Advance(time.Second) // past start_secs
	st := h.wantState("svc", StateRunning)
	if !st.Healthy || st.Restarts != 3 {
		t.Fatalf("running: healthy %v restarts %d", st.Healthy, st.Restarts)
	}
	h.clock.Advance(time.Hour)
	if err := h.s.Signal(15, []string{"svc"}); err != nil {
		t.Fatal(err)
	}
	// Killed by TERM counts as a failure for on-failure, but the run was
	// long: the delay starts over at 1s.
	if e := h.next("backoff", "svc"); !strings.Contains(e.Detail, "restarting in 1s (exit 143)") {
		t.Fatalf("after a long run: %q", e.Detail)
	}
}

func TestMaxRestartsFatal(t *testing.T) {
	c := sh("bad", "exit 2")
	c.MaxRestarts = 3
	h := newHarness(t, conf(c))
	h.s.Boot()
	for run := 1; run <= 4; run++ {
		h.next("started", "bad")
		if run < 4 {
			h.next("backoff", "bad")
			h.clock.Advance(time.Minute)
		}
	}
	e := h.next("fatal", "bad")
	if !strings.Contains(e.Detail, "4 failed starts in a row") {
		t.Errorf("fatal detail %q", e.Detail)
	}
	st := h.wantState("bad", StateFatal)
	if st.Restarts != 3 || st.Healthy {
		t.Errorf("fatal: restarts %d healthy %v, want 3 restarts (4 runs), unhealthy", st.Restarts, st.Healthy)
	}
	h.clock.Advance(time.Hour)
	h.expectNone("started", "bad")
	// ctl start gives a fatal service a fresh start.
	go func() { _ = h.s.Start([]string{"bad"}) }()
	h.next("started", "bad")
}

func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		policy config.Restart
		code   string
		want   State
	}{
		{config.RestartOnFailure, "0", StateExited},
		{config.RestartOnFailure, "1", StateBackoff},
		{config.RestartAlways, "0", StateBackoff},
		{config.RestartNever, "1", StateExited},
		{config.RestartNever, "0", StateExited},
	}
	for _, tt := range tests {
		c := sh("svc", "exit "+tt.code)
		c.Restart = tt.policy
		h := newHarness(t, conf(c))
		h.s.Boot()
		h.next("exited", "svc")
		if st := h.status("svc"); st.State != tt.want {
			t.Errorf("policy %d exit %s: state %s, want %s", tt.policy, tt.code, st.State, tt.want)
		}
		h.close()
	}
}

func TestStartSecsMakesRunning(t *testing.T) {
	c := svc("long", "/bin/sleep", "1000")
	c.StartSecs = 5 * time.Second
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.next("started", "long")
	st := h.wantState("long", StateStarting)
	if st.PID == 0 || st.Healthy {
		t.Fatalf("starting: pid %d healthy %v", st.PID, st.Healthy)
	}
	h.clock.Advance(5*time.Second - time.Millisecond)
	h.wantState("long", StateStarting)
	h.clock.Advance(time.Millisecond)
	st = h.wantState("long", StateRunning)
	if !st.Healthy || st.Uptime != 5*time.Second {
		t.Fatalf("running: healthy %v uptime %v", st.Healthy, st.Uptime)
	}
}

func TestExecFailureCodes(t *testing.T) {
	a := svc("missing", "/nonexistent/program")
	a.Restart = config.RestartNever
	b := svc("notexec", "/etc/hostname")
	b.Restart = config.RestartNever
	h := newHarness(t, conf(a, b))
	h.s.Boot()
	h.next("exited", "missing")
	h.next("exited", "notexec")
	if got := exitCodeOf(t, h.wantState("missing", StateExited)); got != 127 {
		t.Errorf("missing program: exit %d, want 127", got)
	}
	if got := exitCodeOf(t, h.wantState("notexec", StateExited)); got != 126 {
		t.Errorf("non-executable: exit %d, want 126", got)
	}
}

func touch(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
