//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSoak is the long mixed load (`make soak`, SOAK=1; -soak MINUTES):
// numbered-line writers with size rotation and `ctl rotate` every 3 s,
// crash-looping services, an orphan maker, a cron job, HUP every 10 s and a
// burst of hostile control clients every 30 s. RSS, fds and goroutines are
// sampled each minute into soak.csv (chaos/run.sh charts it into
// docs/soak.png); at the end every line must be in the logs exactly once.
func TestSoak(t *testing.T) {
	minutes := *soakFlag
	if minutes <= 0 {
		t.Skip("SKIP: the soak runs with -soak MINUTES (make soak)")
	}
	load := time.Duration(minutes) * time.Minute
	b := newBox(t)
	const gens, rate = 6, 100
	var names, crashNames []string
	var svcs []service
	for i := 0; i < gens; i++ {
		n := fmt.Sprintf("w%d", i)
		names = append(names, n)
		comp := "gzip"
		if i%2 == 1 {
			comp = "zstd"
		}
		svcs = append(svcs, b.genService(n, rate*int(load.Seconds()), 0, rate, [2]string{"compress", comp}))
	}
	manifest := filepath.Join(b.dir, "crash.manifest")
	for i := 0; i < 10; i++ {
		n := fmt.Sprintf("c%02d", i)
		crashNames = append(crashNames, n)
		svcs = append(svcs, service{name: n, keys: [][2]string{
			{"command", helperCmd(fmt.Sprintf("%02d", i), manifest)}, {"env", "CHAOS_HELPER=crash"},
			{"restart", "always"}, {"backoff", "500ms"}, {"backoff_max", "2s"},
		}})
	}
	svcs = append(svcs,
		service{name: "orphans", keys: [][2]string{
			{"command", `sh -c 'i=0; while [ $i -lt 200 ]; do ( : & ); i=$((i+1)); done; sleep 5'`},
			{"restart", "always"}, {"backoff", "1s"}}},
		service{name: "cron", keys: [][2]string{{"command", "true"}, {"schedule", "* * * * *"}}},
	)
	b.start(b.config([][2]string{{"rotate_size", "256K"}}, svcs))
	base := b.baseline()

	csv, err := os.Create(filepath.Join(outDir, "soak.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer csv.Close()
	fmt.Fprintln(csv, "minute,rss_kib,hwm_kib,fds,goroutines,threads,orphans_reaped,processes")
	sample := func(m int) procProbe {
		p := b.probe()
		o, _ := b.metric("supervise_orphans_reaped_total")
		all, _ := b.nsProcs()
		fmt.Fprintf(csv, "%d,%d,%d,%d,%d,%d,%.0f,%d\n", m, p.RSSKiB, p.HWMKiB, p.FDs, p.Goroutines, p.Threads, o, all)
		t.Logf("minute %d: rss=%dKiB peak=%dKiB fds=%d goroutines=%d threads=%d orphans=%.0f procs=%d", m, p.RSSKiB, p.HWMKiB, p.FDs, p.Goroutines, p.Threads, o, all)
		return p
	}
	sample(0)

	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	every := func(what string, d time.Duration, f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(d)
			defer tk.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
					f()
					mu.Lock()
					counts[what]++
					mu.Unlock()
				}
			}
		}()
	}
	every("ctl_rotate", 3*time.Second, func() { b.ctl("rotate") })
	every("hup", 10*time.Second, func() { _ = syscall.Kill(b.pid1, syscall.SIGHUP) })
	every("abuse_burst", 30*time.Second, func() { abuseBurst(b.sock, 20, 2*time.Second) })
	var peak procProbe
	for m := 1; m <= minutes; m++ {
		select {
		case <-ctx.Done():
		case <-time.After(time.Minute):
		}
		p := sample(m)
		peak.HWMKiB = max(peak.HWMKiB, p.HWMKiB)
		peak.FDs = max(peak.FDs, p.FDs)
		peak.Goroutines = max(peak.Goroutines, p.Goroutines)
	}
	cancel()
	wg.Wait()
	expect := b.waitDone(5*time.Minute, names...)
	if r := b.ctl("stop", "all"); r.code != 0 {
		t.Errorf("ctl stop all: exit %d: %s", r.code, r.stderr)
	}
	st := b.status()
	var rot int64
	restarts := 0
	for _, s := range st {
		rot += s.Rotations
		restarts += s.Restarts
	}
	p := b.healthy(base, 2, 2, 200)
	b.stop()
	data, _ := os.ReadFile(manifest)
	parseCounts(data, expect)
	c := b.checkLogs(expect, append(names, crashNames...)...)
	report(t, map[string]any{
		"injected": fmt.Sprintf("%d min mixed load: %d writers at %d lines/s/stream, 10 crash loops, 200 orphans every ~6 s, a cron job each minute, ctl rotate every 3 s, HUP every 10 s, 20 hostile clients every 30 s", minutes, gens, rate),
		"drivers":  counts, "rotations": rot, "restarts": restarts, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "fds_peak": peak.FDs,
		"goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines, "goroutines_peak": peak.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if !c.ok() {
		t.Errorf("log check: %v", c.Detail)
	}
}

// abuseBurst opens n hostile connections for about d: garbage, partial
// requests, a 1 MiB line, a tail -f that is never read.
func abuseBurst(sock string, n int, d time.Duration) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, err := net.DialTimeout("unix", sock, 2*time.Second)
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(d))
			switch i % 4 {
			case 0:
				buf := make([]byte, 4096)
				for j := range buf {
					buf[j] = byte(rand.IntN(256))
				}
				conn.Write(buf)
			case 1:
				conn.Write([]byte(`{"v":1,"verb":"tail","args":["w0"],"flags":{"follow":true}}` + "\n"))
			case 2:
				big := make([]byte, 1<<20)
				for j := range big {
					big[j] = 'x'
				}
				conn.Write(big)
			case 3:
				conn.Write([]byte(`{"v":1,"verb":"sta`))
				conn.(*net.UnixConn).CloseWrite()
			}
			time.Sleep(d)
		}(i)
	}
	wg.Wait()
}
