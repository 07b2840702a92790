package sink

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// watcher is one [logfile] section: every check_every it expands the path,
// stats each file and rotates the ones that are due. It owns two
// goroutines, the checker and the maintainer (compression and retention),
// and close waits for both.
type watcher struct {
	m      *Manager
	name   string
	signal SignalFunc
	cfg    atomic.Pointer[config.Logfile]

	// mu serializes checks and on-demand rotations and guards files and
	// closed. Lock order: mu, then an output's arcMu.
	mu     sync.Mutex
	files  map[string]*lfFile // by path
	closed bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // cap 1: the maintainer has work
}

// lfFile is one file matched by a [logfile] path. Its output holds the
// directory and the archive bookkeeping the worker code shares with service
// logs; it never has a live file open (closed is set from the start), since
// the program owns the live file.
type lfFile struct {
	o          *output
	nextRotate time.Time // zero: no time rotation
	refused    string    // last refusal reported, so a planted link is one event, not one per check

	// hold is the inode of the newest rename archive while the program may
	// still write to it (before it reopened): it is not compressed yet.
	hold      atomic.Uint64
	holdSize  int64
	holdMtime time.Time
}

func newWatcher(m *Manager, c *config.Logfile, signal SignalFunc) *watcher {
	w := &watcher{m: m, name: c.Name, signal: signal, files: map[string]*lfFile{}, wake: make(chan struct{}, 1)}
	w.cfg.Store(c)
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.wg.Add(2)
	go w.checker()
	go w.maintainer()
	return w
}

func (w *watcher) setConfig(c *config.Logfile) {
	w.mu.Lock()
	old := w.cfg.Swap(c)
	for p, f := range w.files {
		pol := c.Log
		pol.Path = p
		f.o.pol.Store(&pol)
		if pol.RotateEvery == old.Log.RotateEvery {
			continue // a file due at the next boundary stays due
		}
		f.nextRotate = time.Time{}
		if pol.RotateEvery != config.PeriodNever {
			f.nextRotate = nextBoundary(pol.RotateEvery, w.m.now())
		}
	}
	w.mu.Unlock()
	w.wakeMaintainer()
}

func (w *watcher) wakeMaintainer() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) close() {
	w.cancel()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for p, f := range w.files {
		f.o.closeArchiveOnly()
		delete(w.files, p)
	}
}

// checker checks at start (files left over-size or past their period by an
// earlier run, archives to compress) and then every check_every.
func (w *watcher) checker() {
	defer w.wg.Done()
	w.check()
	for {
		t := time.NewTimer(max(w.cfg.Load().CheckEvery, 10*time.Millisecond))
		select {
		case <-w.ctx.Done():
			t.Stop()
			return
		case <-t.C:
			w.check()
		}
	}
}

// maintainer compresses and prunes archives with the sink's own code
// (compressOne: temp file, fsync, rename; retain: keep, max_age,
// max_total), off the check path so a long compression never delays a
// size rotation.
func (w *watcher) maintainer() {
	defer w.wg.Done()
	var c compressor
	defer c.close()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.wake:
		}
		w.mu.Lock()
		fs := make([]*lfFile, 0, len(w.files))
		for _, f := range w.files {
			fs = append(fs, f)
		}
		w.mu.Unlock()
		for _, f := range fs {
			if w.ctx.Err() != nil {
				return
			}
			w.maintain(f, &c)
		}
	}
}

func (w *watcher) maintain(f *lfFile, c *compressor) {
	o := f.o
	o.storeLiveSize()
	o.retain(w.m.now())
	for w.ctx.Err() == nil {
		a, ok := o.nextCompressibleExcept(f.hold.Load())
		if !ok {
			return
		}
		if err := o.compressOne(w.ctx, c, a); err != nil {
			if w.ctx.Err() == nil {
				w.m.event(Event{Kind: EventLogfileError, Log: w.name, Detail: err.Error()})
			}
			return
		}
		o.retain(w.m.now())
	}
}

