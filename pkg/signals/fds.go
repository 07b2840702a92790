package signals

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseOnExecInherited marks every descriptor above 2 close-on-exec. Go
// opens its own files close-on-exec, but descriptors inherited from
// whoever started supervise (a container runtime, a shell) are not, and
// would leak into every service: a child must see only 0-2.
func CloseOnExecInherited() error {
	err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Kernels before 5.11: walk /proc/self/fd.
	ents, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close-on-exec inherited descriptors: %w (close_range: %v)", rerr, err)
	}
	for _, e := range ents {
		fd, convErr := strconv.Atoi(e.Name())
		if convErr != nil || fd < 3 {
			continue
		}
		// The directory's own descriptor is gone by now; EBADF is fine.
		if _, ferr := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); ferr != nil && ferr != unix.EBADF {
			return fmt.Errorf("close-on-exec fd %d: %w", fd, ferr)
		}
	}
	return nil
}
