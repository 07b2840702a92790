// Package signals owns everything PID 1 must get right about signals and
// children: it is the only caller of signal.Notify, wait4 and
// PR_SET_CHILD_SUBREAPER. It knows nothing about services or logs.
package signals

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Parse accepts "TERM", "SIGTERM", "sigterm" or "15". Unknown names are
// errors, never a silent default.
func Parse(s string) (syscall.Signal, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal number %d out of range 1-64", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q; accepted: a name such as TERM or SIGTERM, or a number 1-64", s)
}

// Name returns the short name ("TERM") of sig, or its number as text.
func Name(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return strings.TrimPrefix(n, "SIG")
	}
	return strconv.Itoa(int(sig))
}