// check is one pass: expand the path, then rotate what is due by size or
// time. Tests call it directly with an injected clock.
func (w *watcher) check() {
	w.mu.Lock()
	rotated, err := w.checkLocked(false)
	w.mu.Unlock()
	w.afterRotate(rotated, err)
}

// rotateNow rotates every matched file (ctl rotate, SIGUSR1).
func (w *watcher) rotateNow() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	rotated, err := w.checkLocked(true)
	w.mu.Unlock()
	return w.afterRotate(rotated, err)
}

// afterRotate sends the service its signal once for all files renamed in
// one pass, so a glob of many files costs the program one reopen.
func (w *watcher) afterRotate(renamed bool, err error) error {
	c := w.cfg.Load()
	if renamed && c.Method == config.MethodRename && c.Service != "" && w.signal != nil {
		if serr := w.signal(c.Service, c.Signal); serr != nil {
			serr = fmt.Errorf("logfile %s: signal %s: %w", w.name, c.Service, serr)
			w.m.event(Event{Kind: EventLogfileError, Log: w.name, Detail: serr.Error()})
			err = errors.Join(err, serr)
		}
	}
	w.wakeMaintainer()
	return err
}

func (w *watcher) checkLocked(force bool) (renamed bool, err error) {
	if w.closed || w.ctx.Err() != nil {
		return false, ErrClosed
	}
	c := w.cfg.Load()
	paths, gerr := w.expand(c.Path)
	if gerr != nil {
		w.m.event(Event{Kind: EventLogfileError, Log: w.name, Detail: gerr.Error()})
		return false, gerr
	}
	now := w.m.now()
	var errs []error
	for _, p := range paths {
		f, err := w.fileLocked(p, c, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.settle()
		due := force
		st, serr := f.o.statLive()
		if serr == nil {
			if c.Log.RotateSize > 0 && st.Size >= c.Log.RotateSize {
				due = true
			}
		}
		if !f.nextRotate.IsZero() && !now.Before(f.nextRotate) {
			due = true
			f.nextRotate = nextBoundary(c.Log.RotateEvery, now)
		}
		if !due {
			continue
		}
		did, err := w.rotateFile(f, c, now)
		if err != nil {
			errs = append(errs, err)
		}
		renamed = renamed || (did && c.Method == config.MethodRename)
	}
	w.forgetGoneLocked(paths)
	return renamed, errors.Join(errs...)
}

// forgetGoneLocked releases files a glob no longer matches once nothing of
// them is left (no live file, no archive), so that churn under a broad glob
// does not pile up directory descriptors. One that still has archives stays
// for retention and compression.
func (w *watcher) forgetGoneLocked(matched []string) {
	if len(w.files) == len(matched) {
		return
	}
	seen := make(map[string]bool, len(matched))
	for _, p := range matched {
		seen[p] = true
	}
	for p, f := range w.files {
		if seen[p] {
			continue
		}
		if _, err := f.o.statLive(); !errors.Is(err, unix.ENOENT) {
			continue
		}
		f.o.arcMu.Lock()
		as, err := f.o.archiveNamesLocked()
		f.o.arcMu.Unlock()
		if err != nil || len(as) > 0 {
			continue
		}
		f.o.closeArchiveOnly()
		delete(w.files, p)
	}
}

// fileLocked returns the state of a matched path, opening its directory the
// first time.
func (w *watcher) fileLocked(p string, c *config.Logfile, now time.Time) (*lfFile, error) {
	if f, ok := w.files[p]; ok {
		return f, nil
	}
	pol := c.Log
	pol.Path = p
	o, err := newArchiveOutput(w.m, w.name, p, &pol)
	if err != nil {
		return nil, err
	}
	f := &lfFile{o: o}
	if pol.RotateEvery != config.PeriodNever {
		from := now
		if st, err := o.statLive(); err == nil && st.Size > 0 && st.Mtime.Before(now) {
			// A file written in an earlier period rotates as soon as
			// that period is over, as service logs do.
			from = st.Mtime.In(now.Location())
		}
		f.nextRotate = nextBoundary(pol.RotateEvery, from)
	}
	w.files[p] = f
	return f, nil
}

// expand lists the live files a [logfile] path names, leaving out the
// archives and temporary files of those files (and of files already known)
// that a broad glob also matches.
func (w *watcher) expand(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("logfile %s: path %q: %w", w.name, pattern, err)
	}
	sort.Strings(matches)
	live := map[string]bool{}
	for _, m := range matches {
		live[m] = true
	}
	for p := range w.files {
		live[p] = true
	}
	var out []string
	for _, m := range matches {
		if strings.HasSuffix(m, archive.ExtTemp) || isArchiveOf(m, live) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

func isArchiveOf(name string, live map[string]bool) bool {
	dir, base := filepath.Split(name)
	for l := range live {
		if l == name {
			continue
		}
		ld, lb := filepath.Split(l)
		if ld != dir {
			continue
		}
		if _, ok := archive.Parse(lb, base); ok {
			return true
		}
	}
	return false
}

// liveStat is what a check needs of a live file.
type liveStat struct {
	Ino   uint64
	Size  int64
	Mtime time.Time
	Mode  uint32
	Nlink uint64
}

// statLive stats the live file without following a symlink.
func (o *output) statLive() (liveStat, error) {
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if o.dirClosed {
		return liveStat{}, errClosed
	}
	var st unix.Stat_t
	if err := unix.Fstatat(o.dirfd(), o.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return liveStat{}, &os.PathError{Op: "stat", Path: o.path, Err: err}
	}
	return liveStat{Ino: st.Ino, Size: st.Size, Mtime: time.Unix(st.Mtim.Unix()), Mode: st.Mode, Nlink: uint64(st.Nlink)}, nil
}

// storeLiveSize records the live file's size for max_total.
func (o *output) storeLiveSize() {
	st, err := o.statLive()
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		o.liveSize.Store(0)
		return
	}
	o.liveSize.Store(st.Size)
}

// newArchiveOutput makes the output of a file a program writes itself: the
// directory, the archive bookkeeping and the disk guard's registration, but
// no live file (closed from the start, so the guard's resume and every
// write path leave it alone). The directory is the program's: it is never
// created here.
func newArchiveOutput(m *Manager, logName, path string, p *config.LogPolicy) (*output, error) {
	dirName := filepath.Dir(path)
	dfd, err := unix.Open(dirName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("logfile %s: open directory %s: %w", logName, dirName, err)
	}
	o := &output{m: m, log: logName, path: path, base: filepath.Base(path), dir: os.NewFile(uintptr(dfd), dirName), dfd: dfd,
		state: stateDropping, closed: true}
	o.pol.Store(p)
	o.recover()
	o.arcMu.Lock()
	_ = unix.Unlinkat(o.dirfd(), copyTemp(o.base), 0) // an interrupted copytruncate; the live file still has it all
	o.arcMu.Unlock()
	if err := m.register(o); err != nil {
		o.dir.Close()
		return nil, fmt.Errorf("logfile %s: %w", logName, err)
	}
	return o, nil
}

// closeArchiveOnly releases an output made by newArchiveOutput.
func (o *output) closeArchiveOnly() {
	o.m.dropFilesystem(o)
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if !o.dirClosed {
		o.dirClosed = true
		o.dir.Close()
	}
}

// settle releases the hold on the newest rename archive once the program
// has let go of it: a new live file exists and the archive did not change
// since the previous check. Until then compressing it would lose the lines
// the program still appends to the renamed file.
func (f *lfFile) settle() {
	ino := f.hold.Load()
	if ino == 0 {
		return
	}
	o := f.o
	o.arcMu.Lock()
	as, err := o.archivesLocked()
	o.arcMu.Unlock()
	if err != nil {
		return
	}
	var cur *fileArchive
	for i := range as {
		if as[i].ino == ino {
			cur = &as[i]
		}
	}
	if cur == nil {
		f.hold.Store(0) // pruned
		return
	}
	live, err := o.statLive()
	reopened := err == nil && live.Ino != ino
	if reopened && cur.size == f.holdSize && cur.mtime.Equal(f.holdMtime) {
		f.hold.Store(0)
		return
	}
	f.holdSize, f.holdMtime = cur.size, cur.mtime
}
