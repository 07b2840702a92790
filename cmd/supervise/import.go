package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/internal/importer"
)

// runImport prints the services.conf equivalent of supervisord, logrotate or
// crontab files (SPEC §1). The conversion goes to stdout; a one-line summary
// of what was not converted goes to stderr so a redirect still shows it.
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("import", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: supervise import supervisord|logrotate|crontab FILE...

Print a services.conf equivalent to the given files on stdout. Anything that
has no equivalent is kept as a "# not converted: ..." comment.
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "supervise: import: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) < 2 {
		fs.Usage()
		return exitUsage
	}
	conf, err := importer.Convert(rest[0], rest[1:])
	if err != nil {
		fmt.Fprintf(stderr, "supervise: import: %v\n", err)
		return exitFail
	}
	if _, err := conf.WriteTo(stdout); err != nil {
		fmt.Fprintf(stderr, "supervise: import: %v\n", err)
		return exitFail
	}
	if n := conf.NoteCount(); n > 0 {
		fmt.Fprintf(stderr, "supervise: import: %d item(s) not converted; see the \"# not converted:\" comments\n", n)
	}
	return exitOK
}
