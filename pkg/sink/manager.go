// Package sink turns service output into log files (SPEC §4): it reads the
// pipes (or the pty) of every service as fast as they are written, frames
// whole lines, writes them to per-service live files, rotates between lines,
// compresses and prunes archives in the background, and guards the disk.
//
// A Manager owns every background goroutine: the compression and retention
// worker, the housekeeper (disk guard, time rotation of idle logs, max_age),
// and the event and console queues. Close stops and waits for all of them.
package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// Event kinds, as in SPEC §2 event_command.
const (
	EventRotated  = "rotated"
	EventDiskWarn = "disk_warn"
	EventDiskLow  = "disk_low"
	EventDropped  = "dropped"
)

// Event is something a user may want to hear about (event_command, the
// supervisor's own stderr).
type Event struct{ Kind, Log, Detail string }

// Options configures a Manager.
type Options struct {
	DiskMinFree, DiskWarn config.Amount
	Console               io.Writer        // supervise's stdout, for log=console and console=true ("NAME | line")
	Events                func(Event)      // may be nil; called from the Manager's own goroutine, never on the write path
	Now                   func() time.Time // nil: time.Now; injected in tests (time rotation, timestamps)
	GuardEvery            time.Duration    // disk guard and housekeeping period; 0: 1s
	statfs                func(*output) (space, error)
}

// Queue sizes: bounded, so that a stuck consumer costs dropped events or
// console lines, never a blocked service.
const (
	eventQueue   = 256
	consoleQueue = 1024
)

// ErrClosed is returned by calls on a closed Manager or Log.
var ErrClosed = errors.New("sink: closed")

// Manager owns the logs of one supervisor and their background work.
type Manager struct {
	opts   Options
	now    func() time.Time
	statfs func(*output) (space, error)

	// mu guards logs, fss (and each filesystem's outs) and closed. It is
	// never held while writing, renaming or compressing.
	mu     sync.Mutex
	logs   map[string]*Log
	fss    map[uint64]*filesystem
	closed bool

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // worker and housekeeper
	wake      chan struct{}  // cap 1: compression or retention work is pending
	guardWake chan struct{}  // cap 1: a filesystem needs a disk check now

	events  *queue[Event]
	console *queue[[]byte]
}

// NewManager starts a Manager's background goroutines.
func NewManager(opts Options) *Manager {
	m := &Manager{
		opts:      opts,
		now:       opts.Now,
		statfs:    opts.statfs,
		logs:      map[string]*Log{},
		fss:       map[uint64]*filesystem{},
		wake:      make(chan struct{}, 1),
		guardWake: make(chan struct{}, 1),
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.statfs == nil {
		m.statfs = statSpace
	}
	if m.opts.GuardEvery <= 0 {
		m.opts.GuardEvery = time.Second
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.events = newQueue(eventQueue, func(e Event) {
		if opts.Events != nil {
			opts.Events(e)
		}
	})
	m.console = newQueue(consoleQueue, func(b []byte) {
		if opts.Console != nil {
			_, _ = opts.Console.Write(b)
		}
	})
	m.wg.Add(2)
	go m.worker()
	go m.housekeeper()
	return m
}

func (m *Manager) event(e Event) { m.events.push(e) }

func (m *Manager) wakeWorker() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) wakeGuard() {
	select {
	case m.guardWake <- struct{}{}:
	default:
	}
}

// Open opens the log(s) of one service or [logfile] and recovers its
// archives from an earlier run: leftover *.tmp are removed and archives
// that should be compressed are queued.
func (m *Manager) Open(name string, p config.LogPolicy) (*Log, error) {
	if name == "" {
		return nil, errors.New("sink: open: empty log name")
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if _, dup := m.logs[name]; dup {
		m.mu.Unlock()
		return nil, fmt.Errorf("sink %s: open: already open", name)
	}
	l := &Log{m: m, name: name, captures: map[*Capture]struct{}{}}
	m.logs[name] = l // reserve the name while files open
	m.mu.Unlock()

	r, err := l.newRoute(&p, nil)
	if err != nil {
		m.mu.Lock()
		delete(m.logs, name)
		m.mu.Unlock()
		return nil, err
	}
	l.route.Store(r)
	// The outputs asked for recovery work before the worker could see
	// this log; ask again now that it can.
	m.wakeWorker()
	return l, nil
}

// Log returns an open log by name.
func (m *Manager) Log(name string) (*Log, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[name]
	return l, ok && l.route.Load() != nil
}

func (m *Manager) openLogs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	ls := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		if l.route.Load() != nil {
			ls = append(ls, l)
		}
	}
	return ls
}

func (m *Manager) forget(l *Log) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs[l.name] == l {
		delete(m.logs, l.name)
	}
}

// RotateAll rotates every log (SIGUSR1, `ctl rotate` without names) and
// returns when all new live files are open.
func (m *Manager) RotateAll() error {
	var errs []error
	for _, l := range m.openLogs() {
		if err := l.Rotate(); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every log (stopping their captures, writing partial lines),
// then stops the background goroutines and waits for them. An unfinished
// compression is abandoned; start-up recovery redoes it.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	var errs []error
	for _, l := range m.openLogs() {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	m.cancel()
	m.wg.Wait()
	m.console.close()
	m.events.close()
	return errors.Join(errs...)
}

// housekeeper runs the periodic work that no write triggers: the disk
// guard, time rotation of idle logs, and max_age.
func (m *Manager) housekeeper() {
	defer m.wg.Done()
	t := time.NewTicker(m.opts.GuardEvery)
	defer t.Stop()
	var ticks int
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.guardWake:
			m.guardAll()
		case <-t.C:
			ticks++
			m.housekeep(ticks%60 == 0)
		}
	}
}

// housekeep is one housekeeping pass; tests call it with an injected clock.
func (m *Manager) housekeep(ageCheck bool) {
	m.guardAll()
	now := m.now()
	for _, l := range m.openLogs() {
		r := l.route.Load()
		for _, o := range r.outputs() {
			o.rotateIfDue(now)
			if ageCheck && o.pol.Load().MaxAge > 0 {
				o.dirty.Store(true)
				m.wakeWorker()
			}
		}
	}
}
