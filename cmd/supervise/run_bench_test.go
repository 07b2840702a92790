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

// BenchmarkIdleRSS starts the real binary with three idle services and
// reports its resident set (VmRSS from /proc) once all three have started
// and the logs are open: the memory supervise costs a container.
func BenchmarkIdleRSS(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("needs the go tool to build supervise")
	}
	bin := superviseBinary(b)
	var total, peak int64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		conf := fmt.Sprintf(`[supervise]
control = %[1]s/sock
log_dir = %[1]s/log

[service a]
command = sleep 1000

[service b]
command = sleep 1000

[service c]
command = sh -c 'echo hello; exec sleep 1000'
`, dir)
		path := filepath.Join(dir, "services.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
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
		for started < 3 && sc.Scan() {
			if strings.Contains(sc.Text(), " started ") {
				started++
			}
		}
		if started < 3 {
			b.Fatalf("only %d services started", started)
		}
		kb := vmRSS(b, cmd.Process.Pid)
		total += kb
		peak = max(peak, kb)
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
	}
	b.ReportMetric(float64(total)/float64(b.N), "KiB-RSS")
	b.ReportMetric(float64(peak), "KiB-RSS-max")
}

func vmRSS(b *testing.B, pid int) int64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
