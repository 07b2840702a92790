package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/bench/internal/numbered"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSummaryRatiosArePerRound(t *testing.T) {
	b := &bench{size: 1 << 20, lineLen: 199}
	b.format, _ = numbered.NewFormat(199)
	cat := &summary{C: &contestant{Name: refCat, Ref: refCat}, Runs: []result{
		{Round: 0, WallS: 1, Intact: true}, {Round: 1, WallS: 2, Intact: true}, {Round: 2, WallS: 4, Intact: true}}}
	// Twice as fast as cat in every round, although the machine's speed
	// changed between rounds: the ratio must be 2 every time.
	fast := &summary{C: &contestant{Name: "fast", Ref: refCat}, Runs: []result{
		{Round: 0, WallS: 0.5, CPUS: 1, PeakRSS: 3 << 20, Intact: true},
		{Round: 1, WallS: 1, CPUS: 2, PeakRSS: 5 << 20, Intact: true},
		{Round: 2, WallS: 2, CPUS: 3, PeakRSS: 4 << 20, Intact: false, Check: numbered.Result{Torn: 2}}}}
	byName := map[string]*summary{refCat: cat, "fast": fast}
	cat.compute(b, byName)
	fast.compute(b, byName)
	if fast.XRef != 2 || cat.XRef != 1 {
		t.Errorf("XRef fast=%v cat=%v, want 2 and 1", fast.XRef, cat.XRef)
	}
	if fast.WallS != 1 || fast.CPUS != 2 {
		t.Errorf("medians wall=%v cpu=%v, want 1 and 2", fast.WallS, fast.CPUS)
	}
	if fast.PeakRSS != 5<<20 {
		t.Errorf("PeakRSS = %d, want the highest round", fast.PeakRSS)
	}
	if fast.Intact || fast.Worst.Torn != 2 {
		t.Errorf("one damaged round must make the contestant not intact: %+v", fast.Worst)
	}
	thr, _, ok := versus(fast, cat)
	if !ok || thr != 2 {
		t.Errorf("versus = %v, %v; want 2", thr, ok)
	}
	failed := &summary{C: &contestant{Name: "x", Ref: refCat}, Err: "boom"}
	failed.compute(b, byName)
	if _, _, ok := versus(failed, cat); ok {
		t.Error("versus compared a failed contestant")
	}
}

// A run paired with its own reference run is compared with that one, not
// with the reference's row in the round.
func TestPairedRatio(t *testing.T) {
	b := &bench{size: 1 << 20, lineLen: 199}
	b.format, _ = numbered.NewFormat(199)
	cat := &summary{C: &contestant{Name: refCat, Ref: refCat}, Runs: []result{{Round: 0, WallS: 10, Intact: true}}}
	x := &summary{C: &contestant{Name: "x", Ref: refCat}, Runs: []result{{Round: 0, WallS: 2, RefWallS: 1, Intact: true}}}
	y := &summary{C: &contestant{Name: "y", Ref: refCat}, Runs: []result{{Round: 0, WallS: 1, RefWallS: 4, Intact: true}}}
	byName := map[string]*summary{refCat: cat, "x": x, "y": y}
	for _, s := range []*summary{cat, x, y} {
		s.compute(b, byName)
	}
	if x.XRef != 0.5 || y.XRef != 4 {
		t.Errorf("XRef x=%v y=%v, want 0.5 and 4", x.XRef, y.XRef)
	}
	// y is 4× cat and x 0.5× cat: y is 8× x, although y's own wall time is
	// only half of x's.
	if thr, _, ok := versus(y, x); !ok || thr != 8 {
		t.Errorf("versus(y, x) = %v, %v; want 8", thr, ok)
	}
}

