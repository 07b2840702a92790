package sink

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/supervise/supervise/internal/config"
)

// Logfile event kinds beyond SPEC's event_command set: they are printed as
// supervise lines but run no event_command.
const (
	// EventRefused: a [logfile] file was not rotated because a symlink, a
	// hard link or a non-regular file sits at its path or an archive name.
	EventRefused = "refused"
	// EventLogfileError: a [logfile] rotation or its signal failed.
	EventLogfileError = "logfile_error"
)

// SignalFunc sends sig to the process group of a service; run.go passes the
// supervisor's Signal so that the sink never touches processes itself.
type SignalFunc func(service string, sig syscall.Signal) error

// Logfiles rotates the files that programs write themselves ([logfile NAME],
// logrotate's other half). It owns one watcher per section; archives are
// named, compressed, pruned and counted by the disk guard exactly as those of
// service logs, through the same Manager.
type Logfiles struct {
	m      *Manager
	signal SignalFunc

	// mu guards watchers and closed; it is never held during a check, so
	// Close may wait for a watcher's goroutines without a deadlock.
	mu       sync.Mutex
	watchers map[string]*watcher
	closed   bool
}

// NewLogfiles starts a watcher for each [logfile] section. signal may be nil
// (then a rename is never followed by a signal).
func NewLogfiles(m *Manager, sections []*config.Logfile, signal SignalFunc) *Logfiles {
	lf := &Logfiles{m: m, signal: signal, watchers: map[string]*watcher{}}
	lf.Update(sections)
	return lf
}

// Update applies a reloaded config: new sections start watching, removed
// ones stop, a section whose path is unchanged keeps its files and takes the
// new keys in place, one whose path changed is replaced.
func (lf *Logfiles) Update(sections []*config.Logfile) {
	lf.mu.Lock()
	if lf.closed {
		lf.mu.Unlock()
		return
	}
	want := map[string]*config.Logfile{}
	for _, s := range sections {
		want[s.Name] = s
	}
	var stop []*watcher
	for name, w := range lf.watchers {
		s, ok := want[name]
		if !ok || s.Path != w.cfg.Load().Path {
			stop = append(stop, w)
			delete(lf.watchers, name)
			continue
		}
		w.setConfig(s)
	}
	for _, s := range sections {
		if _, ok := lf.watchers[s.Name]; !ok {
			lf.watchers[s.Name] = newWatcher(lf.m, s, lf.signal)
		}
	}
	lf.mu.Unlock()
	for _, w := range stop {
		w.close()
	}
}

// Has reports whether name is a [logfile] section being watched.
func (lf *Logfiles) Has(name string) bool {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	_, ok := lf.watchers[name]
	return ok
}

// Rotate rotates every file of one [logfile] now (`ctl rotate NAME`),
// returning once the archives are in place and the service was signalled.
func (lf *Logfiles) Rotate(name string) error {
	lf.mu.Lock()
	w, ok := lf.watchers[name]
	lf.mu.Unlock()
	if !ok {
		return fmt.Errorf("logfile %s: no such [logfile]", name)
	}
	return w.rotateNow()
}

// RotateAll rotates every [logfile] (SIGUSR1, `ctl rotate` without names).
func (lf *Logfiles) RotateAll() error {
	lf.mu.Lock()
	ws := make([]*watcher, 0, len(lf.watchers))
	for _, w := range lf.watchers {
		ws = append(ws, w)
	}
	lf.mu.Unlock()
	slices.SortFunc(ws, func(a, b *watcher) int { return strings.Compare(a.name, b.name) })
	var errs []error
	for _, w := range ws {
		if err := w.rotateNow(); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops every watcher and waits for its goroutines; an unfinished
// compression is abandoned for start-up recovery, as with service logs.
func (lf *Logfiles) Close() error {
	lf.mu.Lock()
	if lf.closed {
		lf.mu.Unlock()
		return nil
	}
	lf.closed = true
	ws := lf.watchers
	lf.watchers = nil
	lf.mu.Unlock()
	for _, w := range ws {
		w.close()
	}
	return nil
}
