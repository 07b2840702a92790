package procs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

func TestCtlStartStopRestart(t *testing.T) {
	a := svc("a", "/bin/sleep", "1000")
	b := svc("b", "/bin/sleep", "1000")
	b.After = []string{"a"}
	a.Autostart, b.Autostart = false, false
	h := newHarness(t, conf(a, b))
	h.s.Boot()
	h.wantState("a", StateStopped)
	// ctl start b pulls in a, and returns once b is running.
	started := make(chan error, 1)
	go func() { started <- h.s.Start([]string{"b"}) }()
	h.next("started", "a")
	h.clock.Advance(time.Second)
	h.next("started", "b")
	h.clock.Advance(time.Second)
	if err := waitErr(t, started); err != nil {
		t.Fatal(err)
	}
	pid := h.wantState("b", StateRunning).PID
	restarted := make(chan error, 1)
	go func() { restarted <- h.s.Restart([]string{"b"}) }()
	h.next("exited", "b")
	h.next("started", "b")
	h.clock.Advance(time.Second)
	if err := waitErr(t, restarted); err != nil {
		t.Fatal(err)
	}
	if st := h.wantState("b", StateRunning); st.PID == pid || st.PID == 0 {
		t.Errorf("restart kept pid %d", pid)
	}
	if err := h.s.Stop([]string{"all"}); err != nil {
		t.Fatal(err)
	}
	h.wantState("a", StateStopped)
	h.wantState("b", StateStopped)
	if err := h.s.Start([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := h.s.Status([]string{"nope"}); err == nil {
		t.Error("status of an unknown name: no error")
	}
}

func TestCtlStartReportsFailure(t *testing.T) {
	c := sh("bad", "exit 9")
	c.Autostart = false
	h := newHarness(t, conf(c))
	h.s.Boot()
	err := h.s.Start([]string{"bad"})
	if err == nil || !strings.Contains(err.Error(), "backoff (exit 9)") {
		t.Fatalf("start of a failing service: %v", err)
	}
}

func TestSignalAndForward(t *testing.T) {
	rec := sh("rec", `trap 'echo got USR2' USR2; trap 'echo got WINCH' WINCH; trap 'echo got HUP' HUP; echo ready; while :; do sleep 0.05; done`)
	other := sh("other", `trap 'echo got USR2' USR2; echo ready; while :; do sleep 0.05; done`)
	h := newHarness(t, conf(rec, other))
	h.s.Boot()
	h.logs.get("rec").waitFor(t, "ready", 10*time.Second)
	h.logs.get("other").waitFor(t, "ready", 10*time.Second)
	if err := h.s.Signal(syscall.SIGWINCH, []string{"rec"}); err != nil {
		t.Fatal(err)
	}
	h.logs.get("rec").waitFor(t, "got WINCH", 10*time.Second)
	if err := h.s.ReloadSignal([]string{"rec"}); err != nil {
		t.Fatal(err)
	}
	h.logs.get("rec").waitFor(t, "got HUP", 10*time.Second)
	// Without a main, forwarded signals reach every service.
	h.s.Forward(syscall.SIGUSR2)
	h.logs.get("rec").waitFor(t, "got USR2", 10*time.Second)
	h.logs.get("other").waitFor(t, "got USR2", 10*time.Second)
}

func TestForwardOnlyToMain(t *testing.T) {
	m := sh("main", `trap 'echo got USR2' USR2; echo ready; while :; do sleep 0.05; done`)
	m.Main = true
	// other dies of an untrapped USR2 if it ever gets one.
	other := sh("other", `echo ready; while :; do sleep 0.05; done`)
	h := newHarness(t, conf(m, other))
	h.s.Boot()
	h.logs.get("main").waitFor(t, "ready", 10*time.Second)
	h.logs.get("other").waitFor(t, "ready", 10*time.Second)
	h.s.Forward(syscall.SIGUSR2)
	h.logs.get("main").waitFor(t, "got USR2", 10*time.Second)
	h.clock.Advance(time.Second)
	h.wantState("other", StateRunning)
	h.expectNone("exited", "other")
}

func TestReload(t *testing.T) {
	keep := svc("keep", "/bin/sleep", "1000")
	change := svc("change", "/bin/sleep", "1000")
	logOnly := svc("logonly", "/bin/sleep", "1000")
	gone := svc("gone", "/bin/sleep", "1000")
	h := newHarness(t, conf(keep, change, logOnly, gone))
	h.s.Boot()
	for _, n := range []string{"keep", "change", "logonly", "gone"} {
		h.next("started", n)
	}
	h.clock.Advance(time.Second)
	pids := map[string]int{}
	for _, n := range []string{"keep", "change", "logonly"} {
		pids[n] = h.wantState(n, StateRunning).PID
	}

	keep2 := *keep
	change2 := *change
	change2.Command = []string{"/bin/sleep", "2000"}
	log2 := *logOnly
	log2.Log.RotateSize = 1 << 20
	added := svc("added", "/bin/sleep", "1000")
	if err := h.s.Reload(conf(&keep2, &change2, &log2, added)); err != nil {
		t.Fatal(err)
	}
	h.next("exited", "gone")
	h.next("started", "added")
	h.next("started", "change")
	h.clock.Advance(time.Second)
	if st := h.wantState("keep", StateRunning); st.PID != pids["keep"] {
		t.Error("an unchanged service was restarted")
	}
	if st := h.wantState("logonly", StateRunning); st.PID != pids["logonly"] {
		t.Error("a log-only change restarted the process")
	}
	if n := h.logs.get("logonly").updates; n != 1 {
		t.Errorf("log-only change: %d Log.Update calls, want 1", n)
	}
	if st := h.wantState("change", StateRunning); st.PID == pids["change"] {
		t.Error("a changed service kept its process")
	}
	h.wantState("added", StateRunning)
	if _, err := h.s.Status([]string{"gone"}); err == nil {
		t.Error("a removed service is still known")
	}
	if !h.logs.get("gone").closed {
		t.Error("the removed service's log was not closed")
	}
}

func TestEventCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events")
	hook := filepath.Join(dir, "hook.sh")
	script := "#!/bin/sh\necho \"$SUPERVISE_EVENT|$SUPERVISE_SERVICE|$SUPERVISE_DETAIL\" >> " + out + "\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := sh("job", "exit 3")
	c.Restart = config.RestartNever
	cfg := conf(c)
	cfg.Supervise.EventCommand = []string{hook}
	h := newHarness(t, cfg)
	h.s.Boot()
	h.next("exited", "job")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), "started|job|(pid ") && strings.Contains(string(b), "exited|job|(pid ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event_command output:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond) // polling a file written by another process
	}
}

