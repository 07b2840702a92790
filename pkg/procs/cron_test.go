package procs

import (
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/cron"
)

func schedule(t *testing.T, spec string) *cron.Schedule {
	t.Helper()
	s, err := cron.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCronRunsEachTick: a cron job is `scheduled` between runs with its
// next run shown, runs at each tick, and is never restarted on failure.
func TestCronRunsEachTick(t *testing.T) {
	c := sh("job", "echo ran; exit 1")
	c.Schedule = schedule(t, "@every 5s")
	h := newHarness(t, conf(c))
	start := h.clock.Now()
	h.s.Boot()
	st := h.wantState("job", StateScheduled)
	if want := c.Schedule.Next(start); !st.NextRun.Equal(want) || !want.After(start) {
		t.Fatalf("next run %v, want %v", st.NextRun, want)
	}
	if !st.Healthy {
		t.Error("a cron job is not subject to health")
	}
	for i := 1; i <= 3; i++ {
		h.clock.Advance(st.NextRun.Sub(h.clock.Now()))
		h.next("started", "job")
		h.next("exited", "job")
		st = h.wantState("job", StateScheduled)
		if exitCodeOf(t, st) != 1 || st.Restarts != 0 {
			t.Fatalf("tick %d: exit %v restarts %d", i, *st.ExitCode, st.Restarts)
		}
		if !st.NextRun.After(h.clock.Now()) {
			t.Fatalf("tick %d: next run %v not after now %v", i, st.NextRun, h.clock.Now())
		}
	}
	h.expectNone("backoff", "job")
	if n := strings.Count(h.logs.get("job").String(), "ran\n"); n != 3 {
		t.Errorf("%d runs logged, want 3", n)
	}
}

// TestCronSkipsOverlappingTick: a tick that comes while the previous run
// still goes is skipped and logged, not queued.
func TestCronSkipsOverlappingTick(t *testing.T) {
	c := sh("slow", `echo started; while :; do sleep 1; done`)
	c.Schedule = schedule(t, "@every 5s")
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.wantState("slow", StateScheduled)
	h.clock.Advance(5 * time.Second)
	h.next("started", "slow")
	pid := h.wantState("slow", StateRunning).PID
	h.clock.Advance(5 * time.Second)
	e := h.next("skipped", "slow")
	if !strings.Contains(e.Detail, "still going") {
		t.Errorf("skip detail %q", e.Detail)
	}
	if st := h.wantState("slow", StateRunning); st.PID != pid {
		t.Errorf("a second run started (pid %d, first %d)", st.PID, pid)
	}
	h.expectNone("started", "slow")
	// Shutdown: the job is stopped and no tick starts it again.
	h.s.Shutdown()
	<-h.s.Done()
	h.clock.Advance(time.Minute)
	h.expectNone("started", "slow")
}
