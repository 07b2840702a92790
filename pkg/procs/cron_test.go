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

// TestCronSkipsTickWhileAfterIsDown: a tick whose `after` service is not
// running is skipped and logged, not queued: starting the service later
// does not run the missed tick; the next tick runs.
func TestCronSkipsTickWhileAfterIsDown(t *testing.T) {
	db := svc("db", "/bin/sh", "-c", "while :; do sleep 1; done")
	db.Autostart = false
	db.StartSecs = 0
	job := sh("job", "echo ran")
	job.Schedule = schedule(t, "@every 5s")
	job.After = []string{"db"}
	h := newHarness(t, conf(db, job))
	h.s.Boot()
	h.wantState("job", StateScheduled)
	h.clock.Advance(5 * time.Second)
	e := h.next("skipped", "job")
	if !strings.Contains(e.Detail, "db, which it runs after, is stopped") {
		t.Errorf("skip detail %q", e.Detail)
	}
	h.wantState("job", StateScheduled)
	h.expectNone("started", "job")
	// `ctl start` of the job is refused with the reason while db is down.
	if err := h.s.Start([]string{"job"}); err == nil || !strings.Contains(err.Error(), "db, which it runs after, is stopped") {
		t.Errorf("ctl start job with db down: %v", err)
	}
	h.expectNone("started", "job")

	if err := h.s.Start([]string{"db"}); err != nil {
		t.Fatal(err)
	}
	h.expectNone("started", "job") // the skipped tick was not queued
	h.clock.Advance(5 * time.Second)
	h.next("started", "job")
	h.next("exited", "job")
	h.wantState("job", StateScheduled)
	if n := strings.Count(h.logs.get("job").String(), "ran\n"); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	// With db up, `ctl start` runs the job now.
	if err := h.s.Start([]string{"job"}); err != nil {
		t.Fatal(err)
	}
	h.next("started", "job")
}

// TestCronAfterOneshot: a job after a oneshot runs only once the oneshot
// has exited 0; after a failed oneshot its ticks are skipped, it is not
// made fatal (a cron job is never given up on).
func TestCronAfterOneshot(t *testing.T) {
	for _, tc := range []struct {
		code string
		runs bool
	}{{"0", true}, {"3", false}} {
		t.Run("exit"+tc.code, func(t *testing.T) {
			setup := sh("setup", "exit "+tc.code)
			setup.Oneshot = true
			job := sh("job", "echo ran")
			job.Schedule = schedule(t, "@every 5s")
			job.After = []string{"setup"}
			h := newHarness(t, conf(setup, job))
			h.s.Boot()
			h.next("exited", "setup")
			h.clock.Advance(5 * time.Second)
			if tc.runs {
				h.next("started", "job")
				h.next("exited", "job")
				return
			}
			e := h.next("skipped", "job")
			if !strings.Contains(e.Detail, "setup, which it runs after, is fatal") {
				t.Errorf("skip detail %q", e.Detail)
			}
			h.wantState("job", StateScheduled)
			h.expectNone("started", "job")
		})
	}
}

// TestStartAllArmsCronJobs: `ctl start all` arms cron jobs and starts
// services; it does not run an armed job now (only naming it does), so it
// does not fail on a job whose `after` is still starting.
func TestStartAllArmsCronJobs(t *testing.T) {
	db := svc("db", "/bin/sh", "-c", "while :; do sleep 1; done")
	db.StartSecs = 0
	job := sh("job", "echo ran")
	job.Schedule = schedule(t, "@every 1h")
	job.After = []string{"db"}
	h := newHarness(t, conf(db, job))
	h.s.Boot()
	h.next("started", "db")
	h.wantState("job", StateScheduled)
	if err := h.s.Stop([]string{"db"}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Start([]string{"all"}); err != nil {
		t.Fatalf("start all: %v", err)
	}
	h.wantState("db", StateRunning)
	h.wantState("job", StateScheduled)
	h.expectNone("started", "job")
	h.expectNone("skipped", "job")
}
