package procs

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/signals"
)

// service is the loop-owned state of one [service].
type service struct {
	cfg   *config.Service
	log   Log
	state State
	run   *run // the live process, nil when there is none

	pending  bool // waiting for its `after` services before launching
	stopReq  bool // a stop was asked for: the run's end is not a failure
	again    bool // start again once the current run has ended (restart)
	removed  bool // dropped by a reload; forgotten once its run ends
	restarts int  // restarts done (RESTARTS column)
	streak   int  // failed starts in a row
	delay    time.Duration
	lastExit *int
	skipped  int64 // cron ticks skipped: a run was still going, or `after` not up

	timer    Timer // start_secs or backoff
	timerSeq int   // invalidates a timer that fired after being replaced
	nextRun  time.Time
	cronT    Timer
	cronSeq  int

	// waiters are checked after every state change; each returns true
	// once it is satisfied and is then dropped.
	waiters []func() bool
}

// run is one process of a service.
type run struct {
	child    *signals.Child
	capture  *Capture
	started  time.Time
	exit     *signals.Exit
	eof      bool
	force    bool // killed at a deadline: do not wait for EOF
	finished bool
	drain    Timer
	kill     Timer
}

func (svc *service) isCron() bool { return svc.cfg.Schedule != nil }

func (svc *service) stopTimer() {
	svc.timerSeq++
	if svc.timer != nil {
		svc.timer.Stop()
		svc.timer = nil
	}
}

func (svc *service) stopCron() {
	svc.cronSeq++
	if svc.cronT != nil {
		svc.cronT.Stop()
		svc.cronT = nil
	}
	svc.nextRun = time.Time{}
}

func (svc *service) stopTimers() {
	svc.stopTimer()
	svc.stopCron()
	if r := svc.run; r != nil {
		stopT(r.drain)
		stopT(r.kill)
	}
}

func stopT(t Timer) {
	if t != nil {
		t.Stop()
	}
}

func (svc *service) status(now time.Time) Status {
	st := Status{Name: svc.cfg.Name, State: svc.state, Restarts: svc.restarts}
	if svc.lastExit != nil {
		c := *svc.lastExit
		st.ExitCode = &c
	}
	if r := svc.run; r != nil {
		st.PID = r.child.PID
		st.Started = r.started
		st.Uptime = now.Sub(r.started)
	}
	st.Healthy = svc.cfg.Oneshot || svc.isCron() || !svc.cfg.Autostart || svc.state == StateRunning
	ls := svc.log.Stats()
	st.LogPath, st.LogBytes, st.BytesWritten, st.Rotations = ls.Path, ls.Bytes, ls.BytesWritten, ls.Rotations
	st.DroppedBytes, st.ArchiveBytes = ls.DroppedBytes, ls.ArchiveBytes
	if svc.isCron() {
		st.NextRun = svc.nextRun
	}
	return st
}

// setState changes a service's state and lets everything that depends on
// states (waiters, pending services, shutdown) react.
func (s *Supervisor) setState(svc *service, st State) {
	svc.state = st
	s.changed()
}

// changed re-evaluates everything that waits on states. It is re-entrant:
// a nested call (a launch inside changed) only asks for one more round.
func (s *Supervisor) changed() {
	if s.inChanged {
		s.changedAgain = true
		return
	}
	s.inChanged = true
	defer func() { s.inChanged = false }()
	for round := 0; round < 100; round++ {
		s.changedAgain = false
		for _, svc := range s.order {
			if svc.pending && s.shutdown == nil {
				s.tryLaunch(svc)
			}
		}
		for _, svc := range s.order {
			if len(svc.waiters) == 0 {
				continue
			}
			keep := svc.waiters[:0]
			for _, w := range svc.waiters {
				if !w() {
					keep = append(keep, w)
				}
			}
			svc.waiters = keep
		}
		if s.shutdown != nil {
			s.shutdownStep()
		}
		if !s.changedAgain {
			return
		}
	}
}

// requestStart starts svc (or arms its schedule). pull also starts the
// services it must come after, as `ctl start` does.
func (s *Supervisor) requestStart(svc *service, pull bool) {
	if s.shutdown != nil || svc.removed {
		return
	}
	svc.stopReq = false
	if svc.isCron() {
		if svc.state == StateScheduled && pull && svc.run == nil {
			// `ctl start` of an armed cron job runs it now, if what it
			// runs after is up; else it is skipped like a tick (Start
			// answers with the reason).
			if why := s.unmetAfter(svc); why != "" {
				s.notice("skipped", svc.cfg.Name, "run not started: "+why)
				return
			}
			s.launch(svc)
			return
		}
		if svc.run == nil && svc.cronT == nil {
			s.armCron(svc)
			s.setState(svc, StateScheduled)
		}
		return
	}
	if svc.run != nil {
		if svc.state == StateStopping {
			svc.again = true
		}
		return
	}
	if svc.state == StateFatal {
		svc.streak = 0
		svc.delay = svc.cfg.Backoff
	}
	svc.stopTimer() // a pending backoff: start now instead
	if pull {
		for _, dep := range svc.cfg.After {
			if d, ok := s.svcs[dep]; ok && d.run == nil && !d.pending && !depSatisfied(d) {
				s.requestStart(d, true)
			}
		}
	}
	svc.pending = true
	svc.state = StateStarting
	s.tryLaunch(svc)
	s.changed()
}

