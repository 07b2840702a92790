package main

import (
	"fmt"
	"io"
)

// runSupervisor is not built yet; its owner replaces this file.
func runSupervisor(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "supervise: run: not implemented yet")
	return exitFail
}
