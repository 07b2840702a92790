//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inBox runs a command in the box's mount namespace (mounts made there do
// not propagate from ours once unshare has copied the table).
func (b *box) inBox(args ...string) string {
	b.t.Helper()
	return run(b.t, "nsenter", append([]string{"-t", fmt.Sprint(b.pid1), "-m", "--"}, args...)...)
}

const lineSize = 150 // fixed, so that missing lines convert to bytes

// TestDiskFull: logs on a 4 MiB tmpfs that another process fills with dd
// mid-run and then frees. Every line must be in the log exactly once or
// dropped, and the dropped bytes must equal the missing lines' bytes, the
// marker lines' sum and `ctl status` dropped_bytes.
func TestDiskFull(t *testing.T) {
	b := newBox(t)
	fsDir := filepath.Join(b.dir, "fs")
	if err := os.MkdirAll(fsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", fsDir)
	b.logDir = filepath.Join(fsDir, "log")
	names := []string{"d1", "d2"}
	var svcs []service
	for _, n := range names {
		// 2 streams x 3000 lines x 150 B = 900 KB each, over 10 s.
		svcs = append(svcs, b.genService(n, 3000, lineSize, 300))
	}
	b.start(b.config(nil, svcs))
	base := b.baseline()

	time.Sleep(2 * time.Second)
	filler := filepath.Join(fsDir, "filler")
	// dd stops at ENOSPC with an error: that is the point.
	out, _ := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").CombinedOutput()
	t.Logf("dd: %s", strings.TrimSpace(string(out)))
	st, _ := os.Stat(filler)
	time.Sleep(3 * time.Second)
	low := b.status()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	expect := b.waitDone(60*time.Second, names...)
	// After space returns, each affected log gets its marker: wait until
	// the markers account for every dropped byte.
	var c logCheck
	var st2 map[string]svcStatus
	waitFor(t, 20*time.Second, "drop markers for every dropped byte", func() (bool, string) {
		st2 = b.status()
		c = b.checkLogs(expect, names...)
		d := droppedBytes(st2, names...)
		return d > 0 && c.MarkerBytes == d, fmt.Sprintf("dropped_bytes %d, markers %d", d, c.MarkerBytes)
	})
	p := b.healthy(base, 0, 2, 100)
	b.stop()
	c = b.checkLogs(expect, names...)
	dropped := droppedBytes(st2, names...)
	report(t, map[string]any{
		"injected": fmt.Sprintf("dd filled the 4 MiB tmpfs (%d bytes) for 3 s", st.Size()), "check": c,
		"dropped_bytes_status": dropped, "dropped_bytes_during_fill": droppedBytes(low, names...),
		"missing_bytes": c.Missing * lineSize,
		"fds_before":    base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if c.Torn+c.Duplicated+c.OutOfOrder > 0 {
		t.Errorf("lines torn, duplicated or reordered: %v", c.Detail)
	}
	if int64(c.Missing*lineSize) != dropped || c.MarkerBytes != dropped {
		t.Errorf("accounting: %d lines missing (%d bytes), dropped_bytes %d, markers %d", c.Missing, c.Missing*lineSize, dropped, c.MarkerBytes)
	}
	if dropped == 0 {
		t.Errorf("the fill dropped nothing: the scenario did not bite")
	}
}

// TestLogDirReadOnly: the log directory and its files become immutable
// (chattr +i: root ignores chmod, and the kernel refuses to remount a
// filesystem read-only while files on it are open for writing, so this is
// how root's writes, renames and creates are made to fail with EPERM) while
// services write and logs rotate by size; then writable again.
func TestLogDirReadOnly(t *testing.T) {
	b := newBox(t)
	// Immutable flags need ext4, xfs, btrfs...; not tmpfs or overlayfs.
	probe := filepath.Join(b.dir, "chattr-probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", probe).CombinedOutput(); err != nil {
		t.Skipf("SKIP: chattr +i does not work under %s (%v: %s); the scenario needs a filesystem with immutable flags", b.dir, err, out)
	}
	run(t, "chattr", "-i", probe)
	names := []string{"r1", "r2"}
	var svcs []service
	for _, n := range names {
		svcs = append(svcs, b.genService(n, 3000, lineSize, 300))
	}
	b.start(b.config([][2]string{{"rotate_size", "64K"}}, svcs))
	base := b.baseline()
	time.Sleep(2 * time.Second)
	immutable := func(flag string) {
		files, _ := filepath.Glob(filepath.Join(b.logDir, "*"))
		run(t, "chattr", append([]string{flag, b.logDir}, files...)...)
	}
	immutable("+i")
	t.Cleanup(func() { _ = exec.Command("chattr", "-R", "-i", b.dir).Run() })
	time.Sleep(2 * time.Second)
	r := b.ctl("rotate")
	t.Logf("ctl rotate on a read-only log dir: exit %d %s", r.code, strings.TrimSpace(r.stderr))
	ro := b.status()
	time.Sleep(2 * time.Second)
	immutable("-i")
	expect := b.waitDone(60*time.Second, names...)
	var c logCheck
	var st map[string]svcStatus
	waitFor(t, 20*time.Second, "drop markers for every dropped byte", func() (bool, string) {
		st = b.status()
		c = b.checkLogs(expect, names...)
		d := droppedBytes(st, names...)
		return c.MarkerBytes == d, fmt.Sprintf("dropped_bytes %d, markers %d", d, c.MarkerBytes)
	})
	p := b.healthy(base, 0, 2, 100)
	b.stop()
	c = b.checkLogs(expect, names...)
	dropped := droppedBytes(st, names...)
	var rot int64
	for _, n := range names {
		rot += st[n].Rotations
	}
	report(t, map[string]any{
		"injected": "chattr +i on log_dir and its files for 4 s, size rotation every 64 KiB, one ctl rotate", "check": c,
		"dropped_bytes_status": dropped, "dropped_bytes_while_ro": droppedBytes(ro, names...), "missing_bytes": c.Missing * lineSize,
		"rotations": rot, "ctl_rotate_exit": r.code,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if c.Torn+c.Duplicated+c.OutOfOrder > 0 {
		t.Errorf("lines torn, duplicated or reordered: %v", c.Detail)
	}
	if int64(c.Missing*lineSize) != dropped || c.MarkerBytes != dropped {
		t.Errorf("accounting: %d lines missing (%d bytes), dropped_bytes %d, markers %d", c.Missing, c.Missing*lineSize, dropped, c.MarkerBytes)
	}
}

// TestLogDirDeleted: the whole log directory is removed while services
// write. What was in it is gone with it; after `ctl rotate` (and at the
// latest after a size rotation) the logs must be back on disk, and every
// line written from then on must be there exactly once.
func TestLogDirDeleted(t *testing.T) {
	b := newBox(t)
	names := []string{"x1", "x2"}
	var svcs []service
	for _, n := range names {
		svcs = append(svcs, b.genService(n, 3000, lineSize, 300))
	}
	b.start(b.config([][2]string{{"rotate_size", "256K"}}, svcs))
	base := b.baseline()
	time.Sleep(2 * time.Second)
	if err := os.RemoveAll(b.logDir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	r := b.ctl("rotate")
	t.Logf("ctl rotate after the log dir was deleted: exit %d %s", r.code, strings.TrimSpace(r.stderr))
	expect := b.waitDone(60*time.Second, names...)
	st := b.status()
	p := b.healthy(base, 0, 2, 100)
	b.stop()
	var back []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(b.logDir, n+".log")); err == nil {
			back = append(back, n)
		}
	}
	c := logCheck{}
	if _, err := os.Stat(b.logDir); err == nil {
		c = b.checkLogs(expect, names...)
	}
	report(t, map[string]any{
		"injected": "rm -rf log_dir 2 s into the run, then ctl rotate", "check": c, "ctl_rotate_exit": r.code,
		"logs_back_on_disk": back, "dropped_bytes_status": droppedBytes(st, names...),
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if len(back) != len(names) {
		t.Errorf("after the log dir was deleted and ctl rotate: logs back on disk for %v of %v (ctl rotate exit %d: %s)", back, names, r.code, r.stderr)
		return
	}
	if c.Torn+c.Duplicated+c.OutOfOrder > 0 {
		t.Errorf("lines torn, duplicated or reordered: %v", c.Detail)
	}
	// The lines written after the rotation must all be there: the highest
	// number of each stream was written last.
	if c.Lines == 0 {
		t.Errorf("no line reached the recreated logs")
	}
}
