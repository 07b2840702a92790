package main

import (
	"os"
	"os/exec"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("PTYCAT_TEST_AS_PTYCAT") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// The command sees a terminal, and its "\n" stays "\n" (ONLCR off).
func TestPtycat(t *testing.T) {
	cmd := exec.Command(os.Args[0], "/bin/sh", "-c", `test -t 1 && echo tty || echo notty`)
	cmd.Env = append(os.Environ(), "PTYCAT_TEST_AS_PTYCAT=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if string(out) != "tty\n" {
		t.Fatalf("output %q, want %q", out, "tty\n")
	}
}
