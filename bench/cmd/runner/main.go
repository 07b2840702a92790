// Command runner is `make bench`: it runs supervise side by side with the
// limit (gen > file, gen | cat > file) and the Debian peers (s6-log, svlogd,
// multilog, supervisord) in alternating rounds, checks every log line by
// line, measures supervise's start-up, idle footprint and orphan reaping,
// and writes docs/benchmarks.md and its chart.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/bench/internal/numbered"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// bench is one benchmark run's settings and state.
type bench struct {
	bin       string // supervise
	compare   string // a second supervise binary, run as "[B]" rows beside bin's (A/B of a change)
	gen       string
	ptycat    string
	sizeText  string
	size      int64
	lineLen   int
	writeText string
	rotate    int64
	rounds    int
	reps      int // runs of each start-up, idle and orphan measurement
	dir       string
	timeout   time.Duration
	format    numbered.Format
	progress  io.Writer
	tools     map[string]string
}

// tool returns the absolute path of a program, or its bare name when it is
// not installed (the run then fails with "not found" and is reported so).
func (b *bench) tool(name string) string {
	if p, ok := b.tools[name]; ok {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		p = name
	} else if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	b.tools[name] = p
	return p
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("runner", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	b := &bench{progress: stderr, tools: map[string]string{}}
	fs.StringVar(&b.bin, "bin", "bin/supervise", "the supervise binary")
	fs.StringVar(&b.compare, "compare", "", "a second supervise binary: every supervise row also runs with it, named \"... [B]\" (for A/B of a change in one run)")
	fs.StringVar(&b.gen, "gen", "", "the gen binary (bench/cmd/gen)")
	fs.StringVar(&b.ptycat, "ptycat", "", "the ptycat binary (bench/cmd/ptycat)")
	fs.StringVar(&b.sizeText, "size", "400M", "bytes each contestant logs")
	fs.IntVar(&b.lineLen, "line", 199, "bytes per line, newline included (does not divide --rotate)")
	fs.StringVar(&b.writeText, "write", "8K", "bytes per write(2) of the generator")
	rotate := fs.String("rotate", "10M", "rotation size")
	fs.IntVar(&b.rounds, "rounds", 3, "rounds; contestants alternate within each round and the median is reported")
	fs.IntVar(&b.reps, "reps", 3, "runs of each start-up/idle and orphan measurement (median reported)")
	fs.StringVar(&b.dir, "dir", "", "scratch directory (default: a new directory in /dev/shm)")
	fs.DurationVar(&b.timeout, "timeout", 0, "per-run limit (default: 60s + 1s per 4 MiB)")
	only := fs.String("only", "", "run only contestants whose name matches this regexp (for trying things out)")
	out := fs.String("out", "docs/benchmarks.md", "the report")
	png := fs.String("png", "docs/benchmarks.png", "the chart")
	jsonOut := fs.String("json", "", "also write every measurement as JSON here")
	sinkBench := fs.String("sink-bench", "", "output of go test -bench ./pkg/sink/ to append")
	sinkBenchTime := fs.String("sink-benchtime", "1s", "the -benchtime that output was made with")
	extras := fs.Bool("extras", true, "also measure idle services, start-up and orphan reaping")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if b.size, err = numbered.ParseSize(b.sizeText); err != nil {
		fmt.Fprintf(stderr, "runner: --size: %v\n", err)
		return 2
	}
	if b.rotate, err = numbered.ParseSize(*rotate); err != nil {
		fmt.Fprintf(stderr, "runner: --rotate: %v\n", err)
		return 2
	}
	if b.format, err = numbered.NewFormat(b.lineLen); err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return 2
	}
	if b.timeout == 0 {
		b.timeout = 60*time.Second + time.Duration(b.size/(4<<20))*time.Second
	}
	for _, p := range []*string{&b.bin, &b.gen, &b.ptycat, &b.compare} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			fmt.Fprintf(stderr, "runner: %v\n", err)
			return 2
		}
	}
	if b.dir == "" {
		if b.dir, err = os.MkdirTemp("/dev/shm", "supervise-bench."); err != nil {
			fmt.Fprintf(stderr, "runner: %v\n", err)
			return 1
		}
		defer os.RemoveAll(b.dir)
	}
	var filter *regexp.Regexp
	if *only != "" {
		if filter, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(stderr, "runner: --only: %v\n", err)
			return 2
		}
	}

	began := time.Now()
	rep := &report{Bench: b, Began: began, Machine: machine(b)}
	rep.Summaries = b.runRounds(filter)
	if *extras && filter == nil {
		rep.Idle = b.idle()
		rep.Orphans = b.orphans()
	}
	if *sinkBench != "" {
		if data, err := os.ReadFile(*sinkBench); err == nil {
			rep.SinkBench, rep.SinkBenchTime = string(data), *sinkBenchTime
		}
	}
	rep.Took = time.Since(began)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			fmt.Fprintf(stderr, "runner: %v\n", err)
		}
	}
	if err := rep.write(*out, *png); err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s and %s in %v\n", *out, *png, rep.Took.Round(time.Second))
	return 0
}

// runRounds runs every contestant once per round, rotating the order each
// round so no contestant always runs first (or after the slowest).
func (b *bench) runRounds(filter *regexp.Regexp) []*summary {
	var cs []*contestant
	for _, c := range contestants(b) {
		if filter == nil || filter.MatchString(c.Name) || c.Name == c.Ref {
			cs = append(cs, c)
		}
	}
	sums := make([]*summary, len(cs))
	refs := map[string]*contestant{}
	for i, c := range cs {
		sums[i] = &summary{C: c}
		if c.Name == c.Ref {
			refs[c.Name] = c
		}
	}
	for round := 0; round < b.rounds; round++ {
		for k := range cs {
			i := (k + round) % len(cs)
			s := sums[i]
			if s.Err != "" {
				continue // a broken contestant stays broken; do not spend time on it
			}
			// Each contestant is paired with a run of its reference right
			// before it (even rounds) or after it (odd rounds).
			ref := refs[s.C.Ref]
			if s.C.Name == s.C.Ref {
				ref = nil
			}
			var refWall float64
			if ref != nil && round%2 == 0 {
				refWall = b.refWall(ref, round)
			}
			r := b.runOne(s.C, round)
			if ref != nil && round%2 == 1 {
				refWall = b.refWall(ref, round)
			}
			r.RefWallS = refWall
			s.Runs = append(s.Runs, r)
			status := "ok"
			switch {
			case r.Err != "":
				s.Err = r.Err
				status = "FAILED: " + r.Err
			case !r.Intact:
				status = "lines NOT intact: " + r.Check.String()
			}
			fmt.Fprintf(b.progress, "round %d/%d  %-26s wall %6.2fs  cpu %6.2fs  rss %6.1f MiB  %s\n",
				round+1, b.rounds, s.C.Name, r.WallS, r.CPUS, float64(r.PeakRSS)/(1<<20), status)
		}
	}
	byName := map[string]*summary{}
	for _, s := range sums {
		byName[s.C.Name] = s
	}
	for _, s := range sums {
		s.compute(b, byName)
	}
	return sums
}
