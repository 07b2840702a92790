//go:build chaos

package chaos

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSignalStorm: thousands of HUP (reload), USR1 (rotate every log) and
// USR2 (forwarded to the services) per second at supervise while services
// write. Every line must be in the logs and archives exactly once.
func TestSignalStorm(t *testing.T) {
	b := newBox(t)
	names := []string{"s1", "s2"}
	var svcs []service
	for _, n := range names {
		svcs = append(svcs, b.genService(n, 3000, 0, 300))
	}
	b.start(b.config(nil, svcs))
	base := b.baseline()
	load := dur(8*time.Second, 60*time.Second)
	sigs := []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2}
	var sent atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if err := syscall.Kill(b.pid1, sigs[(i+w)%3]); err != nil {
					return
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	expect := b.waitDone(90*time.Second, names...)
	st := b.status()
	var rot int64
	for _, n := range names {
		rot += st[n].Rotations
	}
	p := b.healthy(base, 0, 2, 150)
	b.stop()
	c := b.checkLogs(expect, names...)
	report(t, map[string]any{
		"injected":  fmt.Sprintf("%d signals (HUP, USR1, USR2 in turn, about %d/s) over %v", sent.Load(), int(float64(sent.Load())/load.Seconds()), load),
		"rotations": rot, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if !c.ok() {
		t.Errorf("log check: %v", c.Detail)
	}
	if rot < 10 {
		t.Errorf("only %d rotations under a USR1 storm", rot)
	}
}

// TestControlAbuse: 200 concurrent clients sending random bytes, malformed
// JSON, 1 MiB requests, half-closed requests, and `tail -f` clients that
// never read, while a well-behaved `ctl status` must keep answering.
func TestControlAbuse(t *testing.T) {
	b := newBox(t)
	gen := b.genService("g1", 3000, lineSize, 300)
	b.start(b.config(nil, []service{gen}))
	base := b.baseline()
	load := dur(10*time.Second, 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	var kinds [6]atomic.Int64
	var answered, refused atomic.Int64
	var wg sync.WaitGroup
	var stuck []net.Conn // the never-reading tail -f clients, closed at the end
	var stuckMu sync.Mutex
	for c := 0; c < 200; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil {
				k := rng.IntN(len(kinds))
				kinds[k].Add(1)
				conn, err := net.DialTimeout("unix", b.sock, 5*time.Second)
				if err != nil {
					refused.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				switch k {
				case 0: // random bytes, then hang up
					buf := make([]byte, 1+rng.IntN(4096))
					rand.Read(buf)
					conn.Write(buf)
				case 1: // malformed JSON lines
					for _, l := range []string{`{"v":1,"verb":`, `[]`, `{"v":1,"verb":"status","args":[1,2]}`, `{"v":99,"verb":"status"}`, `{"v":1,"verb":"nope"}`, "\x00\xff"} {
						conn.Write([]byte(l + "\n"))
					}
					readSome(conn, &answered)
				case 2: // a 1 MiB request with and without its newline
					big := make([]byte, 1<<20)
					for i := range big {
						big[i] = 'a' + byte(i%26)
					}
					copy(big, `{"v":1,"verb":"status","args":["`)
					if rng.IntN(2) == 0 {
						big[len(big)-1] = '\n'
					}
					conn.Write(big)
					readSome(conn, &answered)
				case 3: // half-closed: a partial request, then shut the write side
					conn.Write([]byte(`{"v":1,"verb":"sta`))
					conn.(*net.UnixConn).CloseWrite()
					readSome(conn, &answered)
				case 4: // tail -f and never read: keep it open until the end
					req, _ := json.Marshal(map[string]any{"v": 1, "verb": "tail", "args": []string{"g1"}, "flags": map[string]any{"follow": true, "lines": 1000}})
					conn.Write(append(req, '\n'))
					_ = conn.SetDeadline(time.Time{})
					stuckMu.Lock()
					if len(stuck) < 40 {
						stuck = append(stuck, conn)
						stuckMu.Unlock()
						continue
					}
					stuckMu.Unlock()
				case 5: // a valid request, answer never read, hang up
					conn.Write([]byte(`{"v":1,"verb":"status","flags":{"json":true}}` + "\n"))
				}
				conn.Close()
			}
		}(c)
	}
	// A well-behaved client during the abuse: its worst latency.
	var worst time.Duration
	var failures int
	for ctx.Err() == nil {
		t0 := time.Now()
		if r := b.ctl("status"); r.code != 0 {
			failures++
			t.Logf("ctl status during abuse: exit %d: %s", r.code, r.stderr)
		}
		worst = max(worst, time.Since(t0))
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	stuckMu.Lock()
	nStuck := len(stuck)
	for _, c := range stuck {
		c.Close()
	}
	stuckMu.Unlock()
	expect := b.waitDone(60*time.Second, "g1")
	p := b.healthy(base, 0, 2, 150)
	b.stop()
	c := b.checkLogs(expect, "g1")
	var total int64
	counts := map[string]int64{}
	for i, n := range []string{"random_bytes", "malformed_json", "one_mib", "half_closed", "tail_f_never_read", "status_unread"} {
		counts[n] = kinds[i].Load()
		total += kinds[i].Load()
	}
	report(t, map[string]any{
		"injected": fmt.Sprintf("200 concurrent abusive clients for %v: %d connections", load, total), "by_kind": counts,
		"connect_refused": refused.Load(), "tail_f_clients_never_reading": nStuck,
		"ctl_status_worst_ms": worst.Milliseconds(), "ctl_status_failures": failures, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	if failures > 0 {
		t.Errorf("ctl status failed %d times during the abuse", failures)
	}
	if !c.ok() {
		t.Errorf("log check: %v", c.Detail)
	}
}

// readSome reads whatever answer comes until EOF or the deadline.
func readSome(conn net.Conn, answered *atomic.Int64) {
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			answered.Add(1)
		}
		if err != nil {
			return
		}
	}
}
