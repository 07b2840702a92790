package control_test

import (
	"os"
	"time"

	"github.com/supervise/supervise/internal/control"
	"github.com/supervise/supervise/pkg/procs"
)

// The table of docs/control.md.
func ExampleWriteTable() {
	one, zero := 1, 0
	control.WriteTable(os.Stdout, []control.StatusRow{
		control.Row(procs.Status{Name: "jupyter", State: procs.StateRunning, PID: 41, Uptime: 3*time.Hour + 12*time.Minute,
			LogPath: "/var/log/supervise/jupyter.log", LogBytes: 12900000}),
		control.Row(procs.Status{Name: "train", State: procs.StateBackoff, Restarts: 3, ExitCode: &one,
			LogPath: "/var/log/supervise/train.log", LogBytes: 823296}),
		control.Row(procs.Status{Name: "backup", State: procs.StateScheduled, ExitCode: &zero,
			LogPath: "/var/log/supervise/backup.log", LogBytes: 1230, NextRun: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)}),
	})
	// Output:
	// NAME     STATE                                  PID  UPTIME  RESTARTS  EXIT  LOG
	// jupyter  running                                41   3h12m   0         -     /var/log/supervise/jupyter.log (12.3M)
	// train    backoff                                -    -       3         1     /var/log/supervise/train.log (804.0K)
	// backup   scheduled (next 2026-11-29T03:00:00Z)  -    -       0         0     /var/log/supervise/backup.log (1.2K)
}

// The JSON of `ctl status --json` in docs/control.md.
func ExampleWriteJSON() {
	one := 1
	control.WriteJSON(os.Stdout, []control.StatusRow{control.Row(procs.Status{Name: "train", State: procs.StateBackoff,
		Restarts: 3, ExitCode: &one, LogPath: "/var/log/supervise/train.log", LogBytes: 823296})})
	// Output:
	// [
	//   {
	//     "name": "train",
	//     "state": "backoff",
	//     "pid": null,
	//     "uptime_s": 0,
	//     "restarts": 3,
	//     "exit_code": 1,
	//     "log_path": "/var/log/supervise/train.log",
	//     "log_bytes": 823296,
	//     "rotations": 0,
	//     "dropped_bytes": 0,
	//     "next_run": null
	//   }
	// ]
}
