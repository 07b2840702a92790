// Command gen is the benchmark's chatty writer: numbered lines of a fixed
// length on stdout, written in fixed-size chunks the way stdio buffers them
// (so lines straddle writes), optionally as a tqdm-like progress stream, or a
// burst of double-forked orphans for a reaper to collect.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/bench/internal/numbered"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("gen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "400M", "bytes to write (K, M, G: binary multiples)")
	lineLen := fs.Int("line", 199, "bytes per numbered line, newline included")
	chunk := fs.String("write", "8K", "bytes per write(2); lines straddle writes")
	tqdm := fs.Int("tqdm", 0, "progress states written with \\r before each line (a tqdm-like stream)")
	orphans := fs.Int("orphans", 0, "instead of lines: double-fork this many orphans, then wait until PID 1 has reaped them")
	result := fs.String("result", "", "with --orphans: also write the timings (JSON) to this file")
	stamp := fs.String("stamp", "", "at exit, write the start and end times of the writing (Unix ns) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *orphans > 0 {
		if err := makeOrphans(*orphans, *result, stdout); err != nil {
			fmt.Fprintf(stderr, "gen: %v\n", err)
			return 1
		}
		return 0
	}
	total, err := numbered.ParseSize(*size)
	if err != nil {
		fmt.Fprintf(stderr, "gen: --size: %v\n", err)
		return 2
	}
	w, err := numbered.ParseSize(*chunk)
	if err != nil || w < 1 {
		fmt.Fprintf(stderr, "gen: --write: want a positive size\n")
		return 2
	}
	f, err := numbered.NewFormat(*lineLen)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 2
	}
	start := time.Now()
	s := numbered.NewStream(f, *tqdm)
	bw := bufio.NewWriterSize(stdout, int(w))
	for seq, n := uint64(0), s.Lines(total); seq < n; seq++ {
		if _, err := bw.Write(s.Group(seq)); err != nil {
			fmt.Fprintf(stderr, "gen: write: %v\n", err)
			return 1
		}
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintf(stderr, "gen: write: %v\n", err)
		return 1
	}
	if *stamp != "" {
		line := fmt.Sprintf("%d %d\n", start.UnixNano(), time.Now().UnixNano())
		if err := os.WriteFile(*stamp, []byte(line), 0o644); err != nil {
			fmt.Fprintf(stderr, "gen: --stamp: %v\n", err)
			return 1
		}
	}
	return 0
}
