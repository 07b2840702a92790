package main

import (
	"fmt"
	"io"
)

// runImport is not built yet; its owner replaces this file.
func runImport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "supervise: import: not implemented yet")
	return exitFail
}
