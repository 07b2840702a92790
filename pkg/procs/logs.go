package procs

import (
	"os"

	"github.com/supervise/supervise/internal/config"
)

// Logs opens the log of each service. procs never opens log files itself:
// cmd/supervise adapts pkg/sink to this, and tests use plain files.
type Logs interface {
	Open(name string, p config.LogPolicy) (Log, error)
}

// Log is one service's log.
type Log interface {
	// Attach makes fresh pipes (or a pty when tty) for one run.
	Attach(tty bool) (*Capture, error)
	Rotate() error
	// Update applies changed log keys without touching the process.
	Update(p config.LogPolicy) error
	Stats() LogStats
	Close() error
}

// LogStats is what `ctl status` shows about a log.
type LogStats struct {
	Path         string
	Bytes        int64 // live file size
	BytesWritten int64 // written since Open, across rotations
	Rotations    int64
	DroppedBytes int64
	ArchiveBytes int64
}

// Capture is the output plumbing of one run.
type Capture struct {
	// Stdout and Stderr are the child's ends: pipe write ends, or the same
	// pty tty file twice.
	Stdout, Stderr *os.File
	// CloseChildEnds closes our copies of the child's ends after Start, so
	// that EOF arrives when the last process holding them exits.
	CloseChildEnds func()
	// Done is closed when every stream reached EOF and was flushed.
	Done <-chan struct{}
	// Close gives up on the streams (the drain deadline passed).
	Close func()
}
