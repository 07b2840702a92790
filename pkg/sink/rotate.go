package sink

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// Rotation is a short sequence of steps, each leaving visible state on disk
// so that start-up recovery only has to read the directory:
//
//  1. shift: BASE.N[.ext] -> BASE.N+1[.ext], oldest first (numbered only)
//  2. rename: BASE -> BASE.1 (or BASE-YYYYMMDD-HHMMSS[.K], never replacing)
//  3. reopen: a new BASE, O_EXCL-free but O_NOFOLLOW, mode and owner applied
//  4. hand off: compression and retention run later in the Manager's worker
//
// A failure in 1 or 2 leaves the live file in place and writing goes on; a
// failure in 3 leaves the output dropping until the disk guard reopens it.

// rotateRetry is how long size rotation waits after a failed rename.
const rotateRetry = time.Second

// rotateLocked rotates the live file between two lines, for any trigger
// (size, time, ctl rotate, SIGUSR1); an empty live file is only rotated
// with if_empty. Callers hold o.mu.
func (o *output) rotateLocked(now time.Time) error {
	pol := o.pol.Load()
	if pol.RotateEvery != config.PeriodNever {
		o.nextRotate = nextBoundary(pol.RotateEvery, now)
	}
	if o.healLocked(now) && o.state == stateOpen {
		// The deleted file is gone already; the new live file is the
		// rotation.
		return nil
	}
	if o.state != stateOpen {
		if err := o.openLiveLocked(now); err != nil {
			return fmt.Errorf("sink %s: rotate: %w", o.log, err)
		}
		return nil
	}
	if o.size == 0 && !pol.IfEmpty {
		return nil
	}
	o.arcMu.Lock()
	err := o.renameLiveLocked(pol, now)
	o.arcMu.Unlock()
	if err != nil {
		// Keep writing to the live file, past rotate_size if need be,
		// and retry in a while rather than on every write.
		o.setErr(err)
		o.retryAt = now.Add(rotateRetry)
		return fmt.Errorf("sink %s: rotate: %w", o.log, err)
	}
	o.retryAt = time.Time{}
	if err := o.f.Close(); err != nil {
		o.setErr(err)
	}
	o.f, o.state = nil, stateDropping
	if err := o.openLiveLocked(now); err != nil {
		return fmt.Errorf("sink %s: rotate: reopen: %w", o.log, err)
	}
	o.rotations.Add(1)
	o.dirty.Store(true)
	o.m.wakeWorker()
	o.m.event(Event{Kind: EventRotated, Log: o.log, Detail: o.path})
	return nil
}

// renameLiveLocked performs steps 1 and 2. Callers hold o.mu and o.arcMu.
func (o *output) renameLiveLocked(pol *config.LogPolicy, now time.Time) error {
	if pol.DateExt {
		return o.renameDatedLocked(now)
	}
	as, err := o.archiveNamesLocked()
	if err != nil {
		return fmt.Errorf("list archives: %w", err)
	}
	// Oldest (highest N) first, so no rename replaces an archive.
	for _, a := range as {
		if a.Dated {
			continue
		}
		to := archive.NumberedName(o.base, a.Num+1) + a.Ext
		if err := unix.Renameat(o.dirfd(), a.Name, o.dirfd(), to); err != nil && err != unix.ENOENT {
			return &os.LinkError{Op: "rename", Old: a.Name, New: to, Err: err}
		}
	}
	to := archive.NumberedName(o.base, 1)
	if err := unix.Renameat(o.dirfd(), o.base, o.dirfd(), to); err != nil && err != unix.ENOENT {
		return &os.LinkError{Op: "rename", Old: o.base, New: to, Err: err}
	}
	return nil
}

// renameDatedLocked names the archive after the rotation time; two
// rotations within one second get .1, .2, ... rather than replacing one
// another (lumberjack's colliding timestamps lost archives). Names never go
// back in time, even if the clock does or a writer's clock reading is a
// little older than the last rotation, so name order stays history order.
func (o *output) renameDatedLocked(now time.Time) error {
	as, err := o.archiveNamesLocked()
	if err != nil {
		return fmt.Errorf("list archives: %w", err)
	}
	t := now.Local().Truncate(time.Second)
	k := 0
	for i := len(as) - 1; i >= 0; i-- {
		if a := as[i]; a.Dated {
			if !t.After(a.Time) {
				t, k = a.Time, a.Num+1
			}
			break
		}
	}
	for ; k < 100000; k++ {
		to := archive.DatedName(o.base, t, k)
		if o.existsLocked(to) || o.existsLocked(to+archive.ExtGzip) || o.existsLocked(to+archive.ExtZstd) {
			continue
		}
		err := unix.Renameat2(o.dirfd(), o.base, o.dirfd(), to, unix.RENAME_NOREPLACE)
		if err == unix.EINVAL || err == unix.ENOSYS {
			// A filesystem without RENAME_NOREPLACE; the existence
			// checks above under arcMu are the guard.
			err = unix.Renameat(o.dirfd(), o.base, o.dirfd(), to)
		}
		switch err {
		case nil, unix.ENOENT:
			return nil
		case unix.EEXIST:
			continue
		}
		return &os.LinkError{Op: "rename", Old: o.base, New: to, Err: err}
	}
	return fmt.Errorf("no free dateext name for %s", o.base)
}

func (o *output) existsLocked(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(o.dirfd(), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// archiveNamesLocked lists archive names (any file type, so that a planted
// symlink at BASE.N is moved along rather than left to collide), oldest
// first.
func (o *output) archiveNamesLocked() ([]archive.Archive, error) {
	if o.dirClosed {
		return nil, errClosed
	}
	names, err := o.dirNamesLocked()
	if err != nil {
		return nil, err
	}
	as := make([]archive.Archive, 0, len(names))
	for _, n := range names {
		if a, ok := archive.Parse(o.base, n); ok {
			as = append(as, a)
		}
	}
	archive.Sort(as)
	return as, nil
}

func sortArchives(as []fileArchive) {
	slices.SortFunc(as, func(a, b fileArchive) int { return archive.Compare(a.Archive, b.Archive) })
}

func lastNewline(p []byte) int  { return bytes.LastIndexByte(p, '\n') }
func indexNewline(p []byte) int { return bytes.IndexByte(p, '\n') }