func TestStatCPUAndStatus(t *testing.T) {
	// Burn CPU until the tick counters move (10 ms ticks; the machine may
	// be busy, so no fixed amount of wall time is enough).
	var total, sys time.Duration
	var err error
	for deadline := time.Now().Add(10 * time.Second); total == 0 && time.Now().Before(deadline); {
		for x := 0; x < 1e6; x++ {
			_ = x * x
		}
		if total, sys, err = statCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if total <= 0 || sys > total {
		t.Errorf("statCPU = %v total, %v sys", total, sys)
	}
	if v, ok := statusField("/proc/self/status", "VmHWM:"); !ok || v < 1<<20 {
		t.Errorf("VmHWM = %d, %v", v, ok)
	}
	if _, ok := field([]byte("VmRSS:\t  12 kB\n"), "VmHWM:"); ok {
		t.Error("field found a key that is not there")
	}
	if v, _ := field([]byte("Name:\tx\nRssAnon:\t  12 kB\n"), "RssAnon:"); v != 12<<10 {
		t.Errorf("field = %d, want %d", v, 12<<10)
	}
}

// A process measured by wait is reaped, its CPU read while it was a zombie.
func TestSpawnWait(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	sh := "/bin/sh"
	p, err := spawn([]string{sh, "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3"}, t.TempDir(),
		[3]*os.File{devnull, devnull, devnull}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.wait()
	if err != nil {
		t.Fatal(err)
	}
	if e.Status.ExitStatus() != 3 || e.err() == nil {
		t.Errorf("exit status %d, err %v; want 3 and an error", e.Status.ExitStatus(), e.err())
	}
	if e.CPU <= 0 || e.PeakRSS <= 0 {
		t.Errorf("CPU %v, peak RSS %d: want both measured", e.CPU, e.PeakRSS)
	}
	if err := syscall.Kill(p.pid, 0); err != syscall.ESRCH {
		t.Errorf("kill(pid, 0) = %v after wait, want ESRCH (reaped)", err)
	}
}

func TestReadStamp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stamp")
	if _, _, err := readStamp(path); err == nil {
		t.Error("a missing stamp passed")
	}
	os.WriteFile(path, []byte("1000 3000\n"), 0o644)
	s, e, err := readStamp(path)
	if err != nil || e.Sub(s) != 2000*time.Nanosecond {
		t.Errorf("readStamp = %v, %v, %v", s, e, err)
	}
	os.WriteFile(path, []byte("1000\n"), 0o644)
	if _, _, err := readStamp(path); err == nil {
		t.Error("a stamp with one time passed")
	}
}

func TestCountUncompressed(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "gen.log")
	for _, name := range []string{"gen.log", "gen.log.1", "gen.log.2.gz", "gen.log.3.zst", "gen.log.4", "gen.log.5.gz.tmp"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
	if n := countUncompressed(live); n != 2 {
		t.Errorf("countUncompressed = %d, want 2 (.1 and .4)", n)
	}
	if !hasTemp(dir) {
		t.Error("hasTemp missed gen.log.5.gz.tmp")
	}
}

func TestConfigs(t *testing.T) {
	b := &bench{gen: "/x/gen", sizeText: "400M", lineLen: 199, writeText: "8K", rotate: 10 << 20, tools: map[string]string{}}
	byName := map[string]*contestant{}
	for _, c := range contestants(b) {
		byName[c.Name] = c
	}
	plain := b.superviseConf(byName["supervise"], "/d")
	for _, want := range []string{"main = true", "rotate_size = 10485760", "keep = 1000", "compress = none", "disk_min_free = 0"} {
		if !strings.Contains(plain, want+"\n") {
			t.Errorf("plain config lacks %q:\n%s", want, plain)
		}
	}
	gz := b.superviseConf(byName["supervise gzip"], "/d")
	if strings.Contains(gz, "main = true") || !strings.Contains(gz, "compress = gzip\n") {
		t.Errorf("gzip config must not have main (supervise abandons compression at exit):\n%s", gz)
	}
	sd := b.supervisordConf(byName["supervisord"], "/d")
	if !strings.Contains(sd, "stdout_logfile_maxbytes=10485760\n") || !strings.Contains(sd, "command=/x/gen --size 400M") {
		t.Errorf("supervisord config:\n%s", sd)
	}
	if got := b.command(byName["s6-log t"]); !strings.HasPrefix(got, "gen --size 400M") || !strings.Contains(got, "| s6-log -b n1000 t s10485760 DIR/log") {
		t.Errorf("s6-log t command = %q", got)
	}
	for _, c := range contestants(b) {
		if _, ok := byName[c.Ref]; !ok {
			t.Errorf("%s: reference %q is not a contestant", c.Name, c.Ref)
		}
	}
}

func TestSlugAndSizes(t *testing.T) {
	if got := slug("gen | cat > File"); got != "gen---cat---file" {
		t.Errorf("slug = %q", got)
	}
	for n, want := range map[int64]string{10 << 20: "10M", 2 << 30: "2G", 8 << 10: "8K", 1000: "1000"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}
