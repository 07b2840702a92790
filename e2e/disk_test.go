//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLogDiskFull puts the log directory on a 4 MiB tmpfs (a full log
// volume, -v /host/logs:/var/log) and fills it past disk_min_free (1M) while
// Jupyter logs numbered lines: Jupyter and the training run must go on
// unhindered, the lost bytes are counted, and once space returns one
// `supervise: dropped N bytes (disk low)` line marks the gap, followed by
// every later line (SPEC §4.4).
func TestLogDiskFull(t *testing.T) {
	b := startBoxWith(t, map[string]string{
		"DISK_MIN_FREE":    "1M",
		"TRAIN_STEPS":      "100000000",
		"TRAIN_STEP_DELAY": "0.02",
	}, func(b *box) {
		mkdir(t, b.logDir, 0o755)
		if out, err := run(t, 30*time.Second, "mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", b.logDir); err != nil {
			t.Skipf("cannot mount a tmpfs for the logs: %v %s", err, out)
		}
		// Lazy: supervise may still hold files if the test dies early; the
		// box's cleanup (registered before this) then kills it.
		t.Cleanup(func() { _ = unix.Unmount(b.logDir, unix.MNT_DETACH) })
	})
	b.waitHealthy(t, 90*time.Second)
	b.waitJupyter(t, 60*time.Second)

	// Leave 512K free: below disk_min_free, with nothing to delete (no archives).
	var st unix.Statfs_t
	if err := unix.Statfs(b.logDir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	filler := filepath.Join(b.logDir, "filler")
	if err := os.WriteFile(filler, make([]byte, free-512<<10), 0o600); err != nil {
		t.Fatalf("filling the log filesystem: %v", err)
	}
	errPath := filepath.Join(b.dir, "supervise.stderr")
	waitFor(t, 15*time.Second, "a disk_low event", func() (bool, string) {
		data, _ := os.ReadFile(errPath)
		return regexp.MustCompile(`(?m)^supervise: \S+ disk_low\b`).Match(data), b.tail("supervise.stderr", 3)
	})

	// Jupyter keeps serving (and logging into the void) at full speed.
	const low, after = 500, 100
	t0 := time.Now()
	request := func(i int) {
		t.Helper()
		code, _, err := b.jupyter("GET", fmt.Sprintf("/e2e-line/%06d", i), nil)
		if err != nil || code != 404 {
			t.Fatalf("request %d with the log disk full: %d %v", i, code, err)
		}
	}
	for i := 1; i <= low; i++ {
		request(i)
	}
	t.Logf("%d requests with the log disk full: %v", low, time.Since(t0).Round(time.Millisecond))
	var dropped int64
	waitFor(t, 15*time.Second, "jupyter's dropped_bytes", func() (bool, string) {
		s := b.status(t)["jupyter"]
		dropped = s.DroppedBytes
		return dropped > 0, fmt.Sprintf("%+v", s)
	})
	if s := b.status(t)["train"]; s.State != "running" {
		t.Errorf("train with the log disk full: %+v", s)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// Writing resumes at the guard's next check; lines sent before then may
	// still be dropped, so send the checked ones once the guard has noticed.
	waitFor(t, 15*time.Second, "the marker line", func() (bool, string) {
		request(low + 1)
		return strings.Contains(b.readLog(t, "jupyter"), "supervise: dropped "), b.tail("log/jupyter.log", 2)
	})
	for i := low + 2; i <= low+after; i++ {
		request(i)
	}
	last := fmt.Sprintf("/e2e-line/%06d", low+after)
	waitFor(t, 10*time.Second, "the last line after the disk freed up", func() (bool, string) {
		return strings.Contains(b.readLog(t, "jupyter"), last), b.tail("log/jupyter.log", 2)
	})

	log := b.readLog(t, "jupyter")
	m := regexp.MustCompile(`supervise: dropped (\d+) bytes \(disk low\)`).FindAllStringSubmatchIndex(log, -1)
	if len(m) != 1 {
		t.Fatalf("%d marker lines, want 1:\n%s", len(m), b.tail("log/jupyter.log", 10))
	}
	n, _ := strconv.ParseInt(log[m[0][2]:m[0][3]], 10, 64)
	total := b.status(t)["jupyter"].DroppedBytes
	if n <= 0 || n != total {
		t.Errorf("marker says %d bytes dropped, status dropped_bytes %d", n, total)
	}
	// Every line after the marker: the numbers from low+2 on, in order.
	var got []int
	for _, mm := range regexp.MustCompile(`/e2e-line/(\d{6})`).FindAllStringSubmatch(log[m[0][1]:], -1) {
		v, _ := strconv.Atoi(mm[1])
		if v >= low+2 {
			got = append(got, v-low-1)
		}
	}
	if err := checkSequence(got, after-1); err != nil {
		t.Errorf("lines after the disk freed up: %v", err)
	}
	b.signal(t, syscall.SIGTERM)
	if code, _ := b.wait(t, 60*time.Second); code != 0 {
		t.Errorf("supervise exited %d after SIGTERM, want 0", code)
	}
}
