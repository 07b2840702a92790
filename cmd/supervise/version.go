package main

import (
	"fmt"
	"io"
	"runtime"
)

// Stamped by the Makefile with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		fmt.Fprintf(stderr, "supervise version: unexpected argument %q\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(stdout, "supervise %s (commit %s, %s)\n", version, commit, runtime.Version())
	return exitOK
}
