package sink

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// errClosed tells a capture reader that the output it loaded was replaced
// by Update or closed; it reloads the route and writes again, so no line is
// lost across a reload.
var errClosed = errors.New("output closed")

// fileState is the state of an output's live file. There is no "nil file"
// state: an output either has an open file or is dropping and counting.
type fileState int

const (
	stateOpen     fileState = iota // f is the open live file
	stateDropping                  // f is nil; bytes are dropped and counted until a reopen works
)

// output is one live file (NAME.log or NAME.err.log) with its archives.
type output struct {
	m    *Manager
	log  string // service name, for events and errors
	path string
	base string   // file name of the live file inside dir
	dir  *os.File // the log directory, held open: every name operation is *at on it
	dfd  int      // dir's descriptor, valid while !closed (under mu) or !dirClosed (under arcMu)
	fs   *filesystem
	pol  atomic.Pointer[config.LogPolicy]

	// mu guards the live file and the write state below. Capture readers
	// hold it for one write of whole lines, rotation for its renames and
	// the reopen. Lock order: mu, then arcMu.
	mu         sync.Mutex
	f          *os.File
	state      fileState
	size       int64     // bytes in the live file
	dropped    int64     // bytes dropped since the last marker line
	dropReason string    // why, for the marker line
	nextRotate time.Time // zero: no time-based rotation
	retryAt    time.Time // after a failed rotation, size rotation waits until then
	closed     bool
	note       string // a `supervise: ` line owed to the file (e.g. a removed symlink)

	// arcMu guards the archive names of base in dir: rotation's shift and
	// rename, retention's unlinks and the compressor's final rename. The
	// compressor never holds it while compressing, only for the rename.
	arcMu     sync.Mutex
	dirClosed bool
	dirBuf    []byte // getdents buffer, under arcMu
	dirCount  int    // names in the last listing, under arcMu: the next one's capacity

	liveSize     atomic.Int64
	written      atomic.Int64
	rotations    atomic.Int64
	droppedTotal atomic.Int64
	archiveBytes atomic.Int64
	dirty        atomic.Bool // compression or retention may have work
	lastErr      atomic.Pointer[error]
}

// openFlags opens live files for appending without following a symlink at
// the final name; O_NONBLOCK makes a planted FIFO fail (ENXIO) instead of
// blocking supervise until somebody reads it.
const openFlags = unix.O_WRONLY | unix.O_APPEND | unix.O_CREAT | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK

func newOutput(m *Manager, logName, path string, p *config.LogPolicy) (o *output, err error) {
	if err := m.claimPath(path, logName); err != nil {
		return nil, fmt.Errorf("sink %s: %w", logName, err)
	}
	defer func() {
		if err != nil {
			m.releasePath(path, logName)
		}
	}()
	dirName := filepath.Dir(path)
	if err := os.MkdirAll(dirName, 0o755); err != nil {
		return nil, fmt.Errorf("sink %s: %w", logName, err)
	}
	dfd, err := unix.Open(dirName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sink %s: open directory %s: %w", logName, dirName, err)
	}
	o = &output{m: m, log: logName, path: path, base: filepath.Base(path), dir: os.NewFile(uintptr(dfd), dirName), dfd: dfd}
	o.pol.Store(p)
	o.state = stateDropping // until the live file is open
	o.recover()
	o.mu.Lock()
	err = o.openLiveLocked(m.now())
	o.mu.Unlock()
	if err != nil {
		o.dir.Close()
		return nil, fmt.Errorf("sink %s: %w", logName, err)
	}
	// Only a complete output becomes visible to the disk guard.
	if err := m.register(o); err != nil {
		o.f.Close()
		o.dir.Close()
		return nil, fmt.Errorf("sink %s: %w", logName, err)
	}
	o.dirty.Store(true)
	m.wakeWorker()
	return o, nil
}

