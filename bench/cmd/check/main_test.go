package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supervise/supervise/bench/internal/numbered"
)

func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	f, _ := numbered.NewFormat(199)
	want := numbered.NewStream(f, 0).Lines(10 << 10)
	var data []byte
	for i := uint64(0); i < want; i++ {
		data = f.Append(data, i)
	}
	live := filepath.Join(dir, "gen.log")
	// The older half is an archive, the newer half the live file.
	half := int(want/2) * 199
	os.WriteFile(live+".1", data[:half], 0o644)
	os.WriteFile(live, data[half:], 0o644)

	var out, errb bytes.Buffer
	if code := run([]string{"--size", "10K", live}, &out, &errb); code != 0 {
		t.Fatalf("intact log: exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.HasPrefix(out.String(), "intact:") {
		t.Errorf("output %q", out.String())
	}

	// Swap the files: every line is there, but out of order.
	os.WriteFile(live+".1", data[half:], 0o644)
	os.WriteFile(live, data[:half], 0o644)
	out.Reset()
	if code := run([]string{"--size", "10K", "--json", live}, &out, &errb); code != 1 {
		t.Fatalf("reordered log: exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), `"intact":false`) {
		t.Errorf("JSON output %q", out.String())
	}

	for _, args := range [][]string{{}, {"--layout", "bogus", live}, {"--size", "x", live}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run([]string{filepath.Join(dir, "missing.log")}, &out, &errb); code != 1 {
		t.Errorf("missing log: exit %d, want 1", code)
	}
}
