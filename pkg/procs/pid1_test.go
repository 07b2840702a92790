package procs

import (
	"fmt"
	"os"
)

func runHelper(name string) int {
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 2
}
