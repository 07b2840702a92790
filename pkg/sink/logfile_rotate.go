package sink

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// copyTemp is where copytruncate copies before the archive gets its name;
// a leftover is removed when the file is next watched (the live file was
// never truncated, so it still holds everything).
func copyTemp(base string) string { return "." + base + ".copytruncate" + archive.ExtTemp }

// errRefused marks a rotation skipped for safety (a planted link); the
// event says why.
var errRefused = errors.New("refused")

// rotateFile rotates one matched file by the section's method. It reports
// whether an archive was made. Callers hold w.mu.
func (w *watcher) rotateFile(f *lfFile, c *config.Logfile, now time.Time) (bool, error) {
	o := f.o
	pol := o.pol.Load()
	st, err := o.statLive()
	if errors.Is(err, unix.ENOENT) {
		return false, nil // not (re)created yet
	}
	if err != nil {
		return false, w.fail(fmt.Errorf("logfile %s: rotate: %w", w.name, err))
	}
	if reason := unsafeLive(st); reason != "" {
		return false, w.refuse(f, fmt.Sprintf("%s: %s; not rotated", o.path, reason))
	}
	if st.Size == 0 && !pol.IfEmpty {
		return false, nil
	}
	if name := o.plantedArchive(); name != "" {
		return false, w.refuse(f, fmt.Sprintf("%s: a symlink or non-regular file sits at archive name %s; not rotated", o.path, name))
	}
	f.refused = ""
	var name string
	if c.Method == config.MethodCopyTruncate {
		name, err = o.copyTruncate(pol, st, now)
	} else {
		name, err = o.renameArchive(pol, st, now)
		if err == nil {
			f.hold.Store(st.Ino)
			f.holdSize, f.holdMtime = st.Size, st.Mtime
		}
	}
	if errors.Is(err, errRefused) {
		return false, w.refuse(f, err.Error())
	}
	if err != nil {
		return false, w.fail(fmt.Errorf("logfile %s: rotate: %w", w.name, err))
	}
	o.rotations.Add(1)
	o.dirty.Store(true)
	w.m.event(Event{Kind: EventRotated, Log: w.name, Detail: o.path + " -> " + name})
	return true, nil
}

func (w *watcher) fail(err error) error {
	w.m.event(Event{Kind: EventLogfileError, Log: w.name, Detail: err.Error()})
	return err
}

// refuse reports a skipped rotation once per distinct reason.
func (w *watcher) refuse(f *lfFile, why string) error {
	if f.refused != why {
		f.refused = why
		w.m.event(Event{Kind: EventRefused, Log: w.name, Detail: why})
	}
	return fmt.Errorf("logfile %s: %s: %w", w.name, why, errRefused)
}

// unsafeLive says why a live file must not be touched: a symlink is never
// followed, and a file with other hard links may be somebody else's file
// (renaming and chown-ing it, or truncating it, would hit that one too).
func unsafeLive(st liveStat) string {
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return "the path is a symlink (never followed)"
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return "not a regular file"
	case st.Nlink > 1:
		return fmt.Sprintf("the file has %d hard links", st.Nlink)
	}
	return ""
}

// plantedArchive names an archive name held by something other than a
// regular file (a planted symlink), or "".
func (o *output) plantedArchive() string {
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	as, err := o.archiveNamesLocked()
	if err != nil {
		return ""
	}
	for _, a := range as {
		var st unix.Stat_t
		if unix.Fstatat(o.dirfd(), a.Name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return a.Name
		}
	}
	return ""
}

// claimNameLocked frees the newest archive name and returns it: numbered
// archives shift up (oldest first, so no rename replaces one), or a dateext
// name for now that is not taken. Callers hold arcMu.
func (o *output) claimNameLocked(pol *config.LogPolicy, now time.Time) (string, error) {
	as, err := o.archiveNamesLocked()
	if err != nil {
		return "", fmt.Errorf("list archives: %w", err)
	}
	if !pol.DateExt {
		for _, a := range as {
			if a.Dated {
				continue
			}
			to := archive.NumberedName(o.base, a.Num+1) + a.Ext
			if err := unix.Renameat(o.dirfd(), a.Name, o.dirfd(), to); err != nil && err != unix.ENOENT {
				return "", &os.LinkError{Op: "rename", Old: a.Name, New: to, Err: err}
			}
		}
		return archive.NumberedName(o.base, 1), nil
	}
	t := now.Local().Truncate(time.Second)
	k := 0
	for i := len(as) - 1; i >= 0; i-- {
		if a := as[i]; a.Dated {
			if !t.After(a.Time) {
				t, k = a.Time, a.Num+1 // names never go back in time
			}
			break
		}
	}
	for ; k < 100000; k++ {
		to := archive.DatedName(o.base, t, k)
		if !o.existsLocked(to) && !o.existsLocked(to+archive.ExtGzip) && !o.existsLocked(to+archive.ExtZstd) {
			return to, nil
		}
	}
	return "", fmt.Errorf("no free dateext name for %s", o.base)
}

