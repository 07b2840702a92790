package main

import (
	"fmt"
	"io"
)

// runCtl is not built yet; its owner replaces this file.
func runCtl(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "supervise: ctl: not implemented yet")
	return exitFail
}
