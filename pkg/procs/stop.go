package procs

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/supervise/supervise/pkg/signals"
)

// stop asks svc to stop: its stop_signal to the whole group, SIGKILL to the
// group after stop_timeout. Without a process it just comes to rest.
func (s *Supervisor) stop(svc *service) {
	svc.pending = false
	svc.stopTimer()
	svc.stopCron()
	r := svc.run
	if r == nil {
		switch svc.state {
		case StateBackoff:
			// A main service stopped while waiting to restart has ended
			// for good: its last exit is supervise's.
			s.ended(svc, StateStopped)
			if svc.lastExit != nil {
				s.mainEnded(svc, *svc.lastExit)
			}
		case StateStarting, StateScheduled, StateRunning:
			s.ended(svc, StateStopped)
		default:
			if svc.removed {
				s.forget(svc)
			}
		}
		return
	}
	if svc.stopReq {
		return
	}
	svc.stopReq = true
	r.kill = s.after(svc.cfg.StopTimeout, func() {
		if svc.run != r || r.finished {
			return
		}
		s.notice("stop", svc.cfg.Name, fmt.Sprintf("still running %s after %s: SIGKILL to the group", signals.Name(svc.cfg.StopSignal), svc.cfg.StopTimeout))
		s.kill(svc, r)
	})
	if r.exit == nil {
		s.notice("stopping", svc.cfg.Name, fmt.Sprintf("(pid %d) SIG%s to the group, SIGKILL after %s", r.child.PID, signals.Name(svc.cfg.StopSignal), svc.cfg.StopTimeout))
		if err := r.child.SignalGroup(svc.cfg.StopSignal); err != nil && !errors.Is(err, signals.ErrFinished) {
			s.notice("stop", svc.cfg.Name, fmt.Sprintf("send %s: %v", signals.Name(svc.cfg.StopSignal), err))
		}
	}
	s.setState(svc, StateStopping)
}

// kill sends SIGKILL to the run's group and stops waiting for its output
// beyond the exit.
func (s *Supervisor) kill(svc *service, r *run) {
	r.force = true
	if err := r.child.SignalGroup(syscall.SIGKILL); err != nil && !errors.Is(err, signals.ErrFinished) {
		s.notice("kill", svc.cfg.Name, err.Error())
	}
	if r.exit != nil {
		s.finish(svc, r)
	}
}

// forget drops a service a reload removed, once it has no process.
func (s *Supervisor) forget(svc *service) {
	if s.svcs[svc.cfg.Name] == svc {
		delete(s.svcs, svc.cfg.Name)
	}
	s.order = slices.DeleteFunc(s.order, func(o *service) bool { return o == svc })
	// changed() no longer sees it: answer whoever still waits on it.
	svc.state = StateStopped
	for _, w := range svc.waiters {
		w()
	}
	svc.waiters = nil
	if err := svc.log.Close(); err != nil {
		s.notice("reload", svc.cfg.Name, fmt.Sprintf("close log: %v", err))
	}
}

// startSettled reports whether a start has come to a conclusion, and the
// error to return for it.
func startSettled(svc *service) (bool, error) {
	switch svc.state {
	case StateRunning, StateScheduled:
		return true, nil
	case StateStarting, StateStopping:
		return false, nil
	case StateExited:
		if svc.cfg.Oneshot && svc.lastExit != nil && *svc.lastExit == 0 {
			return true, nil
		}
	}
	detail := string(svc.state)
	if svc.lastExit != nil {
		detail += fmt.Sprintf(" (exit %d)", *svc.lastExit)
	}
	return true, fmt.Errorf("service %s did not start: %s", svc.cfg.Name, detail)
}

// collect waits on the loop until done(svc) holds for every service, then
// replies with the joined errors.
func (s *Supervisor) collect(list []*service, reply chan<- error, done func(*service) (bool, error)) {
	left := len(list)
	var errs []error
	if left == 0 {
		reply <- nil
		return
	}
	for _, svc := range list {
		svc.waiters = append(svc.waiters, func() bool {
			ok, err := done(svc)
			if !ok {
				return false
			}
			if err != nil {
				errs = append(errs, err)
			}
			if left--; left == 0 {
				reply <- errors.Join(errs...)
			}
			return true
		})
	}
	s.changed()
}

