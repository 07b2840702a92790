//go:build chaos

package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mrand "math/rand/v2"

	"github.com/supervise/supervise/internal/linecheck"
)

// The test binary is also the services' program: supervise runs it with
// CHAOS_HELPER set, and TestMain turns into that helper before any test
// machinery starts. The test process itself runs no reaper, so os/exec's
// Wait is fine here; the helpers never wait for anything.

var (
	binFlag  = flag.String("bin", os.Getenv("SUPERVISE_BIN"), "supervise binary under test")
	outFlag  = flag.String("out", "", "directory for report.jsonl, soak.csv and failed scenarios' logs")
	soakFlag = flag.Int("soak", 0, "minutes of mixed load for TestSoak (0: skip it)")
)

var (
	bin      string // absolute path of the binary under test
	selfExe  string // this test binary, the services' program
	outDir   string
	repoRoot string
)

func TestMain(m *testing.M) {
	if h := os.Getenv("CHAOS_HELPER"); h != "" {
		os.Exit(helper(h, os.Args[1:]))
	}
	flag.Parse()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		fmt.Println("chaos: SKIP: needs root on Linux (PID and mount namespaces, tmpfs, cgroups)")
		os.Exit(0)
	}
	if *binFlag == "" {
		fmt.Fprintln(os.Stderr, "chaos: no binary: pass -bin PATH or set SUPERVISE_BIN")
		os.Exit(2)
	}
	var err error
	if bin, err = filepath.Abs(*binFlag); err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err == nil {
		selfExe, err = os.Executable()
	}
	if err == nil {
		repoRoot, err = os.Getwd() // go test -c binaries run from wherever run.sh is: the repo root
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		repoRoot = filepath.Dir(repoRoot) // go test ./chaos runs in chaos/
	}
	outDir = *outFlag
	if outDir == "" {
		outDir = filepath.Join(repoRoot, "var", "chaos")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// helper runs one helper program and returns its exit code.
func helper(name string, args []string) int {
	var err error
	switch name {
	case "gen":
		err = genMain(args)
	case "crash":
		err = crashMain(args)
	case "bomb":
		err = bombMain(args)
	default:
		err = fmt.Errorf("unknown helper %q", name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos helper %s: %v\n", name, err)
		return 111
	}
	return 0
}

// genMain writes numbered lines (internal/linecheck) at a steady rate:
//
//	gen NAME COUNT SIZE LINES_PER_SEC DONEFILE
//
// Each run picks streams of its own, NAME_ID_o on stdout and NAME_ID_e on
// stderr, so that a restart never reuses a number; COUNT lines each, SIZE
// bytes each (0: random sizes from 40 to 400), alternating. When all are
// written it appends "STREAM COUNT" lines to DONEFILE and then idles, so
// the restart policy never matters. It ignores the signals a storm
// forwards to it.
func genMain(args []string) error {
	if len(args) != 5 {
		return fmt.Errorf("usage: gen NAME COUNT SIZE LINES_PER_SEC DONEFILE")
	}
	count, err1 := strconv.ParseUint(args[1], 10, 64)
	size, err2 := strconv.Atoi(args[2])
	rate, err3 := strconv.Atoi(args[3])
	if err1 != nil || err2 != nil || err3 != nil || rate <= 0 {
		return fmt.Errorf("bad arguments %q", args)
	}
	stream, err := runStream(args[0])
	if err != nil {
		return err
	}
	forwarded := make(chan os.Signal, 64)
	signal.Notify(forwarded, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGWINCH, syscall.SIGUSR1)
	go func() {
		for range forwarded {
		}
	}()
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	outs := []struct {
		f    *os.File
		name string
	}{{os.Stdout, stream + "o"}, {os.Stderr, stream + "e"}}
	// Lines go out in ticks of 10 ms, each write one whole line, so a
	// reader sees both streams interleave at random points.
	perTick := max(1, rate/100)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var buf []byte
	for seq := uint64(0); seq < count; {
		<-tick.C
		for i := 0; i < perTick && seq < count; i++ {
			for _, o := range outs {
				sz := size
				if sz == 0 {
					sz = 40 + rng.IntN(361)
				}
				buf = linecheck.Line(buf[:0], o.name, seq, sz)
				if err := writeAll(o.f, buf); err != nil {
					return err
				}
			}
			seq++
		}
	}
	if err := appendManifest(args[4], fmt.Appendf(nil, "%s %d\n%s %d\n", outs[0].name, count, outs[1].name, count)); err != nil {
		return err
	}
	select {}
}

// runStream is NAME_ID_ with a random ID for this run.
func runStream(name string) (string, error) {
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	return name + "_" + hex.EncodeToString(id[:]) + "_", nil
}

// appendManifest appends in one O_APPEND write, so concurrent runs never
// interleave.
func appendManifest(path string, b []byte) error {
	mf, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := mf.Write(b); err != nil {
		mf.Close()
		return err
	}
	return mf.Close()
}

// crashMain is one run of a crash-looping service:
//
//	crash ID MANIFEST
//
// It writes a random number of numbered lines under a stream name of its
// own (so restarts never reuse numbers), appends "STREAM COUNT" for each
// stream to MANIFEST once they are written, sleeps a random while and dies:
// a random exit code, or killed by SIGKILL or SIGTERM.
func crashMain(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: crash ID MANIFEST")
	}
	base, err := runStream("c" + args[0])
	if err != nil {
		return err
	}
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	n := uint64(1 + rng.IntN(60))
	var buf []byte
	for seq := uint64(0); seq < n; seq++ {
		for _, o := range []struct {
			f   *os.File
			sfx string
		}{{os.Stdout, "o"}, {os.Stderr, "e"}} {
			buf = linecheck.Line(buf[:0], base+o.sfx, seq, 40+rng.IntN(300))
			if err := writeAll(o.f, buf); err != nil {
				return err
			}
		}
	}
	if err := appendManifest(args[1], fmt.Appendf(nil, "%so %d\n%se %d\n", base, n, base, n)); err != nil {
		return err
	}
	time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
	switch rng.IntN(4) {
	case 0:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case 1:
		// TERM, not SEGV: Go would print a traceback into the log.
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Second)
	}
	os.Exit(1 + rng.IntN(255))
	return nil
}

func writeAll(f *os.File, b []byte) error {
	for len(b) > 0 {
		n, err := f.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// bombMain is a fork bomb of short children that survives its own failed
// forks (a shell bomb dies at its first "Cannot fork"):
//
//	bomb WORKERS
//
// WORKERS goroutines start `sh -c 'sleep 0.3 &'` as fast as they can; each
// sh exits at once, so every sleep is an orphan that goes to supervise.
// EAGAIN at the pids limit is counted and retried. It reaps its own direct
// children (it is not supervise).
func bombMain(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: bomb WORKERS")
	}
	workers, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	go func() {
		for {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(-1, &ws, 0, nil); err == syscall.ECHILD {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	attr := &syscall.ProcAttr{Env: []string{"PATH=/usr/bin:/bin"}}
	var failed, made atomicCounter
	for i := 0; i < workers; i++ {
		go func() {
			for {
				if _, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "sleep 0.3 &"}, attr); err != nil {
					failed.add()
					time.Sleep(time.Millisecond)
					continue
				}
				made.add()
			}
		}()
	}
	for range time.Tick(time.Second) {
		fmt.Printf("bomb: %d forks, %d failed\n", made.load(), failed.load())
	}
	return nil
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) add()        { c.n.Add(1) }
func (c *atomicCounter) load() int64 { return c.n.Load() }
