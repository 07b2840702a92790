package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	"github.com/supervise/supervise/pkg/signals"
)

// verbHelp is the usage line and summary of each verb.
var verbHelp = map[string][2]string{
	"status":   {"status [NAME...] [--json]", "show services: NAME STATE PID UPTIME RESTARTS EXIT LOG"},
	"health":   {"health", "exit 0 when every service that should run is running past start_secs"},
	"start":    {"start NAME...|all", "start services; returns when they are started or failed"},
	"stop":     {"stop NAME...|all", "stop services; returns when they are stopped"},
	"restart":  {"restart NAME...|all", "restart services"},
	"signal":   {"signal SIG NAME...", "send SIG (USR1, SIGUSR1 or 10) to each service's process group"},
	"rotate":   {"rotate [NAME...]", "rotate logs now (every log without names)"},
	"reload":   {"reload [NAME...]", "reload the config; with names, send their reload_signal"},
	"tail":     {"tail [-f] [-n N] NAME", "print the last lines of a service's live log; -f follows across rotations"},
	"shutdown": {"shutdown", "shut the supervisor down gracefully"},
}

// Usage writes the verb list of `supervise ctl -h`.
func Usage(w io.Writer) {
	fmt.Fprint(w, "Usage: supervise ctl [--socket PATH] [-c FILE] VERB [ARGS]\n\nVerbs:\n")
	for _, v := range Verbs {
		fmt.Fprintf(w, "  %-26s %s\n", verbHelp[v][0], verbHelp[v][1])
	}
	fmt.Fprint(w, `
Exit status: 0 ok, 1 refused or failed (health: unhealthy), 2 usage, 3 no supervisor.
The socket is --socket, else $SUPERVISE_SOCKET, else the control path of -c FILE,
else `+DefaultSocket+".\n")
}

// ErrHelp is returned by ParseArgs for -h; the usage was written.
var ErrHelp = pflag.ErrHelp

// ParseArgs turns `VERB ARGS...` into a request. Errors are *UsageError,
// or ErrHelp after writing the verb's help to help.
func ParseArgs(args []string, help io.Writer) (Request, error) {
	if len(args) == 0 {
		return Request{}, usagef("missing verb; accepted: %s", joinVerbs())
	}
	verb := args[0]
	h, ok := verbHelp[verb]
	if !ok {
		return Request{}, usagef("unknown verb %q; accepted: %s", verb, joinVerbs())
	}
	fs := pflag.NewFlagSet("supervise ctl "+verb, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	req := Request{V: Version, Verb: verb}
	switch verb {
	case "status":
		fs.BoolVar(&req.Flags.JSON, "json", false, "print a JSON array")
	case "tail":
		fs.BoolVarP(&req.Flags.Follow, "follow", "f", false, "keep printing new lines, across rotations")
		fs.IntVarP(&req.Flags.Lines, "lines", "n", 10, "number of last lines")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(help, "Usage: supervise ctl %s\n  %s\n", h[0], h[1])
			if fs.HasFlags() {
				fmt.Fprint(help, fs.FlagUsages())
			}
			return Request{}, ErrHelp
		}
		return Request{}, usagef("%s: %v", verb, err)
	}
	req.Args = fs.Args()
	if verb == "signal" && len(req.Args) > 0 {
		sig, err := signals.Parse(req.Args[0])
		if err != nil {
			return Request{}, usagef("signal: %v", err)
		}
		req.Args[0] = signals.Name(sig)
	}
	if err := req.Validate(); err != nil {
		return Request{}, err
	}
	return req, nil
}

// Run sends req to the supervisor at path, prints the answer the way
// `supervise ctl` does and returns the exit status.
func Run(ctx context.Context, path string, req Request, stdout, stderr io.Writer) int {
	resp, err := Do(ctx, path, req, func(r Response) error {
		_, err := stdout.Write(r.Data)
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "supervise ctl: %v\n", err)
		var none *NoSupervisorError
		if errors.As(err, &none) {
			return ExitNoSupervisor
		}
		return ExitFailed
	}
	if resp.Error != "" {
		msg := resp.Error
		if !strings.HasPrefix(msg, req.Verb) {
			msg = req.Verb + ": " + msg
		}
		fmt.Fprintf(stderr, "supervise ctl: %s\n", msg)
	}
	if resp.Exit != ExitOK {
		return resp.Exit
	}
	if len(resp.Data) > 0 {
		stdout.Write(resp.Data)
	}
	if req.Verb == "status" {
		if req.Flags.JSON {
			err = WriteJSON(stdout, resp.Status)
		} else {
			err = WriteTable(stdout, resp.Status)
		}
		if err != nil {
			fmt.Fprintf(stderr, "supervise ctl: status: %v\n", err)
			return ExitFailed
		}
	}
	if resp.Text != "" {
		fmt.Fprintln(stdout, resp.Text)
	}
	return ExitOK
}
