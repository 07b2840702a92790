// Command check proves that a log written from gen's output holds every line
// exactly once, whole and in order, across the live file and its archives
// (.gz and .zst decompressed). It exits 0 when the log is intact, 1 when it
// is not, 2 on usage errors.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/supervise/supervise/bench/internal/numbered"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: check [flags] PATH   (PATH: the live file, or the directory for --layout tai64)")
		fs.PrintDefaults()
	}
	layout := fs.String("layout", "numbered", "single, numbered (PATH, PATH.1[.gz|.zst], ...) or tai64 (DIR/@*.s + DIR/current)")
	size := fs.String("size", "400M", "the --size given to gen")
	lineLen := fs.Int("line", 199, "the --line given to gen")
	tqdm := fs.Int("tqdm", 0, "the --tqdm given to gen")
	prefixed := fs.Bool("prefixed", false, "every line carries a timestamp prefix ending in a space")
	finalForm := fs.Bool("final-form", false, "judge each line as a terminal shows it (after the last \\r; CRLF allowed)")
	asJSON := fs.Bool("json", false, "print the counts as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	l, err := numbered.ParseLayout(*layout)
	if err != nil {
		fmt.Fprintf(stderr, "check: %v\n", err)
		return 2
	}
	total, err := numbered.ParseSize(*size)
	if err != nil {
		fmt.Fprintf(stderr, "check: --size: %v\n", err)
		return 2
	}
	f, err := numbered.NewFormat(*lineLen)
	if err != nil {
		fmt.Fprintf(stderr, "check: %v\n", err)
		return 2
	}
	want := numbered.NewStream(f, *tqdm).Lines(total)
	res, err := numbered.CheckLog(f, want, numbered.Options{Prefixed: *prefixed, FinalForm: *finalForm}, l, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "check: %v\n", err)
		return 1
	}
	if *asJSON {
		b, _ := json.Marshal(struct {
			Want   uint64 `json:"want"`
			Intact bool   `json:"intact"`
			numbered.Result
		}{want, res.Intact(want), res})
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		verdict := "intact"
		if !res.Intact(want) {
			verdict = "NOT intact"
		}
		fmt.Fprintf(stdout, "%s: want=%d %s\n", verdict, want, res)
	}
	if !res.Intact(want) {
		return 1
	}
	return 0
}
