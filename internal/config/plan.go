package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supervise/supervise/pkg/signals"
)

// WritePlan prints the resolved plan of a valid config, as `supervise
// check` shows it: start order, then per service what will run, as whom,
// where its output goes and how it rotates; schedules show their next three
// runs after now, in now's location.
func (c *Config) WritePlan(w io.Writer, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	s := c.Supervise
	fmt.Fprintf(tw, "config\t%s\n", c.File)
	fmt.Fprintf(tw, "control\t%s\n", s.Control+groupNote(s))
	fmt.Fprintf(tw, "log_dir\t%s\n", s.LogDir)
	fmt.Fprintf(tw, "shutdown_timeout\t%s\n", fmtDuration(s.ShutdownTimeout))
	fmt.Fprintf(tw, "disk_min_free\t%s\n", fmtAmount(s.DiskMinFree))
	fmt.Fprintf(tw, "disk_warn\t%s\n", fmtAmount(s.DiskWarn))
	fmt.Fprintf(tw, "event_command\t%s\n", orDash(quoteArgv(s.EventCommand)))
	fmt.Fprintf(tw, "metrics\t%s\n", orDash(s.Metrics))
	order := c.StartOrder()
	names := make([]string, len(order))
	for i, svc := range order {
		names[i] = svc.Name
	}
	fmt.Fprintf(tw, "start order\t%s\n", orDash(strings.Join(names, ", ")))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, svc := range order {
		fmt.Fprintf(w, "\n[service %s]\n", svc.Name)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		writeService(tw, svc, now)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, l := range c.Logfiles {
		fmt.Fprintf(w, "\n[logfile %s]\n", l.Name)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		writeLogfile(tw, l)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func writeService(w io.Writer, s *Service, now time.Time) {
	kind := "service"
	switch {
	case s.Schedule != nil:
		kind = "cron job, schedule " + s.Schedule.Spec
	case s.Oneshot:
		kind = "oneshot"
	case s.Main:
		kind = "main service: supervise exits with its exit code"
	}
	if !s.Autostart {
		kind += " (autostart false: only on ctl start)"
	}
	fmt.Fprintf(w, "  kind\t%s\n", kind)
	fmt.Fprintf(w, "  argv\t%s\n", quoteArgv(s.Command))
	fmt.Fprintf(w, "  directory\t%s\n", orText(s.Directory, "(supervise's cwd)"))
	fmt.Fprintf(w, "  user\t%s\n", fmtUser(s.User))
	fmt.Fprintf(w, "  env\t%s\n", orDash(strings.Join(s.Env, " ")))
	if s.EnvFile != "" {
		fmt.Fprintf(w, "  env_file\t%s\n", s.EnvFile)
	}
	switch s.GPUs {
	case "":
		fmt.Fprintf(w, "  gpus\t(inherit)\n")
	case "all", "none":
		fmt.Fprintf(w, "  gpus\t%s\n", s.GPUs)
	default:
		fmt.Fprintf(w, "  gpus\t%s (CUDA_VISIBLE_DEVICES=%s)\n", s.GPUs, s.GPUs)
	}
	if len(s.After) > 0 {
		fmt.Fprintf(w, "  after\t%s\n", strings.Join(s.After, ", "))
	}
	switch {
	case s.Schedule != nil:
		fmt.Fprintf(w, "  restart\tnever (cron job); an overlapping tick is skipped\n")
		runs := make([]string, 0, 3)
		t := now
		for range 3 {
			t = s.Schedule.Next(t)
			if t.IsZero() {
				break
			}
			runs = append(runs, t.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "  next runs\t%s\n", orText(strings.Join(runs, ", "), "never"))
	case s.Oneshot:
		fmt.Fprintf(w, "  restart\tnever (oneshot: a failure is fatal)\n")
	default:
		give := "never give up"
		if s.MaxRestarts > 0 {
			give = fmt.Sprintf("fatal after %d failed restarts in a row", s.MaxRestarts)
		}
		if s.Restart == RestartNever {
			fmt.Fprintf(w, "  restart\tnever\n")
			break
		}
		fmt.Fprintf(w, "  restart\t%s; start_secs %s, backoff %s doubling to %s, %s\n",
			restartName(s.Restart), fmtDuration(s.StartSecs), fmtDuration(s.Backoff), fmtDuration(s.BackoffMax), give)
	}
	fmt.Fprintf(w, "  stop\t%s to the process group, SIGKILL after %s; reload_signal %s\n",
		signals.Name(s.StopSignal), fmtDuration(s.StopTimeout), signals.Name(s.ReloadSignal))
	io := "pipes"
	if s.TTY {
		io = "pseudo-terminal (stdout and stderr merged)"
	}
	fmt.Fprintf(w, "  stdio\t%s\n", io)
	writeLog(w, s.Name, &s.Log, true)
}

func writeLogfile(w io.Writer, l *Logfile) {
	fmt.Fprintf(w, "  path\t%s\n", l.Path)
	switch l.Method {
	case MethodCopyTruncate:
		fmt.Fprintf(w, "  method\tcopytruncate\n")
	default:
		after := "no signal"
		if l.Service != "" {
			after = fmt.Sprintf("then %s to %s", signals.Name(l.Signal), l.Service)
		}
		fmt.Fprintf(w, "  method\trename, %s\n", after)
	}
	fmt.Fprintf(w, "  check_every\t%s\n", fmtDuration(l.CheckEvery))
	writeLog(w, l.Name, &l.Log, false)
}

func writeLog(w io.Writer, name string, l *LogPolicy, service bool) {
	if service {
		switch l.Mode {
		case LogOff:
			fmt.Fprintf(w, "  log\toff (discarded)\n")
		case LogConsole:
			fmt.Fprintf(w, "  log\tconsole (supervise's stdout, prefixed %q)\n", name+" | ")
		default:
			fmt.Fprintf(w, "  log\t%s\n", l.Path)
			if l.StderrSeparate {
				fmt.Fprintf(w, "  stderr log\t%s\n", l.ErrPath())
			}
		}
		if l.Console && l.Mode != LogConsole {
			fmt.Fprintf(w, "  console\talso copied to supervise's stdout, prefixed %q\n", name+" | ")
		}
		if l.Mode != LogFile {
			return
		}
		fmt.Fprintf(w, "  lines\ttimestamps %s, progress %s, strip_ansi %t, max_line %s\n",
			[]string{"none", "rfc3339", "unix"}[l.Timestamps], progressName(l), l.StripANSI, fmtSize(int64(l.MaxLine)))
	}
	every := []string{"never", "hourly", "daily", "weekly"}[l.RotateEvery]
	fmt.Fprintf(w, "  rotate\tsize %s, every %s, keep %d, max_age %s, max_total %s\n",
		orText(sizeOrZero(l.RotateSize), "never"), every, l.Keep,
		orText(durationOrZero(l.MaxAge), "none"), orText(sizeOrZero(l.MaxTotal), "none"))
	naming := "numbered (.1 is the newest)"
	if l.DateExt {
		naming = "dateext (-YYYYMMDD-HHMMSS)"
	}
	fmt.Fprintf(w, "  archives\tcompress %s, delay_compress %t, if_empty %t, %s\n",
		[]string{"none", "gzip", "zstd"}[l.Compress], l.DelayCompress, l.IfEmpty, naming)
	owner := "supervise's user"
	if l.FileOwner != nil {
		owner = "uid " + strconv.Itoa(l.FileOwner.UID)
		if l.FileOwner.GID >= 0 {
			owner += ", gid " + strconv.Itoa(l.FileOwner.GID)
		}
	}
	fmt.Fprintf(w, "  files\tmode %04o, owner %s\n", uint32(l.FileMode.Perm()), owner)
}

func progressName(l *LogPolicy) string {
	if l.CollapseProgress {
		return "collapse every " + fmtDuration(l.ProgressInterval)
	}
	return "keep"
}

func restartName(r Restart) string {
	switch r {
	case RestartAlways:
		return "always"
	case RestartNever:
		return "never"
	}
	return "on-failure"
}

func fmtUser(u *User) string {
	if u == nil {
		return "(supervise's user)"
	}
	groups := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = strconv.FormatUint(uint64(g), 10)
	}
	return fmt.Sprintf("%s (uid %d, gid %d, groups %s, HOME=%s, USER=%s)",
		u.Name, u.UID, u.GID, orDash(strings.Join(groups, ",")), u.Home, u.Login)
}

func groupNote(s Supervise) string {
	if s.ControlGID < 0 {
		return " (mode 0600)"
	}
	return fmt.Sprintf(" (mode 0660, group %s = gid %d)", s.ControlGroup, s.ControlGID)
}

func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// fmtSize prints a byte count the way services.conf writes it.
func fmtSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func sizeOrZero(n int64) string {
	if n == 0 {
		return ""
	}
	return fmtSize(n)
}

// fmtDuration prints whole days as `d`, like services.conf accepts.
func fmtDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	// 1m0s reads better as 1m, 2h0m0s as 2h.
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

func durationOrZero(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmtDuration(d)
}

func fmtAmount(a Amount) string {
	if a.IsPercent {
		return strconv.FormatFloat(a.Percent, 'f', -1, 64) + "%"
	}
	return fmtSize(a.Bytes)
}

func orDash(s string) string { return orText(s, "-") }

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
