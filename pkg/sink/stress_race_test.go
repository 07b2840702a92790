//go:build race

package sink

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// TestRaceManyLogs runs only under the race detector: several logs, each
// with two runs in a row (a restart), while other goroutines rotate all
// logs, reload log keys (compression, timestamps, rotate_size) and read
// stats. Every log must still hold every line exactly once.
func TestRaceManyLogs(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Options{GuardEvery: 10 * time.Millisecond})
	const logs, runs, n = 3, 2, 1500
	var ls []*Log
	var ps []config.LogPolicy
	for i := range logs {
		p := policy(dir)
		p.Path = fmt.Sprintf("%s/svc%d.log", dir, i)
		p.RotateSize = 8 << 10
		p.Compress = config.Compression(i % 3)
		l, err := m.Open(fmt.Sprintf("svc%d", i), p)
		if err != nil {
			t.Fatal(err)
		}
		ls, ps = append(ls, l), append(ps, p)
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if err := m.RotateAll(); err != nil {
				t.Errorf("rotate all: %v", err)
			}
		}
	}()
	go func() {
		defer bg.Done()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			for i, l := range ls {
				p := ps[i]
				p.Compress = config.Compression((i + k) % 3)
				p.Timestamps = config.Timestamps(k % 3)
				p.RotateSize = int64(4<<10 + k%5*1024)
				if err := l.Update(p); err != nil {
					t.Errorf("update: %v", err)
				}
				_ = l.Stats()
			}
		}
	}()
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range runs {
				c, err := l.Attach(false)
				if err != nil {
					t.Error(err)
					return
				}
				var w sync.WaitGroup
				w.Add(2)
				base := uint64(r * n)
				go func() { defer w.Done(); writeRange(t, c.Stdout, "out", base, n, 99, uint64(i)) }()
				go func() { defer w.Done(); writeRange(t, c.Stderr, "err", base, n, 61, uint64(i+7)) }()
				w.Wait()
				c.CloseChildEnds()
				waitDone(t, c)
			}
		}()
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	m.flush()
	for _, p := range ps {
		checkLog(t, p.Path, map[string]uint64{"out": runs * n, "err": runs * n})
	}
}
