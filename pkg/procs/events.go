package procs

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/supervise/supervise/pkg/signals"
)

// Event is one thing supervise reports: a line on its stderr and, for the
// kinds of SPEC §2 (started, exited, backoff, fatal, rotated, disk_warn,
// disk_low, dropped), a run of event_command.
type Event struct {
	Time    time.Time
	Kind    string
	Service string // service or log name; "" for supervise itself
	Detail  string
}

// Line is the stderr form: `supervise: 2026-11-29T02:10:00Z started jupyter (pid 42)`.
func (e Event) Line() string {
	var b strings.Builder
	b.WriteString("supervise: ")
	b.WriteString(e.Time.UTC().Format(time.RFC3339))
	b.WriteByte(' ')
	b.WriteString(e.Kind)
	if e.Service != "" {
		b.WriteByte(' ')
		b.WriteString(e.Service)
	}
	if e.Detail != "" {
		if !strings.HasPrefix(e.Detail, "(") {
			b.WriteByte(':')
		}
		b.WriteByte(' ')
		b.WriteString(e.Detail)
	}
	b.WriteByte('\n')
	return b.String()
}

// eventKinds are the events event_command is run for.
var eventKinds = map[string]bool{
	"started": true, "exited": true, "backoff": true, "fatal": true,
	"rotated": true, "disk_warn": true, "disk_low": true, "dropped": true,
}

// Emit reports an event from outside procs (the sink's rotated and disk
// events), with the same line and event_command as the supervisor's own.
// It never blocks.
func (s *Supervisor) Emit(kind, name, detail string) {
	s.emitMu.Lock()
	s.emits = append(s.emits, Event{Kind: kind, Service: name, Detail: detail})
	s.emitMu.Unlock()
	select {
	case s.emitKick <- struct{}{}:
	default:
	}
}

// emit prints an event and runs event_command for it. Loop only.
func (s *Supervisor) emit(kind, name, detail string) {
	e := s.print(kind, name, detail)
	if eventKinds[kind] {
		s.runEventCommand(e)
	}
}

// notice prints a line that is not an event_command event. Loop only.
func (s *Supervisor) notice(kind, name, detail string) { s.print(kind, name, detail) }

func (s *Supervisor) print(kind, name, detail string) Event {
	e := Event{Time: s.clock.Now(), Kind: kind, Service: name, Detail: detail}
	s.outMu.Lock()
	_, _ = io.WriteString(s.out, e.Line())
	s.outMu.Unlock()
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(e)
	}
	return e
}

// eventQueueMax bounds the events of one kind waiting for their turn, so a
// hook slower than the event rate cannot grow supervise without limit.
const eventQueueMax = 100

// eventRunner runs event_command at most once at a time per event kind.
// An event that arrives while its kind's command still runs waits in a
// queue and runs when that command ends, oldest first: a burst (500
// services exiting) never forks 500 hooks at once, and an alert for the
// second service to go fatal is not lost behind the first. Past
// eventQueueMax waiting events of a kind, more are dropped and counted; the
// count is reported when the queue drains. Its failures are printed lines,
// never events, so a broken hook cannot feed itself.
type eventRunner struct {
	busy    map[string]*signals.Child
	pending map[string][]Event
	dropped map[string]int
	timers  map[string]Timer
}

func (er *eventRunner) init() {
	er.busy = map[string]*signals.Child{}
	er.pending = map[string][]Event{}
	er.dropped = map[string]int{}
	er.timers = map[string]Timer{}
}

func (er *eventRunner) stopTimers() {
	for _, t := range er.timers {
		t.Stop()
	}
}

func (s *Supervisor) runEventCommand(e Event) {
	if len(s.cfg.Supervise.EventCommand) == 0 || s.closing() {
		return
	}
	er := &s.events
	if er.busy[e.Kind] != nil {
		if len(er.pending[e.Kind]) >= eventQueueMax {
			er.dropped[e.Kind]++
			return
		}
		er.pending[e.Kind] = append(er.pending[e.Kind], e)
		return
	}
	s.startEventCommand(e)
}

func (s *Supervisor) startEventCommand(e Event) {
	argv := s.cfg.Supervise.EventCommand
	er := &s.events
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append([]string(nil), s.opts.Environ...),
		"SUPERVISE_EVENT="+e.Kind, "SUPERVISE_SERVICE="+e.Service, "SUPERVISE_DETAIL="+e.Detail)
	cmd.Stdout, cmd.Stderr = s.opts.EventOutput, s.opts.EventOutput
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	child, err := s.opts.Reaper.Start(cmd)
	if err != nil {
		s.notice("event_command", "", fmt.Sprintf("for %s: could not start: %v (exit %d)", e.Kind, err, signals.StartCode(err)))
		return
	}
	er.busy[e.Kind] = child
	kind := e.Kind
	er.timers[kind] = s.after(s.opts.EventTimeout, func() {
		if er.busy[kind] == child {
			s.notice("event_command", "", fmt.Sprintf("for %s: still running after %s: SIGKILL", kind, s.opts.EventTimeout))
			_ = child.SignalGroup(syscall.SIGKILL)
		}
	})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case x := <-child.Exit():
			s.post(func() { s.eventCommandDone(kind, child, x) })
		case <-s.quit:
		}
	}()
}

func (s *Supervisor) eventCommandDone(kind string, child *signals.Child, x signals.Exit) {
	er := &s.events
	if t := er.timers[kind]; t != nil {
		t.Stop()
		delete(er.timers, kind)
	}
	delete(er.busy, kind)
	if err := child.SignalGroup(syscall.SIGKILL); err != nil && !errors.Is(err, signals.ErrFinished) {
		s.notice("event_command", "", fmt.Sprintf("for %s: kill leftovers: %v", kind, err))
	}
	child.Finish()
	if x.Code() != 0 {
		s.notice("event_command", "", fmt.Sprintf("for %s: %s", kind, x))
	}
	if q := er.pending[kind]; len(q) > 0 && !s.closing() {
		next := q[0]
		er.pending[kind] = q[1:]
		s.startEventCommand(next)
		return
	}
	delete(er.pending, kind)
	if n := er.dropped[kind]; n > 0 {
		delete(er.dropped, kind)
		s.notice("event_command", "", fmt.Sprintf("%d %s events dropped: %d were already waiting for the hook", n, kind, eventQueueMax))
	}
}

// closing reports whether Close has begun.
func (s *Supervisor) closing() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}
