package sink

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// Log is one service's (or [logfile]'s) log: its policy and zero, one or two
// live files.
type Log struct {
	m    *Manager
	name string

	// route is what capture readers load once per chunk: the policy and
	// the outputs. Update replaces it as a whole.
	route atomic.Pointer[route]

	// mu guards captures and closed, and serializes Update, Close and
	// Attach against each other. It is never held on the write path.
	mu       sync.Mutex
	captures map[*Capture]struct{}
	closed   bool
}

// route is an immutable snapshot of where a log's lines go.
type route struct {
	pol *config.LogPolicy
	out *output // nil unless Mode == LogFile
	err *output // stderr's output: out when merged
}

func (r *route) outputs() []*output {
	switch {
	case r.out == nil:
		return nil
	case r.err == r.out || r.err == nil:
		return []*output{r.out}
	}
	return []*output{r.out, r.err}
}

// ErrPath is where stderr goes with stderr=separate: x.log -> x.err.log.
func ErrPath(path string) string {
	ext := filepath.Ext(path)
	if ext == "" || ext == path {
		return path + ".err"
	}
	return strings.TrimSuffix(path, ext) + ".err" + ext
}

// newRoute opens the outputs that p needs, reusing those of old whose path
// is unchanged (a reload that changes only rotation keys keeps the file).
func (l *Log) newRoute(p *config.LogPolicy, old *route) (*route, error) {
	r := &route{pol: p}
	if p.Mode != config.LogFile {
		return r, nil
	}
	if p.Path == "" {
		return nil, fmt.Errorf("sink %s: open: log mode file without a path", l.name)
	}
	reuse := func(path string) *output {
		if old == nil {
			return nil
		}
		for _, o := range old.outputs() {
			if o.path == path {
				o.pol.Store(p)
				return o
			}
		}
		return nil
	}
	r.out = reuse(p.Path)
	if r.out == nil {
		o, err := newOutput(l.m, l.name, p.Path, p)
		if err != nil {
			return nil, err
		}
		r.out = o
	}
	r.err = r.out
	if p.StderrSeparate {
		r.err = reuse(ErrPath(p.Path))
		if r.err == nil {
			o, err := newOutput(l.m, l.name, ErrPath(p.Path), p)
			if err != nil {
				if old == nil || r.out != old.out {
					r.out.close()
				}
				return nil, err
			}
			r.err = o
		}
	}
	return r, nil
}

// Name is the log's name (the service's).
func (l *Log) Name() string { return l.name }

// Rotate rotates the live file(s) now and returns when the new ones are
// open. An empty live file is left alone unless if_empty is set.
func (l *Log) Rotate() error {
	r := l.route.Load()
	if r == nil {
		return ErrClosed
	}
	now := l.m.now()
	var errs []error
	for _, o := range r.outputs() {
		o.mu.Lock()
		var err error
		if o.closed {
			err = ErrClosed
		} else {
			err = o.rotateLocked(now)
		}
		o.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rotateIfDue rotates an idle log at its time boundary.
func (o *output) rotateIfDue(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed && !o.nextRotate.IsZero() && !now.Before(o.nextRotate) {
		o.rotateLocked(now)
	}
}

// Update applies a reload that changed only log keys, without restarting
// the service: rotation, retention, compression and framing keys take
// effect at once; a new path or mode switches files between two lines.
func (l *Log) Update(p config.LogPolicy) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	old := l.route.Load()
	r, err := l.newRoute(&p, old)
	if err != nil {
		return fmt.Errorf("sink %s: update: %w", l.name, err)
	}
	l.route.Store(r)
	// Readers that loaded the old route get errClosed from a dropped
	// output and retry on the new route, so no line is lost.
	keep := map[*output]bool{}
	var errs []error
	for _, o := range r.outputs() {
		keep[o] = true
		o.mu.Lock()
		o.refreshScheduleLocked(l.m.now())
		if err := o.applyPolicyLocked(); err != nil {
			errs = append(errs, fmt.Errorf("sink %s: update: %w", l.name, err))
		}
		o.mu.Unlock()
		o.dirty.Store(true)
	}
	for _, o := range old.outputs() {
		if !keep[o] {
			errs = append(errs, o.close())
		}
	}
	l.m.wakeWorker()
	return errors.Join(errs...)
}

// applyPolicyLocked gives the open live file a changed file_mode or
// file_owner at once; archives get them as they are made.
func (o *output) applyPolicyLocked() error {
	if o.state != stateOpen {
		return nil
	}
	pol := o.pol.Load()
	mode := pol.FileMode.Perm()
	if mode == 0 {
		mode = 0o644
	}
	if err := o.f.Chmod(mode); err != nil {
		return err
	}
	if pol.FileOwner != nil {
		return o.f.Chown(pol.FileOwner.UID, pol.FileOwner.GID)
	}
	return nil
}

// refreshScheduleLocked recomputes the time boundary after rotate_every
// changed.
func (o *output) refreshScheduleLocked(now time.Time) {
	pol := o.pol.Load()
	if pol.RotateEvery == config.PeriodNever {
		o.nextRotate = time.Time{}
	} else if o.nextRotate.IsZero() || nextBoundary(pol.RotateEvery, now).Before(o.nextRotate) {
		o.nextRotate = nextBoundary(pol.RotateEvery, now)
	}
}

// Stats is a log's counters for `ctl status` and metrics.
type Stats struct {
	Path         string // live file; "" with log=off or console
	Bytes        int64  // live file size (both files with stderr=separate)
	BytesWritten int64  // bytes written to live files since Open
	Rotations    int64
	DroppedBytes int64 // bytes dropped (disk low, write errors) since Open
	ArchiveBytes int64 // bytes in archives, compressed or not
	LastError    error // the latest file error, nil if none
}

// Stats returns the log's counters.
func (l *Log) Stats() Stats {
	r := l.route.Load()
	if r == nil {
		return Stats{}
	}
	var s Stats
	if r.out != nil {
		s.Path = r.out.path
	}
	for _, o := range r.outputs() {
		s.Bytes += o.liveSize.Load()
		s.BytesWritten += o.written.Load()
		s.Rotations += o.rotations.Load()
		s.DroppedBytes += o.droppedTotal.Load()
		s.ArchiveBytes += o.archiveBytes.Load()
		if e := o.lastErr.Load(); e != nil && s.LastError == nil {
			s.LastError = *e
		}
	}
	return s
}

// Close stops the log's captures (their partial lines are written), then
// flushes and closes its files.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	caps := make([]*Capture, 0, len(l.captures))
	for c := range l.captures {
		caps = append(caps, c)
	}
	l.mu.Unlock()
	for _, c := range caps {
		c.Close()
	}
	r := l.route.Load()
	var errs []error
	for _, o := range r.outputs() {
		errs = append(errs, o.close())
	}
	l.m.forget(l)
	return errors.Join(errs...)
}
