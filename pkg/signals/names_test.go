package signals

import (
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"TERM", syscall.SIGTERM, true},
		{"SIGTERM", syscall.SIGTERM, true},
		{"sigterm", syscall.SIGTERM, true},
		{"15", syscall.SIGTERM, true},
		{"USR1", syscall.SIGUSR1, true},
		{"SIGUSR1", syscall.SIGUSR1, true},
		{"10", syscall.SIGUSR1, true},
		{"HUP", syscall.SIGHUP, true},
		{"KILL", syscall.SIGKILL, true},
		{"bogus", 0, false},
		{"", 0, false},
		{"0", 0, false},
		{"65", 0, false},
		{"-3", 0, false},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestName(t *testing.T) {
	if got := Name(syscall.SIGTERM); got != "TERM" {
		t.Errorf("Name(SIGTERM) = %q", got)
	}
	if got := Name(syscall.Signal(40)); got == "" {
		t.Errorf("Name(40) is empty")
	}
}
