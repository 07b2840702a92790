package procs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/pkg/signals"
)

// pid1Env marks the test binary re-executed as PID 1 of a new pid
// namespace, so that it does not recurse.
const pid1Env = "PROCS_TEST_AS_PID1"

// pid1Tests are the process tests that must also hold when supervise is
// PID 1 of a container: every orphan comes to it, and nothing else reaps.
var pid1Tests = []string{
	"TestRunsAsPID1",
	"TestStopTimeoutKillsIgnorer",
	"TestStopSignalGoesToGroup",
	"TestDrainDeadlineKillsPipeHolder",
	"TestChildSeesOnlyStdio",
	"TestMainExitCodes",
	"TestMainCodeOnSignalShutdown",
	"TestShutdownReverseOrder",
	"TestForwardOnlyToMain",
	"TestExecFailureCodes",
}

// TestAsPID1 re-executes this test binary inside
// `unshare --pid --fork --mount-proc`, running pid1Tests there as PID 1.
func TestAsPID1(t *testing.T) {
	if os.Getenv(pid1Env) != "" {
		t.Skip("already inside")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root for unshare --pid")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	r, err := signals.NewReaper(signals.ReaperOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
		os.Args[0], "-test.v", "-test.count=1", "-test.run=^("+strings.Join(pid1Tests, "|")+")$")
	cmd.Env = append(os.Environ(), pid1Env+"=1")
	cmd.Stdout, cmd.Stderr = out, out
	c, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	var e signals.Exit
	select {
	case e = <-c.Exit():
	case <-time.After(3 * time.Minute):
		_ = c.Signal(9)
		e = <-c.Exit()
	}
	b, _ := os.ReadFile(out.Name())
	if e.Code() != 0 {
		t.Fatalf("as PID 1: %s\n%s", e, b)
	}
	for _, name := range pid1Tests {
		if !strings.Contains(string(b), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass as PID 1:\n%s", name, b)
		}
	}
}

func TestRunsAsPID1(t *testing.T) {
	if os.Getenv(pid1Env) == "" {
		t.Skip("only inside TestAsPID1")
	}
	if os.Getpid() != 1 {
		t.Fatalf("pid %d, want 1", os.Getpid())
	}
}
