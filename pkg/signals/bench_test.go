package signals

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
)

// BenchmarkReapOrphanZombies measures the drain loop: one op is reaping
// one zombie nobody registered (an orphan), in batches of up to 10,000
// made before the timer starts. Run with -benchtime=10000x (or 30000x):
// each op forks a process outside the timed region, so the default
// benchtime would fork for a long time.
func BenchmarkReapOrphanZombies(b *testing.B) {
	// A reaper without its goroutine: the benchmark drives drain itself,
	// so the zombies pile up first and the timed region is pure reaping.
	r := &Reaper{children: make(map[int]*Child)}
	b.ReportAllocs()
	b.StopTimer()
	left := b.N
	for left > 0 {
		batch := min(left, 10000)
		pids := make([]int, 0, batch)
		for i := 0; i < batch; i++ {
			pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
			if err != nil {
				b.Fatalf("fork %d: %v", i, err)
			}
			pids = append(pids, pid)
		}
		for _, pid := range pids {
			waitZombie(b, pid)
		}
		before := r.Orphans()
		b.StartTimer()
		r.drain()
		b.StopTimer()
		if got := r.Orphans() - before; got != int64(batch) {
			b.Fatalf("reaped %d orphans, want %d", got, batch)
		}
		left -= batch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*10000/1e6, "ms/10k-zombies")
}

// waitZombie spins until pid has exited and sits unreaped.
func waitZombie(b *testing.B, pid int) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	for {
		st, err := os.ReadFile(path)
		if err != nil {
			b.Fatalf("pid %d vanished before the reaper ran: %v", pid, err)
		}
		if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return
		}
	}
}
