// Command supervise is PID 1 of a container: it runs services, captures and
// rotates their logs, runs cron jobs, reaps zombies and forwards signals.
// This package is the command line only: flag parsing, wiring and exit codes.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes shared by the subcommands (SPEC §1).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// run dispatches to a subcommand; with no subcommand (or only flags) it runs
// the supervisor.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(args[1:], stdout, stderr)
		case "ctl":
			return runCtl(args[1:], stdout, stderr)
		case "logs":
			return runLogs(args[1:], stdout, stderr)
		case "import":
			return runImport(args[1:], stdout, stderr)
		case "version":
			return runVersion(args[1:], stdout, stderr)
		case "help":
			usage(stdout)
			return exitOK
		}
		if args[0] != "" && args[0][0] != '-' {
			fmt.Fprintf(stderr, "supervise: unknown command %q\n", args[0])
			usage(stderr)
			return exitUsage
		}
	}
	return runSupervisor(args, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  supervise [-c FILE]                 run the supervisor (default /etc/supervise/services.conf)
  supervise check [-c FILE]           validate the config and print the resolved plan
  supervise ctl [--socket PATH] VERB  talk to a running supervisor (status, health, start, stop,
                                      restart, signal, rotate, reload, tail, shutdown)
  supervise logs NAME [-c FILE] [-f] [-n N] [--since T] [--until T] [--grep RE]
  supervise import supervisord|logrotate|crontab FILE...
  supervise version
`)
}
