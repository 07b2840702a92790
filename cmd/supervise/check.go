package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/internal/config"
)

// runCheck validates a config: every error on stderr and exit 1, or the
// resolved plan on stdout and exit 0.
func runCheck(args []string, stdout, stderr io.Writer) int {
	return check(args, stdout, stderr, time.Now)
}

// check is runCheck with the clock injected, so tests can pin the next runs
// of schedules.
func check(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.StringP("config", "c", config.DefaultPath, "config file")
	checkUsage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: supervise check [-c FILE]\n\nValidate FILE; print every error as FILE:LINE: message (exit 1),\nor the resolved plan: start order, commands, users, logs, rotation, next runs (exit 0).\n\nFlags:\n%s  -h, --help            show this help\n", fs.FlagUsages())
	}
	// pflag answers -h/--help with ErrHelp when no flag of that name exists.
	if err := fs.Parse(args); errors.Is(err, pflag.ErrHelp) {
		checkUsage(stdout)
		return exitOK
	} else if err != nil {
		fmt.Fprintf(stderr, "supervise check: %v\n", err)
		checkUsage(stderr)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "supervise check: unexpected argument %q\n", fs.Arg(0))
		checkUsage(stderr)
		return exitUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			fmt.Fprintln(stderr, errs.Error())
			fmt.Fprintf(stderr, "supervise check: %d error(s) in %s\n", len(errs), *file)
		} else {
			fmt.Fprintf(stderr, "supervise check: %v\n", err)
		}
		return exitFail
	}
	if err := cfg.WritePlan(stdout, now()); err != nil {
		fmt.Fprintf(stderr, "supervise check: write plan: %v\n", err)
		return exitFail
	}
	return exitOK
}
