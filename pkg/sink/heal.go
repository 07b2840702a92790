package sink

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// healLocked notices a live file, or the whole log directory, deleted
// behind supervise's back (`rm -rf /var/log/supervise`). Writes into an
// unlinked file succeed and vanish, so without this a service's output
// would be lost without a trace until the next rotation, and a rotation in
// a deleted directory would fail forever. It recreates the directory,
// counts what the deleted file held as dropped (the marker line says so),
// and opens a new live file. Callers hold mu; it takes arcMu to swap the
// directory descriptor the compression worker uses.
// It reports whether it replaced the live file.
func (o *output) healLocked(now time.Time) bool {
	if o.closed || o.state != stateOpen || o.f == nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(o.f.Fd()), &st); err != nil || st.Nlink > 0 {
		return false
	}
	lost := o.size
	if err := o.f.Close(); err != nil {
		o.setErr(err)
	}
	o.f, o.state = nil, stateDropping
	o.dropLocked(int(lost), "log file deleted")
	var dst unix.Stat_t
	if err := unix.Fstat(o.dfd, &dst); err == nil && dst.Nlink == 0 {
		if err := o.reopenDirLocked(); err != nil {
			o.setErr(err)
			return true
		}
	}
	if o.openLiveLocked(now) == nil {
		o.writeNoticesLocked()
	}
	return true
}

// reopenDirLocked recreates the log directory (0755, as at start) and
// replaces the descriptor of the deleted one. Callers hold mu.
func (o *output) reopenDirLocked() error {
	name := filepath.Dir(o.path)
	if err := os.MkdirAll(name, 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open directory", Path: name, Err: err}
	}
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if o.dirClosed {
		unix.Close(fd)
		return errClosed
	}
	old := o.dir
	o.dir, o.dfd = os.NewFile(uintptr(fd), name), fd
	old.Close()
	return nil
}
