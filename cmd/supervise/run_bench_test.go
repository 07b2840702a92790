package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIdleRSS starts the real binary with 3 and with 100 idle services
// and reports its resident set once all have started and the logs are open
// (VmRSS from /proc) and its peak so far (VmHWM): the memory supervise
// costs a container. On Linux most of it is the mapped binary itself.
func BenchmarkIdleRSS(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("needs the go tool to build supervise")
	}
	bin := superviseBinary(b)
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			var rss, hwm, peak int64
			for i := 0; i < b.N; i++ {
				r, h := idleRSS(b, bin, n)
				rss += r
				hwm += h
				peak = max(peak, h)
			}
			b.ReportMetric(float64(rss)/float64(b.N), "KiB-RSS")
			b.ReportMetric(float64(hwm)/float64(b.N), "KiB-HWM")
			b.ReportMetric(float64(peak), "KiB-HWM-max")
		})
	}
}

// idleRSS runs supervise with n idle services (the last one writes a
// line) and returns its VmRSS and VmHWM in KiB.
func idleRSS(b *testing.B, bin string, n int) (rss, hwm int64) {
	dir := b.TempDir()
	var conf strings.Builder
	fmt.Fprintf(&conf, "[supervise]\ncontrol = %[1]s/sock\nlog_dir = %[1]s/log\n", dir)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&conf, "\n[service s%d]\ncommand = sleep 1000\n", i)
	}
	fmt.Fprintf(&conf, "\n[service last]\ncommand = sh -c 'echo hello; exec sleep 1000'\n")
	path := filepath.Join(dir, "services.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path)
	errp, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(errp)
	started := 0
	for started < n && sc.Scan() {
		if strings.Contains(sc.Text(), " started ") {
			started++
		}
	}
	if started < n {
		b.Fatalf("only %d of %d services started", started, n)
	}
	rss, hwm = procStatusKiB(b, cmd.Process.Pid, "VmRSS:"), procStatusKiB(b, cmd.Process.Pid, "VmHWM:")
	_ = cmd.Process.Signal(syscall.SIGTERM)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	return rss, hwm
}

// procStatusKiB reads one "Key:  N kB" line of /proc/PID/status.
func procStatusKiB(b *testing.B, pid int, key string) int64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
