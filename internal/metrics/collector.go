// Package metrics serves Prometheus metrics at /metrics (SPEC §2
// `metrics = HOST:PORT`). Values are read from the supervisor when
// Prometheus scrapes, so there is no second copy of any state to drift.
package metrics

import (
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
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
	descState = prometheus.NewDesc("supervise_service_state",
		"1 for the state the service is in, 0 for the others (one-hot over stopped, starting, running, backoff, stopping, exited, fatal, scheduled).",
		[]string{"service", "state"}, nil)
	descHealthy = prometheus.NewDesc("supervise_service_healthy",
		"1 when the service counts as healthy for `ctl health`.", []string{"service"}, nil)
	descRestarts = prometheus.NewDesc("supervise_service_restarts_total",
		"Restarts of the service since supervise started.", []string{"service"}, nil)
	descExit = prometheus.NewDesc("supervise_service_exit_code",
		"Last exit code of the service (128+N when killed by signal N); absent before its first exit.", []string{"service"}, nil)
	descUptime = prometheus.NewDesc("supervise_service_uptime_seconds",
		"Seconds since the service's current process started; 0 when it has none.", []string{"service"}, nil)
	descNextRun = prometheus.NewDesc("supervise_service_next_run_timestamp_seconds",
		"Unix time of a cron job's next run.", []string{"service"}, nil)
	descLogBytes = prometheus.NewDesc("supervise_log_bytes",
		"Bytes in the live log file (log_bytes of `ctl status`).", []string{"service", "path"}, nil)
	descWritten = prometheus.NewDesc("supervise_log_written_bytes_total",
		"Bytes written to the log's live files since supervise opened the log; unlike supervise_log_bytes it does not fall back at rotation.", []string{"service", "path"}, nil)
	descRotations = prometheus.NewDesc("supervise_log_rotations_total",
		"Rotations of the log since supervise started.", []string{"service", "path"}, nil)
	descDropped = prometheus.NewDesc("supervise_log_dropped_bytes_total",
		"Bytes of output dropped because the log could not be written (disk low, write errors).", []string{"service", "path"}, nil)
	descArchive = prometheus.NewDesc("supervise_log_archive_bytes",
		"Bytes in the log's archives, compressed or not.", []string{"service", "path"}, nil)
	descFree = prometheus.NewDesc("supervise_log_filesystem_free_bytes",
		"Bytes available to supervise on the filesystem holding a log directory.", []string{"directory"}, nil)
	descSize = prometheus.NewDesc("supervise_log_filesystem_size_bytes",
		"Size of the filesystem holding a log directory.", []string{"directory"}, nil)
	descOrphans = prometheus.NewDesc("supervise_orphans_reaped_total",
		"Orphaned processes re-parented to supervise and reaped by it.", nil, nil)
	descUp = prometheus.NewDesc("supervise_status_up",
		"1 when the supervisor answered the status query of this scrape.", nil, nil)
)

// collector turns one Status call per scrape into metrics.
type collector struct {
	src    Source
	statfs func(dir string, st *unix.Statfs_t) error
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descHealthy, descRestarts, descExit, descUptime, descNextRun,
		descLogBytes, descWritten, descRotations, descDropped, descArchive, descFree, descSize, descOrphans, descUp} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descOrphans, prometheus.CounterValue, float64(c.src.Orphans()))
	sts, err := c.src.Status(nil)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		ch <- prometheus.NewInvalidMetric(descUp, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	dirs := map[string]bool{}
	for _, st := range sts {
		for _, s := range states {
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, boolf(st.State == s), st.Name, string(s))
		}
		ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, boolf(st.Healthy), st.Name)
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(st.Restarts), st.Name)
		if st.ExitCode != nil {
			ch <- prometheus.MustNewConstMetric(descExit, prometheus.GaugeValue, float64(*st.ExitCode), st.Name)
		}
		ch <- prometheus.MustNewConstMetric(descUptime, prometheus.GaugeValue, st.Uptime.Seconds(), st.Name)
		if !st.NextRun.IsZero() {
			ch <- prometheus.MustNewConstMetric(descNextRun, prometheus.GaugeValue, float64(st.NextRun.UnixNano())/1e9, st.Name)
		}
		if st.LogPath == "" {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descLogBytes, prometheus.GaugeValue, float64(st.LogBytes), st.Name, st.LogPath)
		ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(st.BytesWritten), st.Name, st.LogPath)
		ch <- prometheus.MustNewConstMetric(descRotations, prometheus.CounterValue, float64(st.Rotations), st.Name, st.LogPath)
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(st.DroppedBytes), st.Name, st.LogPath)
		ch <- prometheus.MustNewConstMetric(descArchive, prometheus.GaugeValue, float64(st.ArchiveBytes), st.Name, st.LogPath)
		dirs[filepath.Dir(st.LogPath)] = true
	}
	for dir := range dirs {
		var fs unix.Statfs_t
		if err := c.statfs(dir, &fs); err != nil {
			continue // the directory is gone; the log's own metrics say the rest
		}
		ch <- prometheus.MustNewConstMetric(descFree, prometheus.GaugeValue, float64(fs.Bavail)*float64(fs.Bsize), dir)
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(fs.Blocks)*float64(fs.Bsize), dir)
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
