package sink

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// filesystem is one filesystem holding log files, keyed by device number.
// The disk guard (SPEC §4.4) works per filesystem because freeing space for
// one log may mean deleting another log's archives.
type filesystem struct {
	dev  uint64
	outs []*output // guarded by Manager.mu

	// low: writers on this filesystem drop and count instead of writing.
	low atomic.Bool
	// budget estimates the bytes that may still be written before the
	// filesystem reaches disk_min_free; writers subtract what they write
	// and wake the guard when it runs out, so a fast writer is caught
	// between two periodic checks.
	budget atomic.Int64

	// enospc is set by a writer that hit ENOSPC or EDQUOT: the guard then
	// frees a reserve even when disk_min_free is 0.
	enospc atomic.Bool

	// Owned by the disk guard goroutine.
	warned   bool
	lowEvent bool
	raised   bool // keep the reserve until writing resumed, so markers do not flap
}

// reserve is what the guard frees after ENOSPC: 1% of the filesystem,
// at least 64 KiB and at most 64 MiB.
func reserve(total int64) int64 { return min(max(total/100, 64<<10), 64<<20) }

func (fs *filesystem) setLow(v bool) {
	fs.low.Store(v)
	if v {
		fs.budget.Store(0)
	}
}

// claimPath reserves a live file path for one log: two logs writing one
// file would rotate it under each other.
func (m *Manager) claimPath(path, log string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if owner, taken := m.paths[path]; taken {
		return fmt.Errorf("%s is already the log of %s", path, owner)
	}
	m.paths[path] = log
	return nil
}

func (m *Manager) releasePath(path, log string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.paths[path] == log {
		delete(m.paths, path)
	}
}

// register adds a fully opened o to the filesystem of its directory.
func (m *Manager) register(o *output) error {
	_, err := m.filesystemFor(o)
	return err
}

// filesystemFor adds o to the filesystem of its directory (setting o.fs)
// and returns it. The disk guard sees o from then on, so o must be ready:
// open, or marked closed (the [logfile] archive-only outputs).
func (m *Manager) filesystemFor(o *output) (*filesystem, error) {
	var st unix.Stat_t
	if err := unix.Fstat(o.dirfd(), &st); err != nil {
		return nil, fmt.Errorf("stat log directory: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fs := m.fss[st.Dev]
	if fs == nil {
		fs = &filesystem{dev: st.Dev}
		fs.budget.Store(math.MaxInt64)
		m.fss[st.Dev] = fs
		m.wakeGuard() // measure it now rather than at the next tick
	}
	o.fs = fs
	fs.outs = append(fs.outs, o)
	return fs, nil
}

func (m *Manager) dropFilesystem(o *output) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fs := o.fs
	if fs == nil {
		return
	}
	fs.outs = slices.DeleteFunc(fs.outs, func(x *output) bool { return x == o })
	if len(fs.outs) == 0 {
		delete(m.fss, fs.dev)
	}
}

// space is a statfs reading.
type space struct{ total, free int64 }

func statSpace(o *output) (space, error) {
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if o.dirClosed {
		return space{}, errClosed
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(o.dirfd(), &st); err != nil {
		return space{}, err
	}
	bs := int64(st.Bsize)
	return space{total: int64(st.Blocks) * bs, free: int64(st.Bavail) * bs}, nil
}

// guardAll checks every log filesystem once.
func (m *Manager) guardAll() {
	m.mu.Lock()
	fss := make([]*filesystem, 0, len(m.fss))
	outs := make([][]*output, 0, len(m.fss))
	for _, fs := range m.fss {
		fss = append(fss, fs)
		outs = append(outs, slices.Clone(fs.outs))
	}
	m.mu.Unlock()
	for i, fs := range fss {
		m.guard(fs, outs[i])
	}
}

// guard applies disk_min_free and disk_warn to one filesystem: delete the
// oldest archives of any log on it until there is room again; if that is
// not enough, writers drop and count; when there is room, they resume and
// each affected log gets one marker line.
func (m *Manager) guard(fs *filesystem, outs []*output) {
	if len(outs) == 0 {
		return
	}
	var probe *output
	var sp space
	for _, o := range outs {
		s, err := m.statfs(o)
		if err == nil {
			probe, sp = o, s
			break
		}
	}
	if probe == nil {
		return
	}
	minFree := m.opts.DiskMinFree.Of(sp.total)
	if fs.enospc.Swap(false) {
		fs.raised = true
	}
	if fs.raised {
		minFree = max(minFree, reserve(sp.total))
	}
	if sp.free < minFree {
		sp = m.freeSpace(outs, sp, minFree)
	}
	if sp.free < minFree {
		if !fs.low.Load() || !fs.lowEvent {
			m.event(Event{Kind: EventDiskLow, Log: probe.log, Detail: fmt.Sprintf("%s: %d bytes free, below disk_min_free %d", filepath.Dir(probe.path), sp.free, minFree)})
			fs.lowEvent = true
		}
		fs.setLow(true)
	} else {
		fs.budget.Store(sp.free - minFree)
		fs.low.Store(false)
		fs.lowEvent, fs.raised = false, false
		now := m.now()
		for _, o := range outs {
			o.resume(now)
		}
	}
	if sp.total > 0 && (m.opts.DiskWarn.Bytes > 0 || m.opts.DiskWarn.Percent > 0) {
		used := sp.total - sp.free
		warnAt := m.opts.DiskWarn.Of(sp.total)
		if used >= warnAt && !fs.warned {
			fs.warned = true
			m.event(Event{Kind: EventDiskWarn, Log: probe.log, Detail: fmt.Sprintf("%s: %d%% used", filepath.Dir(probe.path), used*100/sp.total)})
		} else if used < warnAt {
			fs.warned = false
		}
	}
}

// freeSpace deletes archives, oldest first across all logs on the
// filesystem, until free reaches minFree or none are left.
func (m *Manager) freeSpace(outs []*output, sp space, minFree int64) space {
	type victim struct {
		o *output
		a fileArchive
	}
	var vs []victim
	for _, o := range outs {
		o.arcMu.Lock()
		as, err := o.archivesLocked()
		o.arcMu.Unlock()
		if err != nil {
			continue
		}
		for _, a := range as {
			vs = append(vs, victim{o, a})
		}
	}
	slices.SortStableFunc(vs, func(x, y victim) int { return x.a.mtime.Compare(y.a.mtime) })
	for _, v := range vs {
		if sp.free >= minFree {
			break
		}
		v.o.arcMu.Lock()
		// Only delete what is still the same file: the name may have been
		// shifted by a rotation since the listing.
		if !v.o.dirClosed && v.o.inodeAtLocked(v.a.Name) == v.a.ino {
			if unix.Unlinkat(v.o.dirfd(), v.a.Name, 0) == nil {
				v.o.archiveBytes.Add(-v.a.size)
			}
		}
		v.o.arcMu.Unlock()
		if n, err := m.statfs(v.o); err == nil {
			sp = n
		}
	}
	return sp
}

func (o *output) inodeAtLocked(name string) uint64 {
	var st unix.Stat_t
	if unix.Fstatat(o.dirfd(), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return 0
	}
	return st.Ino
}
