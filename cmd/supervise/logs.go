package main

import (
	"fmt"
	"io"
)

// runLogs is not built yet; its owner replaces this file.
func runLogs(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "supervise: logs: not implemented yet")
	return exitFail
}