func TestEventCommandFailureIsALine(t *testing.T) {
	c := sh("job", "exit 0")
	c.Restart = config.RestartNever
	cfg := conf(c)
	cfg.Supervise.EventCommand = []string{"/nonexistent/hook"}
	h := newHarness(t, cfg)
	h.s.Boot()
	h.next("exited", "job")
	e := h.next("event_command", "")
	if !strings.Contains(e.Detail, "could not start") || !strings.Contains(e.Detail, "exit 127") {
		t.Errorf("detail %q", e.Detail)
	}
}

func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("call did not return")
		return nil
	}
}

// TestEmitFromOutside: sink events come through Emit, print like the
// supervisor's own and never block, however many arrive at once.
func TestEmitFromOutside(t *testing.T) {
	h := newHarness(t, conf())
	for i := 0; i < 1000; i++ {
		h.s.Emit("rotated", "web", "/var/log/web.log")
	}
	for i := 0; i < 1000; i++ {
		h.next("rotated", "web")
	}
	if !strings.Contains(h.stderr.String(), "rotated web: /var/log/web.log\n") {
		t.Errorf("stderr:\n%s", h.stderr.String())
	}
}

// TestEventCommandOneAtATimePerKind: events of a kind whose command still
// runs wait for it and then run one at a time, in order; past the queue
// bound they are dropped and the count is reported.
func TestEventCommandOneAtATimePerKind(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	hook := filepath.Join(dir, "hook.sh")
	// The first run blocks until the test opens the fifo for writing; a
	// second run at the same time would append out of order.
	script := "#!/bin/sh\n[ \"$SUPERVISE_DETAIL\" = 0 ] && cat " + fifo + " >/dev/null\necho \"$SUPERVISE_DETAIL\" >> " + out + "\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := conf()
	cfg.Supervise.EventCommand = []string{hook}
	h := newHarness(t, cfg)
	const n = eventQueueMax + 3 // one runs, eventQueueMax wait, 2 are dropped
	for i := 0; i < n; i++ {
		h.s.Emit("rotated", "web", strconv.Itoa(i))
	}
	for i := 0; i < n; i++ {
		h.next("rotated", "web")
	}
	if _, err := h.s.Status(nil); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // blocks until the hook reads
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	e := h.next("event_command", "")
	if want := fmt.Sprintf("2 rotated events dropped: %d were already waiting for the hook", eventQueueMax); e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 0; i <= eventQueueMax; i++ {
		fmt.Fprintf(&want, "%d\n", i)
	}
	if string(b) != want.String() {
		t.Errorf("hook runs, in order:\n%s\nwant 0..%d", b, eventQueueMax)
	}
}

// TestReloadChangedExitedServiceRuns: a service that ended under its old
// definition runs again when a reload changes it (SPEC §3: changed ones
// restart); one left unchanged stays exited.
func TestReloadChangedExitedServiceRuns(t *testing.T) {
	done := sh("done", "exit 0")
	done.Restart = config.RestartNever
	same := sh("same", "exit 0")
	same.Restart = config.RestartNever
	h := newHarness(t, conf(done, same))
	h.s.Boot()
	h.next("exited", "done")
	h.next("exited", "same")
	h.wantState("done", StateExited)
	done2 := *done
	done2.Command = []string{"/bin/sh", "-c", "exit 0 # v2"}
	same2 := *same
	if err := h.s.Reload(conf(&done2, &same2)); err != nil {
		t.Fatal(err)
	}
	h.next("started", "done")
	h.next("exited", "done")
	if st := h.wantState("same", StateExited); st.Restarts != 0 {
		t.Errorf("unchanged exited service: %+v", st)
	}
}

// TestReloadRemovesLeadingCron: removing a cron job that stands first in the
// start order forgets it during the walk over the order; the walk must not
// trip over the shortened slice (it once panicked PID 1).
func TestReloadRemovesLeadingCron(t *testing.T) {
	job := sh("job", "exit 0")
	job.Schedule = schedule(t, "@hourly")
	keep := svc("keep", "/bin/sleep", "1000")
	h := newHarness(t, conf(job, keep))
	h.s.Boot()
	h.next("started", "keep")
	keep2 := *keep
	if err := h.s.Reload(conf(&keep2)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.Status([]string{"job"}); err == nil {
		t.Error("the removed cron job is still known")
	}
	h.clock.Advance(time.Second)
	h.wantState("keep", StateRunning)
}
