package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/logread"
	"github.com/supervise/supervise/pkg/sink"
)

const defaultConfig = "/etc/supervise/services.conf"

// runLogs is `supervise logs NAME [-c FILE] [-f] [-n N] [--since T]
// [--until T] [--grep RE]` (SPEC §1). It reads files only, so it works
// without a running supervisor.
func runLogs(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("supervise logs", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgFile := fs.StringP("config", "c", defaultConfig, "services.conf naming the log")
	follow := fs.BoolP("follow", "f", false, "keep printing new lines, across rotations")
	lines := fs.IntP("lines", "n", 0, "print only the last N lines (default: all)")
	since := fs.String("since", "", "only lines from T on: RFC 3339, \"2026-11-28 21:45\", or a duration ago such as 1h")
	until := fs.String("until", "", "only lines up to T (same forms as --since)")
	grep := fs.String("grep", "", "only lines matching this regular expression (Go RE2 syntax)")
	usage := func(w io.Writer) {
		fmt.Fprint(w, "Usage: supervise logs NAME [-c FILE] [-f] [-n N] [--since T] [--until T] [--grep RE]\n"+
			"Print a service's or [logfile]'s log: every archive (.gz, .zst or plain), then the live file, oldest first.\n"+
			"Exit status: 0 ok, 1 no such log, 2 usage.\n\nOptions:\n"+fs.FlagUsages())
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "supervise logs: "+format+"\n", a...)
		usage(stderr)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		return fail("%v", err)
	}
	if fs.NArg() != 1 {
		return fail("need exactly one NAME, got %d", fs.NArg())
	}
	now := time.Now()
	q := logread.Query{Lines: -1, KeepLive: *follow}
	if fs.Changed("lines") {
		if *lines < 0 {
			return fail("-n must not be negative")
		}
		q.Lines = *lines
	}
	var err error
	if *since != "" {
		if q.Since, err = logread.ParseTime(*since, now); err != nil {
			return fail("--since: %v", err)
		}
	}
	if *until != "" {
		if *follow {
			return fail("-f cannot be combined with --until")
		}
		if q.Until, err = logread.ParseTime(*until, now); err != nil {
			return fail("--until: %v", err)
		}
	}
	if *grep != "" {
		if q.Grep, err = regexp.Compile(*grep); err != nil {
			return fail("--grep: %v", err)
		}
	}
	cfg, err := config.Load(*cfgFile)
	if err != nil {
		fmt.Fprintf(stderr, "supervise logs: %v\n", err)
		return exitFail
	}
	paths, err := logPaths(cfg, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "supervise logs: %v\n", err)
		return exitFail
	}
	return showLogs(context.Background(), paths, q, *follow, stdout, stderr)
}

// logPaths finds the live file(s) of NAME: a service's log (NAME.err for
// its separate stderr log), or a [logfile]'s path or glob.
func logPaths(cfg *config.Config, name string) ([]string, error) {
	for _, s := range cfg.Services {
		if s.Name == name {
			return serviceLog(s, name, s.Log.Path)
		}
	}
	for _, s := range cfg.Services {
		if s.Name+".err" == name {
			if !s.Log.StderrSeparate {
				return nil, fmt.Errorf("no such log %q: service %s has stderr = merge", name, s.Name)
			}
			return serviceLog(s, name, sink.ErrPath(s.Log.Path))
		}
	}
	for _, l := range cfg.Logfiles {
		if l.Name == name {
			paths, err := logread.LiveFiles(l.Path)
			if err != nil {
				return nil, fmt.Errorf("[logfile %s]: %w", name, err)
			}
			if len(paths) == 0 {
				return nil, fmt.Errorf("no such log %q: nothing matches %s", name, l.Path)
			}
			return paths, nil
		}
	}
	return nil, fmt.Errorf("no such log %q: no [service] or [logfile] of that name in %s", name, cfg.File)
}

func serviceLog(s *config.Service, name, path string) ([]string, error) {
	switch s.Log.Mode {
	case config.LogOff:
		return nil, fmt.Errorf("no such log %q: the service has log = off", name)
	case config.LogConsole:
		return nil, fmt.Errorf("no such log %q: the service has log = console (see supervise's own output)", name)
	}
	return []string{path}, nil
}

// showLogs prints the selected lines of each log and, with follow, then
// follows the live file until ctx ends.
func showLogs(ctx context.Context, paths []string, q logread.Query, follow bool, stdout, stderr io.Writer) int {
	if follow && len(paths) != 1 {
		fmt.Fprintf(stderr, "supervise logs: -f follows one file; the glob matches %d: %v\n", len(paths), paths)
		return exitUsage
	}
	warn := func(err error) { fmt.Fprintf(stderr, "supervise logs: warning: %v\n", err) }
	found := false
	var live *os.File
	for _, p := range paths {
		segs, err := logread.Segments(p)
		if err != nil {
			fmt.Fprintf(stderr, "supervise logs: %v\n", err)
			return exitFail
		}
		if len(segs) == 0 {
			continue
		}
		found = true
		f, err := logread.Read(stdout, segs, q, warn)
		if err != nil {
			fmt.Fprintf(stderr, "supervise logs: %v\n", err)
			return exitFail
		}
		live = f
	}
	if !follow {
		if !found {
			fmt.Fprintf(stderr, "supervise logs: no such log: neither %s nor any archive of it exists\n", paths[0])
			return exitFail
		}
		return exitOK
	}
	var buf []byte
	err := logread.NewFollower(paths[0], live).Run(ctx, func(chunk []byte) error {
		buf = q.Filter(buf[:0], chunk)
		_, err := stdout.Write(buf)
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "supervise logs: %v\n", err)
		return exitFail
	}
	return exitOK
}