// Start starts the named services ("all": every one) and the services they
// come after, and returns when each is running (past start_secs), a
// oneshot has succeeded, a cron job is armed, or it failed. A cron job
// named explicitly that is already armed runs now.
func (s *Supervisor) Start(names []string) error {
	return s.call(func(reply chan<- error) {
		list, err := s.resolve(names)
		if err != nil || s.shutdown != nil {
			reply <- errors.Join(err, s.shutdownErr())
			return
		}
		named := map[string]bool{}
		for _, n := range names {
			named[n] = true
		}
		refused := map[*service]error{}
		for _, svc := range list {
			if svc.isCron() && svc.state == StateScheduled && !named[svc.cfg.Name] {
				continue // `start all` arms cron jobs; only a named one runs now
			}
			if svc.isCron() && svc.state == StateScheduled && svc.run == nil {
				if why := s.unmetAfter(svc); why != "" {
					refused[svc] = fmt.Errorf("cron job %s not run: %s", svc.cfg.Name, why)
				}
			}
			s.requestStart(svc, true)
		}
		s.collect(list, reply, func(svc *service) (bool, error) {
			if err := refused[svc]; err != nil {
				return true, err
			}
			return startSettled(svc)
		})
	})
}

// Stop stops the named services and returns when their processes are gone.
func (s *Supervisor) Stop(names []string) error {
	return s.call(func(reply chan<- error) {
		list, err := s.resolve(names)
		if err != nil {
			reply <- err
			return
		}
		for _, svc := range slices.Backward(list) {
			svc.again = false
			s.stop(svc)
		}
		s.collect(list, reply, func(svc *service) (bool, error) {
			return svc.run == nil && svc.state != StateStopping, nil
		})
	})
}

// Restart stops each named service that runs and starts it again; it
// returns when the new runs have settled as Start does.
func (s *Supervisor) Restart(names []string) error {
	return s.call(func(reply chan<- error) {
		list, err := s.resolve(names)
		if err != nil || s.shutdown != nil {
			reply <- errors.Join(err, s.shutdownErr())
			return
		}
		old := make(map[*service]*run, len(list))
		for _, svc := range list {
			old[svc] = svc.run
			s.restart(svc)
		}
		s.collect(list, reply, func(svc *service) (bool, error) {
			if r := old[svc]; r != nil && (svc.run == r || svc.state == StateStopping) {
				return false, nil
			}
			return startSettled(svc)
		})
	})
}

func (s *Supervisor) restart(svc *service) {
	if svc.run != nil {
		svc.again = true
		s.stop(svc)
		return
	}
	if svc.isCron() {
		svc.stopCron()
		svc.state = StateStopped
	}
	s.requestStart(svc, true)
}

func (s *Supervisor) shutdownErr() error {
	if s.shutdown != nil {
		return ErrShutdown
	}
	return nil
}

// shutdownState is a graceful shutdown in progress.
type shutdownState struct {
	reason   string
	deadline Timer
	done     bool
}

// Shutdown begins a graceful shutdown; Done is closed when it has finished.
func (s *Supervisor) Shutdown() {
	s.post(func() { s.beginShutdown("shutdown requested") })
}

// ShutdownSignal begins a graceful shutdown because supervise got sig.
func (s *Supervisor) ShutdownSignal(sig syscall.Signal) {
	s.post(func() { s.beginShutdown("got SIG" + signals.Name(sig)) })
}

// beginShutdown: no cron job or restart starts any more, services stop in
// reverse `after` order, and whatever is left at shutdown_timeout is killed.
func (s *Supervisor) beginShutdown(reason string) {
	if s.shutdown != nil {
		return
	}
	s.shutdown = &shutdownState{reason: reason}
	s.shutdown.deadline = s.after(s.cfg.Supervise.ShutdownTimeout, func() {
		if s.shutdown.done {
			return
		}
		s.notice("shutdown", "", fmt.Sprintf("shutdown_timeout (%s) passed: SIGKILL to every service left", s.cfg.Supervise.ShutdownTimeout))
		for _, svc := range s.order {
			if r := svc.run; r != nil && !r.finished {
				s.kill(svc, r)
			}
		}
	})
	s.notice("shutdown", "", reason)
	for _, svc := range slices.Clone(s.order) {
		svc.again = false
		if svc.run == nil {
			s.stop(svc)
		} else {
			svc.stopCron()
		}
	}
	s.changed()
}

// shutdownStep stops every service nothing running depends on, and
// finishes the shutdown when no process is left.
func (s *Supervisor) shutdownStep() {
	if s.shutdown.done {
		return
	}
	live := false
	for _, svc := range slices.Backward(s.order) {
		if svc.run == nil {
			continue
		}
		live = true
		if !svc.stopReq && !s.hasLiveDependent(svc) {
			s.stop(svc)
		}
	}
	if live {
		return
	}
	s.shutdown.done = true
	stopT(s.shutdown.deadline)
	if !s.mainSeen {
		for _, svc := range s.order {
			if svc.cfg.Main && svc.lastExit != nil {
				s.exitCode = *svc.lastExit
			}
		}
	}
	s.notice("shutdown", "", fmt.Sprintf("every service stopped; exit %d", s.exitCode))
	close(s.done)
}

func (s *Supervisor) hasLiveDependent(svc *service) bool {
	for _, o := range s.order {
		if o.run != nil && slices.Contains(o.cfg.After, svc.cfg.Name) {
			return true
		}
	}
	return false
}
