package signals

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv selects a scenario when the test binary is re-executed as a
// helper process (os/exec's TestMain pattern), usually as PID 1 of a new
// pid namespace.
const helperEnv = "SIGNALS_TEST_HELPER"

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(runHelper(name, os.Args))
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// newTestReaper gives a test the process's only reaper for its duration.
// Tests that start children must not run in parallel: two reapers would
// steal each other's exits.
func newTestReaper(t testing.TB) *Reaper {
	t.Helper()
	r, err := NewReaper(ReaperOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// waitExit waits for a child's exit with a deadline.
func waitExit(t testing.TB, c *Child, d time.Duration) Exit {
	t.Helper()
	select {
	case e := <-c.Exit():
		return e
	case <-time.After(d):
		t.Fatalf("pid %d: no exit within %v", c.PID, d)
		return Exit{}
	}
}

// requirePID1 skips unless the test can create pid namespaces.
func requirePID1(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root for unshare --pid")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
}

// runAsPID1 re-executes the test binary as PID 1 of a new pid namespace
// with /proc remounted, runs scenario there, and returns its exit code and
// combined output. The child is started and collected through a Reaper,
// since this package's tests run one.
func runAsPID1(t *testing.T, scenario string, timeout time.Duration, args ...string) (int, string) {
	t.Helper()
	requirePID1(t)
	r := newTestReaper(t)
	out, err := os.CreateTemp(t.TempDir(), "helper-out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	argv := append([]string{"--pid", "--fork", "--kill-child", "--mount-proc", os.Args[0], "-test.run=^$"}, args...)
	cmd := exec.Command("unshare", argv...)
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario)
	cmd.Stdout, cmd.Stderr = out, out
	c, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	var e Exit
	select {
	case e = <-c.Exit():
	case <-time.After(timeout):
		_ = c.Signal(9)
		<-c.Exit()
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("helper %s: no exit within %v; output:\n%s", scenario, timeout, b)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return e.Code(), strings.TrimSpace(string(b))
}
