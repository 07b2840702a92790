package signals

import (
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestClassify(t *testing.T) {
	tests := map[syscall.Signal]Kind{
		syscall.SIGTERM: Shutdown, syscall.SIGINT: Shutdown, syscall.SIGQUIT: Shutdown,
		syscall.SIGHUP: Reload, syscall.SIGUSR1: RotateAll,
		syscall.SIGUSR2: Forward, syscall.SIGWINCH: Forward, syscall.SIGALRM: Forward,
		syscall.SIGCONT: Forward, syscall.SIGTSTP: Forward, syscall.Signal(40): Forward,
	}
	for sig, want := range tests {
		if got := Classify(sig); got != want {
			t.Errorf("Classify(%s) = %s, want %s", Name(sig), got, want)
		}
	}
}

func TestRoutedList(t *testing.T) {
	routed := Routed()
	for _, never := range []syscall.Signal{syscall.SIGURG, syscall.SIGCHLD, syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGPIPE} {
		if slices.Contains(routed, never) {
			t.Errorf("Routed contains %s", Name(never))
		}
	}
	fwd := Forwardable()
	for _, must := range []syscall.Signal{syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGALRM, syscall.SIGCONT, 35, 64} {
		if !slices.Contains(fwd, must) {
			t.Errorf("Forwardable lacks %s", Name(must))
		}
	}
	for _, not := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1} {
		if slices.Contains(fwd, not) {
			t.Errorf("Forwardable contains %s, which supervise handles itself", Name(not))
		}
	}
}

// TestRouterDeliversEverySignal sends each routed signal to ourselves and
// expects it back as an event; SIGURG, SIGCHLD and SIGPIPE in between must
// never surface.
func TestRouterDeliversEverySignal(t *testing.T) {
	r := NewRouter()
	defer r.Close()
	self := os.Getpid()
	next := func() Event {
		t.Helper()
		select {
		case ev := <-r.Events():
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5s")
			return Event{}
		}
	}
	for _, sig := range Routed() {
		for _, noise := range []syscall.Signal{syscall.SIGURG, syscall.SIGCHLD, syscall.SIGPIPE} {
			if err := unix.Kill(self, noise); err != nil {
				t.Fatal(err)
			}
		}
		if err := unix.Kill(self, sig); err != nil {
			t.Fatal(err)
		}
		ev := next()
		if ev.Signal != sig || ev.Kind != Classify(sig) {
			t.Fatalf("sent %s, got %s %s", Name(sig), ev.Kind, Name(ev.Signal))
		}
	}
}
