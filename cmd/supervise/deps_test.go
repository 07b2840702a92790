package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryStaysSmall: on Linux nearly all of the mapped binary ends up
// resident, so its size is supervise's memory (docs/procs.md, "Memory").
// These packages doubled it once; keep them out of the binary.
func TestBinaryStaysSmall(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"net/http", "github.com/prometheus/", "google.golang.org/protobuf/"} {
			if pkg == banned || strings.HasPrefix(pkg, banned) {
				t.Errorf("supervise links %s (about 4 MB of resident memory with its dependencies)", pkg)
			}
		}
	}
}
