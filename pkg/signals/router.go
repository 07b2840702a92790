package signals

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Kind is what supervise does about a signal it received (SPEC §3).
type Kind int

const (
	Shutdown  Kind = iota // TERM, INT, QUIT: graceful shutdown
	Reload                // HUP: reload the config
	RotateAll             // USR1: rotate every log
	Forward               // everything else catchable: pass to main (or all)
)

func (k Kind) String() string {
	switch k {
	case Shutdown:
		return "shutdown"
	case Reload:
		return "reload"
	case RotateAll:
		return "rotate"
	case Forward:
		return "forward"
	}
	return "unknown"
}

// Event is one received signal, classified.
type Event struct {
	Kind   Kind
	Signal syscall.Signal
}

// Classify says what supervise does with sig.
func Classify(sig syscall.Signal) Kind {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		return Shutdown
	case syscall.SIGHUP:
		return Reload
	case syscall.SIGUSR1:
		return RotateAll
	}
	return Forward
}

// notForwarded are the signals the router never subscribes to or passes on.
// SIGKILL and SIGSTOP cannot be caught. SIGCHLD belongs to the reaper.
// SIGURG is the Go runtime's preemption signal and arrives constantly
// (runc skips it too). The synchronous fault signals and the terminal job
// control ones follow tini: they concern supervise itself, not the service.
// SIGPIPE is caught but dropped (see Routed): supervise must not die, nor
// bother the service, because its own stdout reader went away. SIGPROF is
// the runtime profiler's.
var notForwarded = map[syscall.Signal]bool{
	syscall.SIGKILL: true, syscall.SIGSTOP: true,
	syscall.SIGCHLD: true, syscall.SIGURG: true,
	syscall.SIGFPE: true, syscall.SIGILL: true, syscall.SIGSEGV: true,
	syscall.SIGBUS: true, syscall.SIGABRT: true, syscall.SIGTRAP: true,
	syscall.SIGSYS: true, syscall.SIGTTIN: true, syscall.SIGTTOU: true,
	syscall.SIGPIPE: true, syscall.SIGPROF: true,
	// 32 and 33 are the C libraries' thread signals and 34 is musl's
	// SIGSYNCCALL; the Go runtime will not hand any of them to Notify
	// (golang/go#39343), so a `kill -34 1` keeps its default action.
	32: true, 33: true, 34: true,
}

// Routed lists every signal the router turns into an event, in number order:
// 1-31 without notForwarded, and the real-time signals 35-64.
func Routed() []syscall.Signal {
	var out []syscall.Signal
	for n := 1; n <= 64; n++ {
		if !notForwarded[syscall.Signal(n)] {
			out = append(out, syscall.Signal(n))
		}
	}
	return out
}

// Forwardable lists the signals that become Forward events.
func Forwardable() []syscall.Signal {
	var out []syscall.Signal
	for _, s := range Routed() {
		if Classify(s) == Forward {
			out = append(out, s)
		}
	}
	return out
}

// Router turns the signals supervise receives into Events. It never calls
// signal.Ignore: an ignored disposition survives exec into every child
// (golang/go#20479).
type Router struct {
	sigch  chan os.Signal
	pipe   chan os.Signal
	events chan Event
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// NewRouter subscribes to Routed() (and SIGPIPE, which it drops) and starts
// the goroutine that classifies them; Close stops it.
func NewRouter() *Router {
	r := &Router{
		sigch:  make(chan os.Signal, 64),
		pipe:   make(chan os.Signal, 1),
		events: make(chan Event, 64),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	routed := Routed()
	list := make([]os.Signal, len(routed))
	for i, s := range routed {
		list[i] = s
	}
	signal.Notify(r.sigch, list...)
	// A write to a closed stdout must fail with EPIPE, not kill PID 1.
	signal.Notify(r.pipe, syscall.SIGPIPE)
	go r.loop()
	return r
}

// Events delivers classified signals in arrival order.
func (r *Router) Events() <-chan Event { return r.events }

// Close unsubscribes and waits for the router goroutine.
func (r *Router) Close() {
	r.once.Do(func() {
		signal.Stop(r.sigch)
		signal.Stop(r.pipe)
		close(r.stop)
	})
	<-r.done
}

func (r *Router) loop() {
	defer close(r.done)
	for {
		select {
		case s := <-r.sigch:
			sig := s.(syscall.Signal)
			select {
			case r.events <- Event{Kind: Classify(sig), Signal: sig}:
			case <-r.stop:
				return
			}
		case <-r.pipe:
		case <-r.stop:
			return
		}
	}
}
