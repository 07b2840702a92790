package procs

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// TestStopTimeoutKillsIgnorer: a service that ignores TERM is killed by
// SIGKILL exactly at stop_timeout on the injected clock.
func TestStopTimeoutKillsIgnorer(t *testing.T) {
	c := sh("stubborn", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	c.StopTimeout = 7 * time.Second
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.logs.get("stubborn").waitFor(t, "ready", 10*time.Second)
	stopped := make(chan error, 1)
	go func() { stopped <- h.s.Stop([]string{"stubborn"}) }()
	h.next("stopping", "stubborn")
	h.clock.Advance(7*time.Second - time.Millisecond)
	h.wantState("stubborn", StateStopping)
	h.clock.Advance(time.Millisecond)
	e := h.next("exited", "stubborn")
	if !strings.Contains(e.Detail, "killed by KILL (137)") {
		t.Fatalf("exit: %q, want killed by KILL", e.Detail)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	st := h.wantState("stubborn", StateStopped)
	if exitCodeOf(t, st) != 137 || st.PID != 0 {
		t.Fatalf("stopped: exit %d pid %d", *st.ExitCode, st.PID)
	}
}

// TestStopSignalGoesToGroup: grandchildren share the group and die with
// the service; nothing of it is left in /proc afterwards.
func TestStopSignalGoesToGroup(t *testing.T) {
	c := sh("tree", `sleep 1000 & sleep 1000 & echo "kids $!"; wait`)
	h := newHarness(t, conf(c))
	h.s.Boot()
	out := h.logs.get("tree").waitFor(t, "kids ", 10*time.Second)
	kid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.Split(out, "\n")[0], "kids ")))
	if kid <= 0 {
		t.Fatalf("no grandchild pid in %q", out)
	}
	if err := h.s.Stop([]string{"tree"}); err != nil {
		t.Fatal(err)
	}
	if st := h.wantState("tree", StateStopped); exitCodeOf(t, st) != 143 {
		t.Errorf("leader exit %d, want 143", *st.ExitCode)
	}
	waitGone(t, kid)
}

// TestDrainDeadlineKillsPipeHolder: the service exits but a grandchild
// that ignores TERM keeps its stdout open; after the drain deadline the
// group is killed and the run ends.
func TestDrainDeadlineKillsPipeHolder(t *testing.T) {
	c := sh("leaky", `sh -c 'trap "" TERM; echo "holder $$"; while :; do sleep 1; done' & sleep 0.2; exit 5`)
	c.Restart = config.RestartNever
	h := newHarness(t, conf(c), func(o *Options) { o.DrainTimeout = 3 * time.Second })
	h.s.Boot()
	out := h.logs.get("leaky").waitFor(t, "holder ", 10*time.Second)
	holder, _ := strconv.Atoi(strings.Fields(strings.SplitN(out, "holder ", 2)[1])[0])
	h.waitTrace("draining leaky")
	h.wantState("leaky", StateStarting) // exited, but not finished until the output ends
	h.clock.Advance(3 * time.Second)
	e := h.next("exited", "leaky")
	if !strings.Contains(e.Detail, "exit 5") {
		t.Errorf("exit detail %q", e.Detail)
	}
	h.wantState("leaky", StateExited)
	waitGone(t, holder)
}

// waitGone waits for a pid to disappear from /proc (the reaper collects it
// as an orphan, since tests run as a subreaper or PID 1).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still there: %s", pid, b)
		}
		time.Sleep(10 * time.Millisecond) // polling /proc for a verdict, not to order events
	}
}

// TestShutdownReverseOrder: b runs after a, so b is stopped (and has
// exited) before a gets its stop signal.
func TestShutdownReverseOrder(t *testing.T) {
	a := svc("a", "/bin/sleep", "1000")
	b := svc("b", "/bin/sleep", "1000")
	b.After = []string{"a"}
	cc := svc("c", "/bin/sleep", "1000")
	cc.After = []string{"b"}
	var order []string
	h := newHarness(t, conf(cc, b, a))
	h.s.Boot()
	h.next("started", "a")
	h.expectNone("started", "b")
	h.clock.Advance(time.Second) // a running
	h.next("started", "b")
	h.clock.Advance(time.Second)
	h.next("started", "c")
	h.clock.Advance(time.Second)
	h.s.ShutdownSignal(syscall.SIGTERM)
	deadline := time.After(20 * time.Second)
	for len(order) < 6 {
		select {
		case e := <-h.events:
			if e.Kind == "stopping" || e.Kind == "exited" {
				order = append(order, e.Kind+" "+e.Service)
			}
		case <-deadline:
			t.Fatalf("shutdown incomplete: %v", order)
		}
	}
	want := []string{"stopping c", "exited c", "stopping b", "exited b", "stopping a", "exited a"}
	if !slices.Equal(order, want) {
		t.Errorf("shutdown order %v, want %v", order, want)
	}
	<-h.s.Done()
	if code := h.s.ExitCode(); code != 0 {
		t.Errorf("exit code without main: %d, want 0", code)
	}
}

