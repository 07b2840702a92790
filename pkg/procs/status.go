// Package procs is the supervision tree: the service state machine of SPEC
// §5, restarts with backoff, stop escalation to the process group, `after`
// ordering, oneshots, cron jobs and reload. It starts children only through
// signals.Reaper, learns of exits only from it, and never opens log files.
package procs

import "time"

// State is a service state as shown by `ctl status` (SPEC §5).
type State string

const (
	StateStopped   State = "stopped"
	StateStarting  State = "starting"
	StateRunning   State = "running"
	StateBackoff   State = "backoff"
	StateStopping  State = "stopping"
	StateExited    State = "exited"
	StateFatal     State = "fatal"
	StateScheduled State = "scheduled"
)

// Status is one service's row of `ctl status`; the control package renders
// it as a table or as the JSON of SPEC §5.
type Status struct {
	Name     string
	State    State
	PID      int       // 0 when there is no process
	Started  time.Time // zero when there is no process
	Uptime   time.Duration
	Restarts int
	ExitCode *int // last exit (128+N for a signal); nil before the first exit
	Healthy  bool // running past start_secs, or not subject to health (oneshot, cron, autostart=false)

	LogPath      string // "" when log = off or console
	LogBytes     int64  // live file size: falls back at each rotation
	BytesWritten int64  // bytes written to the log since it was opened: only grows (metrics; not in `ctl status`)
	Rotations    int64
	DroppedBytes int64
	ArchiveBytes int64 // bytes in this log's archives (compressed or not)

	NextRun time.Time // cron only; zero otherwise
}
