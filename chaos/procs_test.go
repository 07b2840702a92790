//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// short or long: the default run fits CI; SOAK=1 runs the long variants.
func dur(short, long time.Duration) time.Duration {
	if *soakFlag > 0 {
		return long
	}
	return short
}

// TestCrashLoops: 50 services that write a random number of numbered
// lines and die at random (exit codes and signals), restarted with a short
// backoff, for a while. Every line of every run must be in its log.
func TestCrashLoops(t *testing.T) {
	b := newBox(t)
	manifest := filepath.Join(b.dir, "crash.manifest")
	var svcs []service
	var names []string
	for i := 0; i < 50; i++ {
		n := fmt.Sprintf("c%02d", i)
		names = append(names, n)
		svcs = append(svcs, service{name: n, keys: [][2]string{
			{"command", helperCmd(fmt.Sprintf("%02d", i), manifest)},
			{"env", "CHAOS_HELPER=crash"},
			{"restart", "always"},
			{"start_secs", "1s"},
			{"backoff", "100ms"},
			{"backoff_max", "1s"},
			{"rotate_size", "16K"}, // rotations mid-crash too
			{"autostart", "false"}, // baseline first, with nothing running
		}})
	}
	b.start(b.config(nil, svcs))
	base := b.baseline()
	// Exit 1 is expected: most crashers die within start_secs, which
	// `ctl start` reports as a failed start.
	if r := b.ctl("start", "all"); r.code != 0 && r.code != 1 {
		t.Fatalf("ctl start all: exit %d: %s", r.code, r.stderr)
	}
	load := dur(30*time.Second, 5*time.Minute)
	time.Sleep(load)
	st := b.status()
	restarts := 0
	for _, n := range names {
		restarts += st[n].Restarts
	}
	if r := b.ctl("stop", "all"); r.code != 0 {
		t.Errorf("ctl stop all: exit %d: %s", r.code, r.stderr)
	}
	p := b.healthy(base, 0, 2, 150)
	b.stop()
	expect := map[string]uint64{}
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	parseCounts(data, expect)
	// The crash helper's streams are cNN_ID_o / cNN_ID_e.
	c := b.checkLogs(expect, names...)
	report(t, map[string]any{
		"injected": fmt.Sprintf("50 services crashing at random (exit 1-255, SIGKILL, SIGTERM) for %v", load),
		"restarts": restarts, "runs_announced": len(expect) / 2, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if !c.ok() {
		t.Errorf("log check: %v", c.Detail)
	}
	if restarts < 100 {
		t.Errorf("only %d restarts in %v: the loop did not loop", restarts, load)
	}
}

// TestForkBomb: a service that is a fork bomb (every process forks two and
// exits, so the population sits at the limit and orphans stream to PID 1),
// held by a pids cgroup, then stopped. Nothing of it may survive, and no
// zombie may be left.
func TestForkBomb(t *testing.T) {
	cg := "/sys/fs/cgroup/pids"
	if _, err := os.Stat(filepath.Join(cg, "cgroup.procs")); err != nil {
		cg = "/sys/fs/cgroup" // cgroup v2
	}
	cg = filepath.Join(cg, fmt.Sprintf("supervise-chaos-%d", os.Getpid()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("SKIP: cannot create a pids cgroup (%v); the bomb needs a bound", err)
	}
	t.Cleanup(func() { killCgroup(t, cg) })
	if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte("100"), 0o644); err != nil {
		t.Skipf("SKIP: pids.max not writable: %v", err)
	}
	b := newBox(t)
	bomb := service{name: "bomb", keys: [][2]string{
		// Join the cgroup first, then become the bomb.
		{"command", fmt.Sprintf(`sh -c 'echo 0 > %s/cgroup.procs && exec %s 8'`, cg, selfExe)},
		{"env", "CHAOS_HELPER=bomb"},
		{"restart", "never"},
		{"autostart", "false"}, // started after the counter's baseline
		{"stop_timeout", "2s"},
	}}
	gen := b.genService("g1", 2000, lineSize, 200)
	b.start(b.config(nil, []service{bomb, gen}))
	base := b.baseline()
	orphans0, _ := b.metric("supervise_orphans_reaped_total")
	if r := b.ctl("start", "bomb"); r.code != 0 {
		t.Fatalf("ctl start bomb: exit %d: %s", r.code, r.stderr)
	}
	load := dur(10*time.Second, 60*time.Second)
	time.Sleep(load)
	events, _ := os.ReadFile(filepath.Join(cg, "pids.events"))
	current, _ := os.ReadFile(filepath.Join(cg, "pids.current"))
	t0 := time.Now()
	r := b.ctl("stop", "bomb")
	stopTook := time.Since(t0)
	if r.code != 0 {
		t.Errorf("ctl stop bomb: exit %d: %s", r.code, r.stderr)
	}
	waitFor(t, 20*time.Second, "the bomb's cgroup to empty", func() (bool, string) {
		cur, _ := os.ReadFile(filepath.Join(cg, "pids.current"))
		return strings.TrimSpace(string(cur)) == "0", "pids.current " + strings.TrimSpace(string(cur))
	})
	orphans1, _ := b.metric("supervise_orphans_reaped_total")
	expect := b.waitDone(60*time.Second, "g1")
	p := b.healthy(base, 0, 2, 150)
	b.stop()
	c := b.checkLogs(expect, "g1")
	report(t, map[string]any{
		"injected":             fmt.Sprintf("fork bomb: 8 threads forking sh -c 'sleep 0.3 &' (each sleep an orphan) in a pids cgroup (pids.max 100) for %v", load),
		"pids_current_at_stop": strings.TrimSpace(string(current)), "pids_events": strings.TrimSpace(string(events)),
		"orphans_reaped": orphans1 - orphans0, "ctl_stop_seconds": stopTook.Seconds(), "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if !c.ok() {
		t.Errorf("log check of a service beside the bomb: %v", c.Detail)
	}
	if orphans1-orphans0 < 1000 {
		t.Errorf("only %v orphans reaped: the bomb did not go off", orphans1-orphans0)
	}
}

// killCgroup SIGKILLs whatever is left in a cgroup and removes it.
func killCgroup(t *testing.T, cg string) {
	for i := 0; i < 50; i++ {
		data, _ := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
		pids := strings.Fields(string(data))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := os.Remove(cg); err != nil {
		t.Logf("remove cgroup %s: %v", cg, err)
	}
}

// TestOrphans: a service double-forks 10,000 times; every grandchild is
// re-parented to supervise, which must reap them all.
func TestOrphans(t *testing.T) {
	const n = 10000
	b := newBox(t)
	orph := service{name: "orphans", keys: [][2]string{
		{"command", fmt.Sprintf(`sh -c 'i=0; while [ $i -lt %d ]; do ( : & ); i=$((i+1)); done; echo made %d'`, n, n)},
		{"restart", "never"},
		{"autostart", "false"}, // started after the counter's baseline
	}}
	gen := b.genService("g1", 2000, lineSize, 200)
	b.start(b.config(nil, []service{orph, gen}))
	base := b.baseline()
	orphans0, _ := b.metric("supervise_orphans_reaped_total")
	t0 := time.Now()
	if r := b.ctl("start", "orphans"); r.code != 0 {
		t.Fatalf("ctl start orphans: exit %d: %s", r.code, r.stderr)
	}
	waitFor(t, 3*time.Minute, "the orphan maker to finish", func() (bool, string) {
		st := b.status()["orphans"]
		return st.State == "exited", "state " + st.State
	})
	took := time.Since(t0)
	// Every orphan must be reaped: none may stay a zombie (healthy checks
	// that), and the reaper's counter must show them.
	var orphans float64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		o, err := b.metric("supervise_orphans_reaped_total")
		if orphans = o - orphans0; err == nil && orphans >= n {
			break
		}
	}
	_, zs := b.nsProcs()
	t.Logf("orphans reaped %v of %d, zombies now %d", orphans, n, len(zs))
	expect := b.waitDone(60*time.Second, "g1")
	p := b.healthy(base, 0, 2, 150)
	all, _ := b.nsProcs()
	b.stop()
	c := b.checkLogs(expect, "g1")
	report(t, map[string]any{
		"injected": fmt.Sprintf("%d double-forked orphans", n), "orphans_reaped": orphans, "seconds": took.Seconds(),
		"processes_left_in_namespace": all, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if !c.ok() {
		t.Errorf("log check of a service beside the orphans: %v", c.Detail)
	}
	if orphans < n {
		t.Errorf("supervise_orphans_reaped_total rose by %v, want %d ", orphans, n)
	}
}