// dirfd is the directory descriptor; callers hold mu with !closed or arcMu
// with !dirClosed, so it is never a number already reused for another file.
func (o *output) dirfd() int { return o.dfd }

// openLiveLocked opens (or creates) the live file and leaves the output in
// stateOpen, or in stateDropping with the error. A symlink or a hard link
// planted at the live name is unlinked, never followed or written through.
func (o *output) openLiveLocked(now time.Time) error {
	pol := o.pol.Load()
	f, size, mtime, err := o.openFileLocked(pol)
	if err != nil {
		o.f, o.state, o.size = nil, stateDropping, 0
		if o.dropReason == "" {
			o.dropReason = "cannot open log: " + errnoText(err)
		}
		o.setErr(err)
		return err
	}
	o.f, o.state, o.size = f, stateOpen, size
	o.liveSize.Store(size)
	o.nextRotate = time.Time{}
	if pol.RotateEvery != config.PeriodNever {
		from := now
		if size > 0 && mtime.Before(now) {
			// A file left by an earlier run belongs to the period of its
			// last write: rotate it as soon as that period is over.
			from = mtime.In(now.Location())
		}
		o.nextRotate = nextBoundary(pol.RotateEvery, from)
	}
	return nil
}

func (o *output) openFileLocked(pol *config.LogPolicy) (*os.File, int64, time.Time, error) {
	mode := uint32(pol.FileMode.Perm())
	if mode == 0 {
		mode = 0o644
	}
	for try := 0; ; try++ {
		fd, err := unix.Openat(o.dirfd(), o.base, openFlags, mode)
		if err == unix.ELOOP && try < 3 {
			// A symlink at the live name: remove the link itself.
			if uerr := unix.Unlinkat(o.dirfd(), o.base, 0); uerr != nil && uerr != unix.ENOENT {
				return nil, 0, time.Time{}, &os.PathError{Op: "unlink symlink", Path: o.path, Err: uerr}
			}
			o.note = "supervise: removed a symlink at " + o.base + " (never followed)"
			continue
		}
		if err != nil {
			return nil, 0, time.Time{}, &os.PathError{Op: "open", Path: o.path, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, 0, time.Time{}, &os.PathError{Op: "stat", Path: o.path, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return nil, 0, time.Time{}, &os.PathError{Op: "open", Path: o.path, Err: errors.New("not a regular file")}
		}
		if st.Nlink > 1 && try < 3 {
			// A hard link planted at the live name would make us append to
			// another file; take the name back.
			unix.Close(fd)
			if uerr := unix.Unlinkat(o.dirfd(), o.base, 0); uerr != nil && uerr != unix.ENOENT {
				return nil, 0, time.Time{}, &os.PathError{Op: "unlink hard link", Path: o.path, Err: uerr}
			}
			o.note = "supervise: replaced a hard link at " + o.base
			continue
		}
		if err := unix.SetNonblock(fd, false); err != nil {
			unix.Close(fd)
			return nil, 0, time.Time{}, &os.PathError{Op: "fcntl", Path: o.path, Err: err}
		}
		if err := applyModeOwner(fd, mode, pol.FileOwner, &st); err != nil {
			unix.Close(fd)
			return nil, 0, time.Time{}, &os.PathError{Op: "chown", Path: o.path, Err: err}
		}
		return os.NewFile(uintptr(fd), o.path), st.Size, time.Unix(st.Mtim.Unix()), nil
	}
}

// applyModeOwner enforces file_mode (the umask may have narrowed it) and
// file_owner on an open file.
func applyModeOwner(fd int, mode uint32, owner *config.Owner, st *unix.Stat_t) error {
	if st == nil || st.Mode&0o7777 != mode {
		if err := unix.Fchmod(fd, mode); err != nil {
			return err
		}
	}
	if owner != nil {
		gid := owner.GID
		if st != nil && int(st.Uid) == owner.UID && (gid < 0 || int(st.Gid) == gid) {
			return nil
		}
		if err := unix.Fchown(fd, owner.UID, gid); err != nil {
			return err
		}
	}
	return nil
}

// write appends p, which holds whole lines only, rotating between lines as
// the policy says. now is the caller's one clock reading for this chunk.
func (o *output) write(p []byte, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return errClosed
	}
	if !o.nextRotate.IsZero() && !now.Before(o.nextRotate) {
		o.rotateLocked(now)
	}
	limit := o.pol.Load().RotateSize
	for len(p) > 0 {
		if limit <= 0 || o.size+int64(len(p)) <= limit || o.state != stateOpen || now.Before(o.retryAt) {
			o.appendLocked(p)
			return nil
		}
		room := limit - o.size
		cut := -1
		if room > 0 {
			cut = lastNewline(p[:room])
		}
		if cut < 0 {
			if o.size == 0 {
				// One line alone exceeds rotate_size: it gets an archive
				// of its own rather than being torn.
				cut = indexNewline(p)
				o.appendLocked(p[:cut+1])
				p = p[cut+1:]
			}
			o.rotateLocked(now)
			continue
		}
		o.appendLocked(p[:cut+1])
		p = p[cut+1:]
		o.rotateLocked(now)
	}
	return nil
}

// appendLocked writes whole lines to the live file, or drops and counts
// them. A failed write is cut back to the last whole line so that a full
// disk can never leave a torn line behind.
func (o *output) appendLocked(p []byte) {
	if o.state != stateOpen || o.fs.low.Load() {
		o.dropLocked(len(p), "disk low")
		return
	}
	if o.dropped > 0 || o.note != "" {
		if !o.writeNoticesLocked() {
			o.dropLocked(len(p), o.dropReason)
			return
		}
	}
	n, err := o.f.Write(p)
	if err != nil {
		o.writeFailedLocked(n, len(p), err)
		return
	}
	o.size += int64(n)
	o.liveSize.Store(o.size)
	o.written.Add(int64(n))
	if o.fs.budget.Add(-int64(n)) < 0 {
		o.m.wakeGuard()
	}
	if mt := o.pol.Load().MaxTotal; mt > 0 {
		// max_total counts the live file: as it grows, the oldest
		// archives must go.
		if ab := o.archiveBytes.Load(); ab > 0 && o.size+ab > mt && !o.dirty.Load() {
			o.dirty.Store(true)
			o.m.wakeWorker()
		}
	}
}

// writeFailedLocked handles ENOSPC, EIO and any other write error the same
// way (SPEC §4.4): truncate away a partial line, count the bytes as dropped,
// and let the disk guard decide when writing resumes.
func (o *output) writeFailedLocked(n, want int, err error) {
	if n > 0 {
		if terr := o.f.Truncate(o.size); terr != nil {
			// The partial line stays; make sure the next line starts
			// on a line of its own.
			if _, werr := o.f.Write([]byte("\n")); werr == nil {
				o.size += int64(n) + 1
			}
		}
	}
	o.setErr(err)
	reason := "write error: " + errnoText(err)
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		reason = "disk low"
		o.fs.enospc.Store(true)
		o.fs.setLow(true)
	} else {
		// The file may be unusable (EIO, a revoked mount): reopen it
		// from the disk guard rather than retrying on every write.
		o.f.Close()
		o.f, o.state = nil, stateDropping
	}
	o.dropLocked(want, reason)
	o.m.wakeGuard()
}

