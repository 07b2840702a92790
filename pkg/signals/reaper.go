package signals

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrFinished is returned when signalling a child whose exit has already
// been collected (or, for the group, whose owner has called Finish).
var ErrFinished = errors.New("process already finished")

// ErrNoGroup is returned by SignalGroup for a child started without its own
// process group: signalling "its" group would hit supervise's.
var ErrNoGroup = errors.New("process has no process group of its own")

// ReaperOptions configure NewReaper.
type ReaperOptions struct {
	// Logf receives the one-time subreaper notice. nil discards it.
	Logf func(format string, args ...any)
	// Debugf receives a line per reaped orphan. nil discards it.
	Debugf func(format string, args ...any)
	// Sweep is the interval of the safety-net drain that catches exits
	// whose SIGCHLD was merged or lost (tini's 1 s sweep). Default 1s.
	Sweep time.Duration
	// NoSubreaper skips PR_SET_CHILD_SUBREAPER (tests that run many reapers
	// in one process set it once themselves).
	NoSubreaper bool
}

// Reaper is the single owner of wait4 in the process. It reaps every child
// and every orphan re-parented to us, and hands each registered child's exit
// to exactly one channel. Nothing else may wait: exec.Cmd.Wait and
// os.Process.Wait would race it for the same zombies (STYLE §2.2).
type Reaper struct {
	// mu guards children and every Child's reaped/finished flags. Start
	// holds it across cmd.Start and the insert so that a child exiting
	// before it is registered is still found; the drain loop calls wait4
	// without it and locks only to look the pid up. Never held while
	// sending to a channel that could block (the exit channels have room).
	mu       sync.Mutex
	children map[int]*Child
	// failedExecs counts Starts that failed, possibly after the fork. On
	// an exec failure the syscall package reaps its child itself with
	// wait4(pid); when the drain loop gets there first, the child (exit
	// status 253) must not be counted as an orphan.
	failedExecs int

	orphans atomic.Int64
	reaped  atomic.Int64

	sigch  chan os.Signal
	stop   chan struct{}
	done   chan struct{}
	opts   ReaperOptions
	closed sync.Once
}

// goExecFailureStatus is the exit status of a child the syscall package
// forked but could not exec (syscall/exec_linux.go: exit(253)).
const goExecFailureStatus = 253

// Child is a process started through Reaper.Start.
type Child struct {
	PID  int
	r    *Reaper
	cmd  *exec.Cmd
	pgid int // the child's own process group, 0 when it has none
	exit chan Exit

	// Guarded by r.mu.
	reaped   bool // wait4 returned it: the pid may be reused from now on
	finished bool // the owner gave up on the group (Finish)
}

// NewReaper starts the reaper goroutine. When supervise is not PID 1 it
// makes itself a child subreaper so that orphans still come to it, and says
// so once through Logf. It also marks inherited descriptors close-on-exec
// (CloseOnExecInherited), since every child is started through it.
func NewReaper(opts ReaperOptions) (*Reaper, error) {
	if opts.Sweep <= 0 {
		opts.Sweep = time.Second
	}
	if !opts.NoSubreaper {
		if err := becomeSubreaper(opts.Logf); err != nil {
			return nil, err
		}
	}
	if err := CloseOnExecInherited(); err != nil {
		return nil, fmt.Errorf("reaper: %w", err)
	}
	r := &Reaper{
		children: make(map[int]*Child),
		// SIGCHLD means "go look", never "one child exited"; a deep buffer
		// only saves wake-ups, since merged signals are drained anyway.
		sigch: make(chan os.Signal, 128),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		opts:  opts,
	}
	signal.Notify(r.sigch, syscall.SIGCHLD)
	go r.loop()
	return r, nil
}

// becomeSubreaper sets PR_SET_CHILD_SUBREAPER unless we are PID 1, where
// the kernel already sends us every orphan.
func becomeSubreaper(logf func(string, ...any)) error {
	if os.Getpid() == 1 {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("reaper: set child subreaper: %w", err)
	}
	if logf != nil {
		logf("not PID 1 (pid %d): registered as a child subreaper, orphans are reaped here", os.Getpid())
	}
	return nil
}

// IsSubreaper reports whether the calling process is a child subreaper.
func IsSubreaper() (bool, error) {
	var v int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0); err != nil {
		return false, fmt.Errorf("get child subreaper: %w", err)
	}
	return v != 0, nil
}

