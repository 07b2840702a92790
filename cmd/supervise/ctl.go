package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/control"
)

// runCtl is `supervise ctl [--socket PATH] [-c FILE] VERB ...` (SPEC §1, §5).
func runCtl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("supervise ctl", pflag.ContinueOnError)
	fs.SetInterspersed(false) // flags after the verb belong to the verb
	fs.SetOutput(io.Discard)
	socket := fs.String("socket", "", "control socket (default: $SUPERVISE_SOCKET, else control of -c FILE, else "+control.DefaultSocket+")")
	cfgFile := fs.StringP("config", "c", "", "services.conf whose control path to use")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			control.Usage(stdout)
			fmt.Fprint(stdout, "\nOptions:\n"+fs.FlagUsages())
			return exitOK
		}
		fmt.Fprintf(stderr, "supervise ctl: %v\n", err)
		control.Usage(stderr)
		return exitUsage
	}
	req, err := control.ParseArgs(fs.Args(), stdout)
	if errors.Is(err, control.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "supervise ctl: %v\n", err)
		if len(fs.Args()) == 0 {
			control.Usage(stderr)
		}
		return exitUsage
	}
	path, err := ctlSocket(*socket, *cfgFile)
	if err != nil {
		fmt.Fprintf(stderr, "supervise ctl: %v\n", err)
		return exitFail
	}
	return control.Run(context.Background(), path, req, stdout, stderr)
}

// ctlSocket applies SPEC §1: --socket, else SUPERVISE_SOCKET, else the
// config's control path when -c is given, else the default.
func ctlSocket(flag, cfgFile string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv("SUPERVISE_SOCKET"); env != "" {
		return env, nil
	}
	if cfgFile != "" {
		cfg, err := config.Load(cfgFile)
		if err != nil {
			return "", err
		}
		if cfg.Supervise.Control != "" {
			return cfg.Supervise.Control, nil
		}
	}
	return control.DefaultSocket, nil
}