func (o *output) dropLocked(n int, reason string) {
	if o.dropped == 0 {
		o.dropReason = reason
	}
	o.dropped += int64(n)
	o.droppedTotal.Add(int64(n))
}

// writeNoticesLocked writes the owed `supervise: ` lines before new data;
// it reports false when the file cannot take them yet.
func (o *output) writeNoticesLocked() bool {
	if o.note != "" {
		if !o.writeLineLocked(o.note) {
			return false
		}
		o.note = ""
	}
	if o.dropped > 0 {
		line := fmt.Sprintf("supervise: dropped %d bytes (%s)", o.dropped, o.dropReason)
		if !o.writeLineLocked(line) {
			return false
		}
		o.m.event(Event{Kind: EventDropped, Log: o.log, Detail: fmt.Sprintf("%d bytes (%s)", o.dropped, o.dropReason)})
		o.dropped, o.dropReason = 0, ""
	}
	return true
}

func (o *output) writeLineLocked(s string) bool {
	n, err := o.f.WriteString(s + "\n")
	if err != nil {
		if n > 0 {
			_ = o.f.Truncate(o.size)
		}
		return false
	}
	o.size += int64(n)
	o.liveSize.Store(o.size)
	return true
}

// resume is the disk guard's call while the filesystem has room: reopen a
// dropping output and write the owed marker even if the service is idle.
func (o *output) resume(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.fs.low.Load() {
		return
	}
	o.healLocked(now)
	if o.state == stateDropping {
		if o.openLiveLocked(now) != nil {
			return
		}
	}
	if o.dropped > 0 || o.note != "" {
		o.writeNoticesLocked()
	}
}

