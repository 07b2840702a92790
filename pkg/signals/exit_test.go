package signals

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Raw wait statuses as the kernel encodes them: exit code in bits 8-15,
// terminating signal in bits 0-6, core flag 0x80.
func exitedStatus(code int) unix.WaitStatus  { return unix.WaitStatus(code << 8) }
func signaledStatus(sig int) unix.WaitStatus { return unix.WaitStatus(sig) }

func TestStatusCodeAllExitCodes(t *testing.T) {
	for code := 0; code < 256; code++ {
		if got := StatusCode(exitedStatus(code)); got != code {
			t.Errorf("exit %d: StatusCode = %d", code, got)
		}
	}
}

func TestStatusCodeSignals(t *testing.T) {
	for sig := 1; sig <= 64; sig++ {
		ws := signaledStatus(sig)
		if got, want := StatusCode(ws), 128+sig; got != want {
			t.Errorf("signal %d: StatusCode = %d, want %d", sig, got, want)
		}
		if got := StatusCode(ws | 0x80); got != 128+sig {
			t.Errorf("signal %d with core: StatusCode = %d", sig, got)
		}
	}
}

func TestExitString(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want string
	}{
		{exitedStatus(0), "exit 0"},
		{exitedStatus(3), "exit 3"},
		{signaledStatus(int(unix.SIGTERM)), "killed by TERM (143)"},
		{signaledStatus(int(unix.SIGKILL)), "killed by KILL (137)"},
		{signaledStatus(int(unix.SIGSEGV)) | 0x80, "killed by SEGV (139), core dumped"},
	}
	for _, tt := range tests {
		if got := (Exit{Status: tt.ws}).String(); got != tt.want {
			t.Errorf("Exit{%#x}.String() = %q, want %q", uint32(tt.ws), got, tt.want)
		}
	}
	// Stopped statuses are not exits.
	if got := StatusCode(unix.WaitStatus(0x7f | int(unix.SIGSTOP)<<8)); got != -1 {
		t.Errorf("stopped status: StatusCode = %d, want -1", got)
	}
}

func TestStartCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{&exec.Error{Name: "nope", Err: exec.ErrNotFound}, 127},
		{&fs.PathError{Op: "fork/exec", Path: "/nope", Err: syscall.ENOENT}, 127},
		{&fs.PathError{Op: "chdir", Path: "/nope", Err: syscall.ENOENT}, 127},
		{&fs.PathError{Op: "fork/exec", Path: "/etc/passwd", Err: syscall.EACCES}, 126},
		{&fs.PathError{Op: "fork/exec", Path: "/x", Err: syscall.ENOEXEC}, 126},
		{errors.New("anything else"), 126},
	}
	for _, tt := range tests {
		if got := StartCode(tt.err); got != tt.want {
			t.Errorf("StartCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestStartCodeReal starts commands that cannot run and checks the codes the
// real errors map to.
func TestStartCodeReal(t *testing.T) {
	dir := t.TempDir()
	notExec := dir + "/script"
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newTestReaper(t)
	for _, tt := range []struct {
		path string
		want int
	}{
		{dir + "/missing", 127},
		{notExec, 126},
		{dir, 126},
	} {
		_, err := r.Start(exec.Command(tt.path))
		if err == nil {
			t.Fatalf("%s: started", tt.path)
		}
		if got := StartCode(err); got != tt.want {
			t.Errorf("%s: StartCode(%v) = %d, want %d", tt.path, err, got, tt.want)
		}
	}
}