// Close stops the reaper goroutine and waits for it. Children still running
// are not signalled; their exits are no longer delivered.
func (r *Reaper) Close() {
	r.closed.Do(func() {
		signal.Stop(r.sigch)
		close(r.stop)
	})
	<-r.done
}

// Orphans is the number of reaped processes that no Start registered.
func (r *Reaper) Orphans() int64 { return r.orphans.Load() }

// Reaped is the number of processes reaped, registered or not.
func (r *Reaper) Reaped() int64 { return r.reaped.Load() }

// Start starts cmd and registers it. cmd's stdio should be *os.File (or nil)
// so os/exec starts no copy goroutines that only Wait would stop. The
// caller must never call cmd.Wait; the exit arrives on Child.Exit.
func (r *Reaper) Start(cmd *exec.Cmd) (*Child, error) {
	c := &Child{r: r, cmd: cmd, exit: make(chan Exit, 1)}
	if a := cmd.SysProcAttr; a != nil && (a.Setsid || (a.Setpgid && a.Pgid == 0)) {
		c.pgid = -1 // the pid, once known
	}
	r.mu.Lock()
	if err := cmd.Start(); err != nil {
		r.failedExecs++
		r.mu.Unlock()
		return nil, err
	}
	c.PID = cmd.Process.Pid
	if c.pgid == -1 {
		c.pgid = c.PID
	}
	r.children[c.PID] = c
	r.mu.Unlock()
	return c, nil
}

// Exit delivers the child's exit exactly once.
func (c *Child) Exit() <-chan Exit { return c.exit }

// Signal sends sig to the child itself through its pidfd, which cannot hit
// a recycled pid. After the exit was collected it returns ErrFinished.
func (c *Child) Signal(sig syscall.Signal) error {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.reaped {
		return ErrFinished
	}
	if err := c.cmd.Process.Signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return ErrFinished
		}
		return fmt.Errorf("signal pid %d: %w", c.PID, err)
	}
	return nil
}

// SignalGroup sends sig to the child's whole process group. It is allowed
// while the leader lives and after it exited, until Finish: while the
// unreaped leader or any member holds the group id, no new group can get
// it. Only after the leader is reaped and the last member is gone could
// the number be reused, so the owner calls Finish as soon as it has seen
// both the exit and the end of the output.
func (c *Child) SignalGroup(sig syscall.Signal) error {
	if c.pgid <= 0 {
		return ErrNoGroup
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.finished {
		return ErrFinished
	}
	if err := unix.Kill(-c.pgid, sig); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrFinished
		}
		return fmt.Errorf("signal process group %d: %w", c.pgid, err)
	}
	return nil
}

// Finish forbids further group signals: the owner has seen the exit and the
// end of the group's output, and the group id may be reused from now on.
func (c *Child) Finish() {
	c.r.mu.Lock()
	c.finished = true
	c.r.mu.Unlock()
}

func (r *Reaper) loop() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Sweep)
	defer t.Stop()
	for {
		r.drain()
		select {
		case <-r.sigch:
		case <-t.C:
		case <-r.stop:
			return
		}
	}
}

// drain collects every exit that is ready. WNOHANG, always: a blocking
// wait4 parks the reaper behind one child while others stay zombies.
func (r *Reaper) drain() {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, &ru)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			// ECHILD: no children at all; 0: none has exited yet.
			return
		}
		r.deliver(Exit{PID: pid, Status: ws, Rusage: ru})
	}
}

func (r *Reaper) deliver(e Exit) {
	r.reaped.Add(1)
	r.mu.Lock()
	c, ok := r.children[e.PID]
	failedExec := false
	if ok {
		delete(r.children, e.PID)
		c.reaped = true
		// Wait is never called, so Release is what frees the pidfd.
		_ = c.cmd.Process.Release()
	} else if r.failedExecs > 0 && e.Status.Exited() && e.Status.ExitStatus() == goExecFailureStatus {
		r.failedExecs--
		failedExec = true
	}
	r.mu.Unlock()
	if failedExec {
		return
	}
	if !ok {
		r.orphans.Add(1)
		if r.opts.Debugf != nil {
			r.opts.Debugf("reaped orphan pid %d (%s)", e.PID, e)
		}
		return
	}
	c.exit <- e // capacity 1, exactly one send: never blocks
}