// TestShutdownTimeoutKillsAll: shutdown_timeout bounds the whole shutdown
// even when stop_timeout is longer.
func TestShutdownTimeoutKillsAll(t *testing.T) {
	c := sh("stubborn", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	c.StopTimeout = time.Hour
	cfg := conf(c)
	cfg.Supervise.ShutdownTimeout = 5 * time.Second
	h := newHarness(t, cfg)
	h.s.Boot()
	h.logs.get("stubborn").waitFor(t, "ready", 10*time.Second)
	h.s.Shutdown()
	h.next("shutdown", "")
	h.clock.Advance(5 * time.Second)
	if e := h.next("exited", "stubborn"); !strings.Contains(e.Detail, "KILL") {
		t.Errorf("exit %q", e.Detail)
	}
	select {
	case <-h.s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not finish")
	}
}

func TestOneshotGatesAfter(t *testing.T) {
	setup := sh("setup", "echo preparing; exit 0")
	setup.Oneshot = true
	app := svc("app", "/bin/sleep", "1000")
	app.After = []string{"setup"}
	h := newHarness(t, conf(app, setup))
	h.s.Boot()
	h.next("started", "setup")
	h.next("exited", "setup")
	h.next("started", "app")
	h.wantState("setup", StateExited)
	if !h.status("setup").Healthy {
		t.Error("a finished oneshot counts as healthy")
	}
}

func TestOneshotFailureIsFatal(t *testing.T) {
	setup := sh("setup", "exit 4")
	setup.Oneshot = true
	app := svc("app", "/bin/sleep", "1000")
	app.After = []string{"setup"}
	h := newHarness(t, conf(setup, app))
	h.s.Boot()
	h.next("fatal", "setup")
	e := h.next("fatal", "app")
	if !strings.Contains(e.Detail, "setup") {
		t.Errorf("app fatal detail %q", e.Detail)
	}
	if exitCodeOf(t, h.wantState("setup", StateFatal)) != 4 {
		t.Error("wrong exit code")
	}
	h.wantState("app", StateFatal)
	h.expectNone("started", "app")
}

// TestMainExitCodes: when main ends and is not restarted, supervise shuts
// down with its code (128+N when killed).
func TestMainExitCodes(t *testing.T) {
	for _, tt := range []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 42", 42},
		{"kill -9 $$", 137},
	} {
		m := sh("main", tt.script)
		m.Main = true
		m.Restart = config.RestartNever
		other := svc("other", "/bin/sleep", "1000")
		h := newHarness(t, conf(m, other))
		h.s.Boot()
		select {
		case <-h.s.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no shutdown", tt.script)
		}
		if got := h.s.ExitCode(); got != tt.code {
			t.Errorf("%s: exit code %d, want %d", tt.script, got, tt.code)
		}
		h.wantState("other", StateStopped)
		h.close()
	}
}

// TestMainCodeOnSignalShutdown: a shutdown by signal still exits with
// main's code: TERM kills it, so 143.
func TestMainCodeOnSignalShutdown(t *testing.T) {
	m := svc("main", "/bin/sleep", "1000")
	m.Main = true
	h := newHarness(t, conf(m))
	h.s.Boot()
	h.next("started", "main")
	h.s.ShutdownSignal(syscall.SIGTERM)
	<-h.s.Done()
	if got := h.s.ExitCode(); got != 143 {
		t.Errorf("exit code %d, want 143", got)
	}
}

// TestMainStoppedInBackoff: ctl stop of a main service that waits to be
// restarted ends it for good, so supervise exits with its last code.
func TestMainStoppedInBackoff(t *testing.T) {
	m := sh("main", "exit 7")
	m.Main = true
	h := newHarness(t, conf(m))
	h.s.Boot()
	h.next("backoff", "main")
	if err := h.s.Stop([]string{"main"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
	if code := h.s.ExitCode(); code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
}