// depSatisfied: a service others may start after is running, a oneshot
// has exited 0, a cron job is armed.
func depSatisfied(d *service) bool {
	switch {
	case d.cfg.Oneshot:
		return d.state == StateExited && d.lastExit != nil && *d.lastExit == 0
	case d.isCron():
		return d.state == StateScheduled || d.state == StateRunning
	}
	return d.state == StateRunning
}

func (s *Supervisor) tryLaunch(svc *service) {
	for _, dep := range svc.cfg.After {
		d, ok := s.svcs[dep]
		if !ok || d.removed {
			continue // a reload removed it: nothing left to wait for
		}
		if d.state == StateFatal {
			svc.pending = false
			s.emit("fatal", svc.cfg.Name, fmt.Sprintf("not started: %s, which it runs after, is fatal", dep))
			s.setState(svc, StateFatal)
			return
		}
		if !depSatisfied(d) {
			return
		}
	}
	svc.pending = false
	s.launch(svc)
}

// command builds the exec.Cmd of one run: its own process group (its own
// session with a tty), credentials, directory and environment. stdin is
// /dev/null (os/exec opens it for a nil Stdin) and the child inherits no
// descriptor beyond 0-2 because Go opens everything close-on-exec.
func (s *Supervisor) command(svc *service) (*exec.Cmd, error) {
	c := svc.cfg
	if len(c.Command) == 0 {
		return nil, errors.New("empty command")
	}
	env, err := environ(s.opts.Environ, c)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Command[0], c.Command[1:]...)
	if !strings.Contains(c.Command[0], "/") {
		// Search the service's own PATH (env = PATH=/opt/venv/bin:...),
		// not supervise's.
		cmd.Path, cmd.Err = lookPath(c.Command[0], envValue(env, "PATH"))
	}
	cmd.Env = env
	cmd.Dir = c.Directory
	attr := &syscall.SysProcAttr{Setpgid: true}
	if c.TTY {
		// Ctty is the child's descriptor number: stdout is the tty.
		attr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1}
	}
	if u := c.User; u != nil {
		attr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
	}
	cmd.SysProcAttr = attr
	return cmd, nil
}

// launch starts one run of svc now.
func (s *Supervisor) launch(svc *service) {
	cmd, err := s.command(svc)
	if err != nil {
		s.startFailed(svc, err)
		return
	}
	capture, err := svc.log.Attach(svc.cfg.TTY)
	if err != nil {
		s.startFailed(svc, fmt.Errorf("attach log: %w", err))
		return
	}
	cmd.Stdout, cmd.Stderr = capture.Stdout, capture.Stderr
	child, err := s.opts.Reaper.Start(cmd)
	capture.CloseChildEnds()
	if err != nil {
		capture.Close()
		s.startFailed(svc, err)
		return
	}
	r := &run{child: child, capture: capture, started: s.clock.Now()}
	svc.run = r
	s.watch(svc, r)
	switch {
	case svc.cfg.Oneshot || svc.isCron() || svc.cfg.StartSecs <= 0:
		s.emit("started", svc.cfg.Name, fmt.Sprintf("(pid %d)", child.PID))
		s.setState(svc, StateRunning)
	default:
		svc.stopTimer()
		seq := svc.timerSeq
		svc.timer = s.after(svc.cfg.StartSecs, func() {
			if svc.timerSeq == seq && svc.run == r && r.exit == nil && svc.state == StateStarting {
				svc.timer = nil
				s.setState(svc, StateRunning)
			}
		})
		s.emit("started", svc.cfg.Name, fmt.Sprintf("(pid %d)", child.PID))
		s.setState(svc, StateStarting)
	}
}

// startFailed handles a command that could not be started at all, with the
// code a shell would give (127 not found, 126 not executable).
func (s *Supervisor) startFailed(svc *service, err error) {
	code := signals.StartCode(err)
	s.emit("exited", svc.cfg.Name, fmt.Sprintf("could not start: %v (exit %d)", err, code))
	s.runEnded(svc, code, 0)
}