// close flushes and closes the live file; later writes get errClosed.
func (o *output) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	o.m.releasePath(o.path, o.log)
	var err error
	if o.state == stateOpen {
		if o.dropped > 0 && !o.fs.low.Load() {
			o.writeNoticesLocked()
		}
		err = o.f.Close()
		o.f, o.state = nil, stateDropping
	}
	o.m.dropFilesystem(o)
	o.arcMu.Lock()
	o.dirClosed = true
	derr := o.dir.Close()
	o.arcMu.Unlock()
	if err == nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("sink %s: close %s: %w", o.log, o.base, err)
	}
	return nil
}

func (o *output) setErr(err error) { o.lastErr.Store(&err) }

// archivesLocked lists this output's archives, oldest first, with their
// sizes, modification times and inodes. Callers hold arcMu.
func (o *output) archivesLocked() ([]fileArchive, error) {
	if o.dirClosed {
		return nil, errClosed
	}
	names, err := o.dirNamesLocked()
	if err != nil {
		return nil, err
	}
	out := make([]fileArchive, 0, len(names)) // one allocation: this runs several times per rotation
	for _, n := range names {
		a, ok := archive.Parse(o.base, n)
		if !ok {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(o.dirfd(), a.Name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // gone since the listing
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
			// A planted symlink or FIFO is never an archive, nor is a
			// hard link: compressing one could copy another file
			// (/etc/shadow) into a readable archive.
			continue
		}
		out = append(out, fileArchive{Archive: a, ino: st.Ino, size: st.Size, mtime: time.Unix(st.Mtim.Unix())})
	}
	sortArchives(out)
	return out, nil
}

// dirNamesLocked lists the log directory. Rotation and compression list it
// several times per archive; os.File's ReadDir allocated a buffer and an
// entry per name each time, garbage that went on growing peak RSS until the
// next GC. The names are not kept between calls: log_dir may be shared by
// many logs and hold thousands of archives (the soak's 10,000 names kept by
// each of 20 outputs grew RSS by ~15 MiB in 30 minutes).
func (o *output) dirNamesLocked() ([]string, error) {
	if _, err := unix.Seek(o.dirfd(), 0, 0); err != nil {
		return nil, err
	}
	if o.dirBuf == nil {
		o.dirBuf = make([]byte, 8<<10)
	}
	names := make([]string, 0, o.dirCount)
	for {
		n, err := unix.Getdents(o.dirfd(), o.dirBuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getdents", Path: filepath.Dir(o.path), Err: err}
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(o.dirBuf[:n], -1, names)
	}
	o.dirCount = len(names)
	return names, nil
}

// fileArchive is an archive on disk.
type fileArchive struct {
	archive.Archive
	ino   uint64
	size  int64
	mtime time.Time
}

func errnoText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
