package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/supervise/supervise/bench/internal/numbered"
)

// chunks records the size of every write, to prove gen writes like stdio.
type chunks struct {
	bytes.Buffer
	sizes []int
}

func (c *chunks) Write(p []byte) (int, error) {
	c.sizes = append(c.sizes, len(p))
	return c.Buffer.Write(p)
}

func TestGenWritesCheckableLinesInFixedWrites(t *testing.T) {
	var out chunks
	var errb bytes.Buffer
	stamp := filepath.Join(t.TempDir(), "stamp")
	if code := run([]string{"--size", "100K", "--line", "199", "--write", "4K", "--stamp", stamp}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	f, _ := numbered.NewFormat(199)
	want := uint64(100 << 10 / 199)
	if out.Len() != int(want)*199 {
		t.Fatalf("wrote %d bytes, want %d", out.Len(), want*199)
	}
	for i, n := range out.sizes[:len(out.sizes)-1] {
		if n != 4096 {
			t.Fatalf("write %d is %d bytes, want 4096 (lines must straddle writes)", i, n)
		}
	}
	c := numbered.NewChecker(f, want, numbered.Options{})
	if err := c.Feed(&out.Buffer); err != nil {
		t.Fatal(err)
	}
	if r := c.Finish(); !r.Intact(want) {
		t.Fatalf("gen's own output fails the check: %v", r)
	}
	b, err := os.ReadFile(stamp)
	if err != nil {
		t.Fatal(err)
	}
	times := strings.Fields(string(b))
	if len(times) != 2 {
		t.Fatalf("stamp %q: want two times", b)
	}
	start, _ := strconv.ParseInt(times[0], 10, 64)
	end, _ := strconv.ParseInt(times[1], 10, 64)
	if start <= 0 || end < start {
		t.Fatalf("stamp %q: start must be positive and not after end", b)
	}
}

func TestGenTqdmStream(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--size", "50K", "--line", "100", "--tqdm", "3"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !bytes.Contains(out.Bytes(), []byte("\r"+numbered.ProgressMarker)) {
		t.Fatal("no progress states in the tqdm stream")
	}
	f, _ := numbered.NewFormat(100)
	want := numbered.NewStream(f, 3).Lines(50 << 10)
	c := numbered.NewChecker(f, want, numbered.Options{FinalForm: true})
	if err := c.Feed(&out); err != nil {
		t.Fatal(err)
	}
	if r := c.Finish(); !r.Intact(want) || r.WithCR != want {
		t.Fatalf("tqdm stream: %v", r)
	}
}

func TestGenUsage(t *testing.T) {
	for _, args := range [][]string{{"--size", "lots"}, {"--write", "0"}, {"--line", "5"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if out.Len() != 0 {
			t.Errorf("%v: wrote %d bytes on a usage error", args, out.Len())
		}
	}
}
