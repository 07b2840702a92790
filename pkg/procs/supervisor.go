package procs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/signals"
)

// Options wire a Supervisor to the rest of supervise.
type Options struct {
	Reaper *signals.Reaper // required: the only way children are started
	Logs   Logs            // nil: output goes to /dev/null
	Clock  Clock           // nil: the real clock
	// Stderr receives one line per event. nil: os.Stderr.
	Stderr io.Writer
	// EventOutput is the stdout and stderr of event_command. nil: os.Stderr.
	EventOutput *os.File
	// Environ is the environment services inherit. nil: os.Environ().
	Environ []string
	// OnEvent sees every event after it is printed (metrics, tests).
	OnEvent func(Event)
	// DrainTimeout bounds how long output may stay open after the process
	// exited (a grandchild holding the pipe) before the group is killed.
	// Default 2s.
	DrainTimeout time.Duration
	// EventTimeout bounds one event_command run. Default 30s.
	EventTimeout time.Duration

	// trace sees internal steps that have no event (tests only).
	trace func(string)
}

// Supervisor runs the services of one config. All service state is owned by
// one goroutine (loop); everything else (reaper exits, stream EOF, timers,
// API calls) posts a function to it, so no state needs a lock and nothing
// sleeps or polls.
type Supervisor struct {
	opts  Options
	clock Clock
	out   io.Writer

	in   chan func()
	quit chan struct{} // closed by Close
	done chan struct{} // closed when a shutdown has finished
	wg   sync.WaitGroup
	once sync.Once

	// outMu guards writes to out, which OnEvent-free callers may share.
	outMu sync.Mutex

	// emitMu guards emits: events from outside (the sink) queue here
	// instead of in `in`, so that the sink's event goroutine can never
	// block on a busy loop while the loop waits on the sink.
	emitMu   sync.Mutex
	emits    []Event
	emitKick chan struct{} // cap 1: emits is not empty

	// The rest is owned by loop.
	cfg      *config.Config
	svcs     map[string]*service
	order    []*service // start order
	shutdown *shutdownState
	exitCode int
	mainSeen bool
	events   eventRunner

	inChanged    bool
	changedAgain bool
}

// ErrShutdown is returned by operations refused because supervise is
// shutting down.
var ErrShutdown = errors.New("supervise is shutting down")