// renameNoReplace renames within the directory, never replacing a file.
func (o *output) renameNoReplace(from, to string) error {
	err := unix.Renameat2(o.dirfd(), from, o.dirfd(), to, unix.RENAME_NOREPLACE)
	if err == unix.EINVAL || err == unix.ENOSYS {
		// No RENAME_NOREPLACE on this filesystem: the name was checked
		// free under arcMu.
		err = unix.Renameat(o.dirfd(), from, o.dirfd(), to)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// renameArchive is method=rename: the live file becomes the newest archive
// (the program keeps writing to it through its open descriptor until it
// reopens), with file_mode and file_owner applied to the archive.
func (o *output) renameArchive(pol *config.LogPolicy, st liveStat, now time.Time) (string, error) {
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if o.dirClosed {
		return "", errClosed
	}
	name, err := o.claimNameLocked(pol, now)
	if err != nil {
		return "", err
	}
	if err := o.renameNoReplace(o.base, name); err != nil {
		return "", err
	}
	// Mode and owner go to what was renamed, checked by inode: the name
	// could have been swapped between the stat and the rename.
	fd, err := unix.Openat(o.dirfd(), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return name, fmt.Errorf("open archive %s: %w", name, err)
	}
	defer unix.Close(fd)
	var ast unix.Stat_t
	if err := unix.Fstat(fd, &ast); err != nil {
		return name, fmt.Errorf("stat archive %s: %w", name, err)
	}
	if ast.Ino != st.Ino || ast.Mode&unix.S_IFMT != unix.S_IFREG || ast.Nlink > 1 {
		return name, fmt.Errorf("archive %s: %w: the live file was replaced during rotation; mode and owner not applied", name, errRefused)
	}
	if err := applyModeOwner(fd, archiveMode(pol), pol.FileOwner, &ast); err != nil {
		return name, fmt.Errorf("archive %s: %w", name, err)
	}
	if err := unix.Fsync(o.dirfd()); err != nil {
		return name, fmt.Errorf("fsync directory: %w", err)
	}
	return name, nil
}

func archiveMode(pol *config.LogPolicy) uint32 {
	if m := uint32(pol.FileMode.Perm()); m != 0 {
		return m
	}
	return 0o644
}

// copyTruncate is method=copytruncate, for programs that cannot reopen:
//
//  1. copy the live file to a temporary name (no lock held; this is the
//     long part) and fsync it;
//  2. under arcMu, free the newest archive name and rename the copy there,
//     fsync the directory;
//  3. copy what the program appended meanwhile, then truncate the live
//     file to zero at once.
//
// Bytes the program writes between the last read of step 3 and the
// truncate are lost, as whole lines: that window is a few system calls,
// and TestLogfileCopyTruncateLoss measures it. A crash before step 2 leaves
// only the temporary file (removed at the next start); a crash between 2
// and 3 duplicates lines, never loses them.
func (o *output) copyTruncate(pol *config.LogPolicy, st liveStat, now time.Time) (string, error) {
	o.arcMu.Lock()
	if o.dirClosed {
		o.arcMu.Unlock()
		return "", errClosed
	}
	sfd, err := unix.Openat(o.dirfd(), o.base, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		o.arcMu.Unlock()
		if err == unix.ELOOP {
			return "", fmt.Errorf("%s: the path is a symlink (never followed): %w", o.path, errRefused)
		}
		return "", &os.PathError{Op: "open", Path: o.path, Err: err}
	}
	src := os.NewFile(uintptr(sfd), o.path)
	defer src.Close()
	var sst unix.Stat_t
	if err := unix.Fstat(sfd, &sst); err != nil {
		o.arcMu.Unlock()
		return "", &os.PathError{Op: "stat", Path: o.path, Err: err}
	}
	if sst.Ino != st.Ino || sst.Mode&unix.S_IFMT != unix.S_IFREG || sst.Nlink > 1 {
		o.arcMu.Unlock()
		return "", fmt.Errorf("%s: replaced since the check: %w", o.path, errRefused)
	}
	tmp := copyTemp(o.base)
	_ = unix.Unlinkat(o.dirfd(), tmp, 0)
	dfd, err := unix.Openat(o.dirfd(), tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, archiveMode(pol))
	o.arcMu.Unlock()
	if err != nil {
		return "", &os.PathError{Op: "create", Path: tmp, Err: err}
	}
	dst := os.NewFile(uintptr(dfd), tmp)
	committed := false
	defer func() {
		dst.Close()
		if !committed {
			o.arcMu.Lock()
			if !o.dirClosed {
				_ = unix.Unlinkat(o.dirfd(), tmp, 0)
			}
			o.arcMu.Unlock()
		}
	}()
	buf := make([]byte, compressChunk)
	off, err := copyFrom(dst, src, 0, buf)
	if err != nil {
		return "", fmt.Errorf("copy %s: %w", o.base, err)
	}
	if err := applyModeOwner(dfd, archiveMode(pol), pol.FileOwner, nil); err != nil {
		return "", fmt.Errorf("archive %s: %w", tmp, err)
	}
	if err := dst.Sync(); err != nil {
		return "", fmt.Errorf("fsync %s: %w", tmp, err)
	}

	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	if o.dirClosed {
		return "", errClosed
	}
	name, err := o.claimNameLocked(pol, now)
	if err != nil {
		return "", err
	}
	if err := o.renameNoReplace(tmp, name); err != nil {
		return "", err
	}
	committed = true
	if err := unix.Fsync(o.dirfd()); err != nil {
		return name, fmt.Errorf("fsync directory: %w", err)
	}
	// The window: catch up until a read finds nothing more, then truncate
	// with nothing in between.
	if err := catchUpTruncate(dst, sfd, off, buf, pauseTail); err != nil {
		return name, fmt.Errorf("%s: %w", o.base, err)
	}
	if err := dst.Sync(); err != nil {
		return name, fmt.Errorf("fsync %s: %w", name, err)
	}
	return name, nil
}

// copyFrom appends src from offset off to its current end to dst and
// returns the new offset.
func copyFrom(dst io.Writer, src *os.File, off int64, buf []byte) (int64, error) {
	for {
		n, err := src.ReadAt(buf, off)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return off, werr
			}
			off += int64(n)
		}
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// catchUpMax bounds the catch-up against a writer faster than the copy: the
// truncate then happens anyway, and what the writer adds meanwhile is lost.
const catchUpMax = 1024

// tailWaits bounds how often the catch-up waits (tailPause each) for the
// rest of a line it caught half-written. A write that crosses a page
// boundary makes its first part visible before the rest (the file size
// grows page by page); truncating then would leave the archive ending in a
// torn line whose rest is lost. The writer holds the inode lock until its
// write is done, so the rest comes within microseconds unless it is
// preempted; a partial line that stays (a prompt) is archived as it is.
const (
	tailWaits = 100
	tailPause = 100 * time.Microsecond
)

// catchUpTruncate copies what was appended since off and truncates the live
// file right after a read that returned nothing and ended on a whole line:
// the only bytes lost are whole lines written between that pread(2) and the
// ftruncate(2). pause waits between tries for a line's rest (a test hook).
func catchUpTruncate(dst io.Writer, sfd int, off int64, buf []byte, pause func()) error {
	partial := false // what was copied so far ends inside a line
	waits := 0
	for range catchUpMax {
		n, err := rawPread(sfd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// The archive is whole up to off; keep the live file intact
			// rather than lose what could not be copied.
			return fmt.Errorf("copy: %w; live file not truncated", err)
		}
		if n == 0 {
			if !partial || waits == tailWaits {
				break
			}
			waits++
			pause()
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return fmt.Errorf("copy: %w; live file not truncated", err)
		}
		off += int64(n)
		partial = buf[n-1] != '\n'
	}
	if err := rawTruncate(sfd); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	return nil
}

func pauseTail() {
	ts := unix.NsecToTimespec(int64(tailPause))
	_ = unix.Nanosleep(&ts, nil)
}

// rawPread and rawTruncate skip the Go scheduler's syscall bookkeeping
// (entersyscall/exitsyscall, which may hand the P away and wait to get one
// back): between the last read and the truncate, every microsecond is
// bytes a busy writer loses. Both are short on a regular file.
func rawPread(fd int, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}

func rawTruncate(fd int) error {
	if _, _, e := unix.RawSyscall(unix.SYS_FTRUNCATE, uintptr(fd), 0, 0); e != 0 {
		return e
	}
	return nil
}
