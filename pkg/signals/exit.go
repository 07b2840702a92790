package signals

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exit is how one child ended, as wait4 reported it.
type Exit struct {
	PID    int
	Status unix.WaitStatus
	Rusage unix.Rusage
}

// Code is the shell's view of the exit: the exit code, or 128+N when the
// child was killed by signal N (tini and every shell agree on this).
func (e Exit) Code() int { return StatusCode(e.Status) }

// Signaled reports the signal that killed the child, or 0.
func (e Exit) Signaled() syscall.Signal {
	if e.Status.Signaled() {
		return e.Status.Signal()
	}
	return 0
}

// String reads "exit 3" or "killed by TERM (143)", the way events report it.
func (e Exit) String() string {
	if sig := e.Signaled(); sig != 0 {
		s := fmt.Sprintf("killed by %s (%d)", Name(sig), e.Code())
		if e.Status.CoreDump() {
			s += ", core dumped"
		}
		return s
	}
	return fmt.Sprintf("exit %d", e.Code())
}

// StatusCode maps a wait status to an exit code: the code itself, 128+N for
// signal N. Stopped or continued statuses are not exits (the reaper never
// asks for them) and map to -1.
func StatusCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return -1
}

// Exit codes a shell uses when a command cannot be run at all; supervise
// reports exec failures with them (as tini does).
const (
	CodeNotExecutable = 126
	CodeNotFound      = 127
)

// StartCode maps an error from starting a command to the code a shell would
// report: 127 when the program (or its directory) does not exist, 126 for
// every other reason it could not be executed.
func StartCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT) {
		return CodeNotFound
	}
	return CodeNotExecutable
}