func (s *Supervisor) onExit(svc *service, r *run, e signals.Exit) {
	if svc.run != r || r.finished {
		return
	}
	r.exit = &e
	if r.eof || r.force {
		s.finish(svc, r)
		return
	}
	// A grandchild may still hold the output open; give it the drain
	// deadline, then the group is killed and the streams abandoned.
	r.drain = s.after(s.opts.DrainTimeout, func() {
		if svc.run == r && !r.finished {
			s.notice("drain", svc.cfg.Name, fmt.Sprintf("(pid %d) exited %s ago but its output is still open: SIGKILL to the group", r.child.PID, s.opts.DrainTimeout))
			s.finish(svc, r)
		}
	})
	s.trace("draining " + svc.cfg.Name)
}

func (s *Supervisor) onEOF(svc *service, r *run) {
	if svc.run != r || r.finished {
		return
	}
	r.eof = true
	if r.exit != nil {
		s.finish(svc, r)
	}
}

// finish ends a run whose exit has arrived: what is left of its group is
// killed, its streams are closed, and the policy decides what comes next.
func (s *Supervisor) finish(svc *service, r *run) {
	r.finished = true
	stopT(r.drain)
	stopT(r.kill)
	if err := r.child.SignalGroup(syscall.SIGKILL); err != nil && !errors.Is(err, signals.ErrFinished) {
		s.notice("kill", svc.cfg.Name, fmt.Sprintf("leftover group: %v", err))
	}
	r.child.Finish()
	if !r.eof {
		r.capture.Close()
	}
	svc.run = nil
	ran := s.clock.Now().Sub(r.started)
	s.emit("exited", svc.cfg.Name, fmt.Sprintf("(pid %d): %s after %s", r.child.PID, r.exit, ran.Round(time.Millisecond)))
	s.runEnded(svc, r.exit.Code(), ran)
}

// runEnded applies the restart policy to a run that ended with code after
// ran (0 when it never started).
func (s *Supervisor) runEnded(svc *service, code int, ran time.Duration) {
	svc.stopTimer()
	svc.lastExit = &code
	c := svc.cfg
	switch {
	case svc.stopReq:
		svc.stopReq = false
		if svc.again {
			// A restart: no waiter may see the service at rest between
			// the old run and the new one.
			svc.again = false
			svc.state = StateStopped
			s.requestStart(svc, true)
			s.changed()
			return
		}
		s.ended(svc, StateStopped)
		s.mainEnded(svc, code)
		return
	case svc.removed:
		s.ended(svc, StateStopped)
		return
	case svc.isCron():
		if s.shutdown == nil && svc.cronT != nil {
			s.ended(svc, StateScheduled)
		} else {
			s.ended(svc, StateStopped)
		}
		return
	case c.Oneshot:
		if code == 0 {
			s.ended(svc, StateExited)
		} else {
			s.emit("fatal", c.Name, fmt.Sprintf("oneshot failed with exit %d", code))
			s.ended(svc, StateFatal)
		}
		s.mainEnded(svc, code)
		return
	}
	failed := ran < c.StartSecs
	if failed {
		svc.streak++
	} else {
		svc.streak = 0
		svc.delay = c.Backoff
	}
	restart := c.Restart == config.RestartAlways || (c.Restart == config.RestartOnFailure && code != 0)
	switch {
	case s.shutdown != nil || !restart:
		s.ended(svc, StateExited)
		s.mainEnded(svc, code)
	case failed && c.MaxRestarts > 0 && svc.streak > c.MaxRestarts:
		s.emit("fatal", c.Name, fmt.Sprintf("%d failed starts in a row (max_restarts = %d), last exit %d", svc.streak, c.MaxRestarts, code))
		s.ended(svc, StateFatal)
		s.mainEnded(svc, code)
	default:
		delay := svc.delay
		if failed {
			svc.delay = min(2*delay, c.BackoffMax)
		}
		seq := svc.timerSeq
		svc.timer = s.after(delay, func() {
			if svc.timerSeq == seq && svc.state == StateBackoff && s.shutdown == nil {
				svc.timer = nil
				svc.restarts++
				s.launch(svc)
			}
		})
		// Armed before the event is seen, so a test that reacts to the
		// event by advancing its clock cannot outrun the timer.
		s.emit("backoff", c.Name, fmt.Sprintf("restarting in %s (exit %d)", delay, code))
		s.setState(svc, StateBackoff)
	}
}

// ended moves a service without a process into its resting state; a
// service removed by a reload is forgotten here.
func (s *Supervisor) ended(svc *service, st State) {
	if svc.removed && svc.run == nil {
		s.forget(svc)
	}
	s.setState(svc, st)
}

// mainEnded shuts supervise down when the main service has ended for good.
func (s *Supervisor) mainEnded(svc *service, code int) {
	if !svc.cfg.Main {
		return
	}
	s.exitCode = code
	s.mainSeen = true
	s.beginShutdown(fmt.Sprintf("main service %s ended with exit %d", svc.cfg.Name, code))
}