// New opens every service's log and returns a Supervisor that has started
// nothing yet; Boot starts the autostart services. On error nothing is left
// open.
func New(cfg *config.Config, opts Options) (*Supervisor, error) {
	if opts.Reaper == nil {
		return nil, errors.New("procs: a reaper is required")
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.EventOutput == nil {
		opts.EventOutput = os.Stderr
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	if opts.Logs == nil {
		opts.Logs = discardLogs{}
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 2 * time.Second
	}
	if opts.EventTimeout <= 0 {
		opts.EventTimeout = 30 * time.Second
	}
	s := &Supervisor{
		opts:     opts,
		clock:    opts.Clock,
		out:      opts.Stderr,
		in:       make(chan func(), 256),
		emitKick: make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		cfg:      cfg,
		svcs:     make(map[string]*service),
	}
	s.events.init()
	for _, c := range cfg.StartOrder() {
		svc, err := s.newService(c)
		if err != nil {
			for _, o := range s.order {
				_ = o.log.Close()
			}
			return nil, err
		}
		s.svcs[c.Name] = svc
		s.order = append(s.order, svc)
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

func (s *Supervisor) newService(c *config.Service) (*service, error) {
	log, err := s.opts.Logs.Open(c.Name, c.Log)
	if err != nil {
		return nil, fmt.Errorf("service %s: open log: %w", c.Name, err)
	}
	return &service{cfg: c, log: log, state: StateStopped, delay: c.Backoff}, nil
}

func (s *Supervisor) loop() {
	defer s.wg.Done()
	for {
		select {
		case f := <-s.in:
			f()
		case <-s.emitKick:
			s.emitMu.Lock()
			batch := s.emits
			s.emits = nil
			s.emitMu.Unlock()
			for _, e := range batch {
				s.emit(e.Kind, e.Service, e.Detail)
			}
		case <-s.quit:
			for _, svc := range s.svcs {
				svc.stopTimers()
			}
			s.events.stopTimers()
			return
		}
	}
}

// post runs f on the loop goroutine. It returns false when the supervisor
// is closed and f will never run.
func (s *Supervisor) post(f func()) bool {
	select {
	case s.in <- f:
		return true
	case <-s.quit:
		return false
	}
}

// call runs f on the loop and waits for the reply it sends on the channel
// it is given. f must eventually send exactly once.
func (s *Supervisor) call(f func(reply chan<- error)) error {
	reply := make(chan error, 1)
	if !s.post(func() { f(reply) }) {
		return ErrShutdown
	}
	select {
	case err := <-reply:
		return err
	case <-s.quit:
		return ErrShutdown
	}
}

func (s *Supervisor) trace(step string) {
	if s.opts.trace != nil {
		s.opts.trace(step)
	}
}

// after arms a timer whose callback runs on the loop.
func (s *Supervisor) after(d time.Duration, f func()) Timer {
	return s.clock.AfterFunc(d, func() { s.post(f) })
}

// watch forwards a run's exit and output EOF to the loop, in the order they
// come. One goroutine per run, not one per event: with hundreds of idle
// services the goroutine stacks are a good part of supervise's memory. It
// ends when both arrived or the supervisor closes.
func (s *Supervisor) watch(svc *service, r *run) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		exit, eof := r.child.Exit(), r.capture.Done
		for exit != nil || eof != nil {
			select {
			case e := <-exit:
				exit = nil // exactly one exit is sent
				s.post(func() { s.onExit(svc, r, e) })
			case <-eof:
				eof = nil // closed: it would fire again
				s.post(func() { s.onEOF(svc, r) })
			case <-s.quit:
				return
			}
		}
	}()
}

// Boot starts every autostart service in `after` order.
func (s *Supervisor) Boot() {
	s.post(func() {
		for _, svc := range s.order {
			if svc.cfg.Autostart {
				s.requestStart(svc, false)
			}
		}
	})
}

// Done is closed when a shutdown has finished: every service is stopped.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// ExitCode is supervise's exit status (SPEC §6), final once Done is closed:
// the main service's code (128+N if killed), else 0.
func (s *Supervisor) ExitCode() int {
	ch := make(chan int, 1)
	if !s.post(func() { ch <- s.exitCode }) {
		return s.exitCode
	}
	select {
	case c := <-ch:
		return c
	case <-s.quit:
		return s.exitCode
	}
}

// Close stops the loop and waits for every goroutine procs started, then
// closes the service logs. Call it after Done (processes still running are
// left alone; their exits are no longer followed).
func (s *Supervisor) Close() error {
	var errs []error
	s.once.Do(func() {
		close(s.quit)
		s.wg.Wait()
		for _, svc := range s.order {
			if err := svc.log.Close(); err != nil {
				errs = append(errs, fmt.Errorf("service %s: close log: %w", svc.cfg.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// Orphans is the number of reaped processes no service owned.
func (s *Supervisor) Orphans() int64 { return s.opts.Reaper.Orphans() }

// resolve expands names ("all" is every service) and rejects unknown ones.
func (s *Supervisor) resolve(names []string) ([]*service, error) {
	if len(names) == 0 {
		return nil, errors.New("no service named")
	}
	var out []*service
	seen := map[string]bool{}
	for _, n := range names {
		if n == "all" {
			for _, svc := range s.order {
				if !seen[svc.cfg.Name] {
					seen[svc.cfg.Name] = true
					out = append(out, svc)
				}
			}
			continue
		}
		svc, ok := s.svcs[n]
		if !ok {
			return nil, fmt.Errorf("no such service %q", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, svc)
		}
	}
	return out, nil
}

// Status returns one row per named service, every service in start order
// when names is empty.
func (s *Supervisor) Status(names []string) ([]Status, error) {
	var rows []Status
	err := s.call(func(reply chan<- error) {
		list := s.order
		if len(names) > 0 {
			var err error
			if list, err = s.resolve(names); err != nil {
				reply <- err
				return
			}
		}
		now := s.clock.Now()
		for _, svc := range list {
			rows = append(rows, svc.status(now))
		}
		reply <- nil
	})
	return rows, err
}

// Signal sends sig to the process group of each named service that runs.
// Naming one service that does not run is an error; in a list or "all",
// such services are skipped.
func (s *Supervisor) Signal(sig syscall.Signal, names []string) error {
	strict := len(names) == 1 && names[0] != "all"
	return s.signalEach(names, strict, func(*service) syscall.Signal { return sig })
}

// ReloadSignal sends each named service its reload_signal; every named
// service must be running.
func (s *Supervisor) ReloadSignal(names []string) error {
	return s.signalEach(names, true, func(svc *service) syscall.Signal { return svc.cfg.ReloadSignal })
}

// signalEach signals the group of each named service that runs; strict
// makes a named service that does not run an error.
func (s *Supervisor) signalEach(names []string, strict bool, sigOf func(*service) syscall.Signal) error {
	return s.call(func(reply chan<- error) {
		list, err := s.resolve(names)
		if err != nil {
			reply <- err
			return
		}
		var errs []error
		for _, svc := range list {
			if svc.run == nil || svc.run.exit != nil {
				if strict {
					errs = append(errs, fmt.Errorf("service %s is not running", svc.cfg.Name))
				}
				continue
			}
			if err := svc.run.child.SignalGroup(sigOf(svc)); err != nil && !errors.Is(err, signals.ErrFinished) {
				errs = append(errs, fmt.Errorf("service %s: %w", svc.cfg.Name, err))
			}
		}
		reply <- errors.Join(errs...)
	})
}

// Forward passes a signal supervise received on, as SPEC §3 says: to the
// main service's group, or to every running service without a main.
func (s *Supervisor) Forward(sig syscall.Signal) {
	s.post(func() {
		var main *service
		for _, svc := range s.order {
			if svc.cfg.Main {
				main = svc
			}
		}
		for _, svc := range s.order {
			if main != nil && svc != main {
				continue
			}
			if svc.run != nil && svc.run.exit == nil {
				if err := svc.run.child.SignalGroup(sig); err != nil && !errors.Is(err, signals.ErrFinished) {
					s.notice("signal", svc.cfg.Name, fmt.Sprintf("forward %s: %v", signals.Name(sig), err))
				}
			}
		}
	})
}

// Rotate rotates the logs of the named services now.
func (s *Supervisor) Rotate(names []string) error {
	var logs []*service
	err := s.call(func(reply chan<- error) {
		var err error
		logs, err = s.resolve(names)
		reply <- err
	})
	if err != nil {
		return err
	}
	// Off the loop: a rotation may take a moment and must not stall exits.
	var errs []error
	for _, svc := range logs {
		if err := svc.log.Rotate(); err != nil {
			errs = append(errs, fmt.Errorf("service %s: rotate: %w", svc.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}
