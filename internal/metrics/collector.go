// Package metrics serves Prometheus metrics at /metrics (SPEC §2
// `metrics = HOST:PORT`). Values are read from the supervisor when
// Prometheus scrapes, so there is no second copy of any state to drift.
package metrics

import (
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/pkg/procs"
)

// Source is the part of the supervisor metrics reads; control.Backend
// satisfies it.
type Source interface {
	Status(names []string) ([]procs.Status, error)
	Orphans() int64
}

// states are the SPEC §5 states, one series each per service.
var states = []procs.State{
	procs.StateStopped, procs.StateStarting, procs.StateRunning, procs.StateBackoff,
	procs.StateStopping, procs.StateExited, procs.StateFatal, procs.StateScheduled,
}

var (
	svcLabel = []string{"service"}
	logLabel = []string{"path", "service"} // sorted by name, as client_golang writes them

	famState = &family{"supervise_service_state",
		"1 for the state the service is in, 0 for the others (one-hot over stopped, starting, running, backoff, stopping, exited, fatal, scheduled).",
		gauge, []string{"service", "state"}}
	famHealthy = &family{"supervise_service_healthy",
		"1 when the service counts as healthy for `ctl health`.", gauge, svcLabel}
	famRestarts = &family{"supervise_service_restarts_total",
		"Restarts of the service since supervise started.", counter, svcLabel}
	famExit = &family{"supervise_service_exit_code",
		"Last exit code of the service (128+N when killed by signal N); absent before its first exit.", gauge, svcLabel}
	famUptime = &family{"supervise_service_uptime_seconds",
		"Seconds since the service's current process started; 0 when it has none.", gauge, svcLabel}
	famNextRun = &family{"supervise_service_next_run_timestamp_seconds",
		"Unix time of a cron job's next run.", gauge, svcLabel}
	famLogBytes = &family{"supervise_log_bytes",
		"Bytes in the live log file (log_bytes of `ctl status`).", gauge, logLabel}
	famWritten = &family{"supervise_log_written_bytes_total",
		"Bytes written to the log's live files since supervise opened the log; unlike supervise_log_bytes it does not fall back at rotation.", counter, logLabel}
	famRotations = &family{"supervise_log_rotations_total",
		"Rotations of the log since supervise started.", counter, logLabel}
	famDropped = &family{"supervise_log_dropped_bytes_total",
		"Bytes of output dropped because the log could not be written (disk low, write errors).", counter, logLabel}
	famArchive = &family{"supervise_log_archive_bytes",
		"Bytes in the log's archives, compressed or not.", gauge, logLabel}
	famFree = &family{"supervise_log_filesystem_free_bytes",
		"Bytes available to supervise on the filesystem holding a log directory.", gauge, []string{"directory"}}
	famSize = &family{"supervise_log_filesystem_size_bytes",
		"Size of the filesystem holding a log directory.", gauge, []string{"directory"}}
	famOrphans = &family{"supervise_orphans_reaped_total",
		"Orphaned processes re-parented to supervise and reaped by it.", counter, nil}
	famUp = &family{"supervise_status_up",
		"1 when the supervisor answered the status query of this scrape.", gauge, nil}
)

// collector turns one Status call per scrape into metrics.
type collector struct {
	src    Source
	statfs func(dir string, st *unix.Statfs_t) error
	proc   procReader
}

// collect renders one scrape: supervise's own metrics, then the Go runtime
// and process ones.
func (c *collector) collect() []byte {
	e := newExposition()
	e.add(famOrphans, float64(c.src.Orphans()))
	if sts, err := c.src.Status(nil); err != nil {
		e.add(famUp, 0)
	} else {
		e.add(famUp, 1)
		c.services(e, sts)
	}
	collectRuntime(e)
	c.proc.collect(e)
	return e.bytes()
}

func (c *collector) services(e *exposition, sts []procs.Status) {
	var dirs []string
	seen := map[string]bool{}
	for _, st := range sts {
		for _, s := range states {
			e.add(famState, boolf(st.State == s), st.Name, string(s))
		}
		e.add(famHealthy, boolf(st.Healthy), st.Name)
		e.add(famRestarts, float64(st.Restarts), st.Name)
		if st.ExitCode != nil {
			e.add(famExit, float64(*st.ExitCode), st.Name)
		}
		e.add(famUptime, st.Uptime.Seconds(), st.Name)
		if !st.NextRun.IsZero() {
			e.add(famNextRun, float64(st.NextRun.UnixNano())/1e9, st.Name)
		}
		if st.LogPath == "" {
			continue
		}
		e.add(famLogBytes, float64(st.LogBytes), st.LogPath, st.Name)
		e.add(famWritten, float64(st.BytesWritten), st.LogPath, st.Name)
		e.add(famRotations, float64(st.Rotations), st.LogPath, st.Name)
		e.add(famDropped, float64(st.DroppedBytes), st.LogPath, st.Name)
		e.add(famArchive, float64(st.ArchiveBytes), st.LogPath, st.Name)
		if dir := filepath.Dir(st.LogPath); !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	for _, dir := range dirs {
		var fs unix.Statfs_t
		if err := c.statfs(dir, &fs); err != nil {
			continue // the directory is gone; the log's own metrics say the rest
		}
		e.add(famFree, float64(fs.Bavail)*float64(fs.Bsize), dir)
		e.add(famSize, float64(fs.Blocks)*float64(fs.Bsize), dir)
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
