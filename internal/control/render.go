package control

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/supervise/supervise/pkg/procs"
)

// StatusRow is one service in `status --json`: exactly the fields of
// SPEC §5, with null pid, exit_code and next_run when there is none. It is
// also the wire form, so the client renders the table without guessing.
type StatusRow struct {
	Name         string  `json:"name"`
	State        string  `json:"state"`
	PID          *int    `json:"pid"`
	UptimeS      int64   `json:"uptime_s"`
	Restarts     int     `json:"restarts"`
	ExitCode     *int    `json:"exit_code"`
	LogPath      string  `json:"log_path"`
	LogBytes     int64   `json:"log_bytes"`
	Rotations    int64   `json:"rotations"`
	DroppedBytes int64   `json:"dropped_bytes"`
	NextRun      *string `json:"next_run"`
}

// Row converts a backend status to its row.
func Row(st procs.Status) StatusRow {
	r := StatusRow{
		Name:         st.Name,
		State:        string(st.State),
		UptimeS:      int64(st.Uptime / time.Second),
		Restarts:     st.Restarts,
		LogPath:      st.LogPath,
		LogBytes:     st.LogBytes,
		Rotations:    st.Rotations,
		DroppedBytes: st.DroppedBytes,
	}
	if st.PID > 0 {
		pid := st.PID
		r.PID = &pid
	}
	if st.ExitCode != nil {
		code := *st.ExitCode
		r.ExitCode = &code
	}
	if !st.NextRun.IsZero() {
		s := st.NextRun.Format(time.RFC3339)
		r.NextRun = &s
	}
	return r
}

// WriteJSON writes rows as the JSON array of `status --json`.
func WriteJSON(w io.Writer, rows []StatusRow) error {
	if rows == nil {
		rows = []StatusRow{} // [] rather than null
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes rows as the aligned table of `status`.
func WriteTable(w io.Writer, rows []StatusRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tRESTARTS\tEXIT\tLOG")
	for _, r := range rows {
		pid, exit, log := "-", "-", "-"
		if r.PID != nil {
			pid = strconv.Itoa(*r.PID)
		}
		if r.ExitCode != nil {
			exit = strconv.Itoa(*r.ExitCode)
		}
		if r.LogPath != "" {
			log = fmt.Sprintf("%s (%s)", r.LogPath, HumanBytes(r.LogBytes))
		}
		state := r.State
		if r.NextRun != nil {
			state += " (next " + *r.NextRun + ")"
		}
		uptime := "-"
		if r.PID != nil {
			uptime = Uptime(time.Duration(r.UptimeS) * time.Second)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, state, pid, uptime, r.Restarts, exit, log)
	}
	return tw.Flush()
}

// Uptime renders a duration with its two largest units: 45s, 12m3s, 3h12m,
// 2d4h.
func Uptime(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return trim(fmt.Sprintf("%dm%ds", s/60, s%60), "0s")
	case s < 86400:
		return trim(fmt.Sprintf("%dh%dm", s/3600, s%3600/60), "0m")
	}
	return trim(fmt.Sprintf("%dd%dh", s/86400, s%86400/3600), "0h")
}

func trim(s, zero string) string {
	if len(s) > len(zero) && s[len(s)-len(zero):] == zero && (s[len(s)-len(zero)-1] < '0' || s[len(s)-len(zero)-1] > '9') {
		return s[:len(s)-len(zero)]
	}
	return s
}

// HumanBytes renders a size with binary units as the config writes them:
// 512B, 1.5K, 12.3M, 2.0G.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v := float64(n) / unit
	for _, u := range []string{"K", "M", "G", "T"} {
		if v < unit || u == "T" {
			return fmt.Sprintf("%.1f%s", v, u)
		}
		v /= unit
	}
	return ""
}
