package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// TestMain lets the test binary act as gen, so the orphan test can run it
// as PID 1 of a new PID namespace.
func TestMain(m *testing.M) {
	if os.Getenv("GEN_TEST_AS_GEN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// As PID 1, gen never reaps its orphans, so it must count every one.
func TestOrphansAreCountedUntilReaped(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare --pid")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", os.Args[0], "--orphans", "50", "--no-wait")
	cmd.Env = append(os.Environ(), "GEN_TEST_AS_GEN=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var r orphanTimes
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if r.Orphans != 50 || r.MaxZombie != 50 {
		t.Fatalf("got %+v, want 50 orphans all left as zombies", r)
	}
}
