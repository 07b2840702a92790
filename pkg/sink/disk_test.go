package sink

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/linecheck"
)

// tmpfs mounts a small tmpfs for a full-disk test, or skips.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	return dir
}

type events struct {
	mu   sync.Mutex
	ev   []Event
	kind chan string // every kind delivered, for wait
}

func newEvents() *events { return &events{kind: make(chan string, 1<<16)} }

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	e.mu.Unlock()
	select {
	case e.kind <- ev.Kind:
	default:
	}
}

// wait returns when an event of kind has been delivered.
func (e *events) wait(t *testing.T, kind string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case k := <-e.kind:
			if k == kind {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event; got %s", kind, e.kinds())
		}
	}
}
func (e *events) kinds() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var k []string
	for _, ev := range e.ev {
		k = append(k, ev.Kind)
	}
	return strings.Join(k, ",")
}

// TestDiskFull fills a 4 MiB filesystem: the guard first deletes the
// oldest archives of any log on it, then drops and counts whole lines,
// never tears one, and writes one marker line when space returns.
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name    string
		minFree config.Amount
	}{
		{"disk_min_free", config.Amount{Bytes: 512 << 10}},
		{"enospc", config.Amount{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := tmpfs(t, "4m")
			ev := newEvents()
			m := newManager(t, Options{DiskMinFree: tc.minFree, DiskWarn: config.Amount{Percent: 80, IsPercent: true}, Events: ev.add, GuardEvery: 20 * time.Millisecond})
			// Another log's old archives, which the guard may delete.
			old := policy(mnt)
			old.Path = filepath.Join(mnt, "old.log")
			for i := 1; i <= 3; i++ {
				name := filepath.Join(mnt, "old.log."+string(rune('0'+i)))
				if err := os.WriteFile(name, make([]byte, 256<<10), 0o644); err != nil {
					t.Fatal(err)
				}
				ts := time.Now().Add(-time.Duration(i) * time.Hour)
				os.Chtimes(name, ts, ts)
			}
			if _, err := m.Open("old", old); err != nil {
				t.Fatal(err)
			}
			filler := filepath.Join(mnt, "filler")
			if err := os.WriteFile(filler, make([]byte, 2<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			p := policy(mnt)
			l, err := m.Open("svc", p)
			if err != nil {
				t.Fatal(err)
			}
			c, err := l.Attach(false)
			if err != nil {
				t.Fatal(err)
			}
			const n, size = 20000, 200 // 4 MB: far more than fits
			writeLines(t, c.Stdout, "out", n, size, 5)
			c.CloseChildEnds()
			waitDone(t, c)
			st := l.Stats()
			if st.DroppedBytes == 0 || st.DroppedBytes%size != 0 {
				t.Fatalf("dropped %d bytes: want whole 200-byte lines", st.DroppedBytes)
			}
			if names := listDir(t, mnt); strings.Contains(names, "old.log.") {
				t.Fatalf("old archives not deleted: %s", names)
			}
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			m.housekeepNow(false) // the guard sees the space and writes the marker
			if !strings.Contains(read(t, p.Path), "supervise: dropped") {
				t.Fatal("no dropped marker after space returned")
			}
			rep, err := linecheck.CheckLog(p.Path, map[string]uint64{"out": n})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Torn != 0 || rep.Duplicated != 0 || rep.OutOfOrder != 0 || rep.Markers == 0 {
				t.Fatalf("after a full disk: %s", rep.String())
			}
			if int64(rep.Missing)*size != st.DroppedBytes {
				t.Fatalf("missing %d lines, dropped %d bytes", rep.Missing, st.DroppedBytes)
			}
			// One marker per episode of dropping; together they account
			// for every dropped byte.
			var marked int64
			for _, line := range strings.Split(read(t, p.Path), "\n") {
				if rest, ok := strings.CutPrefix(line, "supervise: dropped "); ok {
					num, ok := strings.CutSuffix(rest, " bytes (disk low)")
					v, err := strconv.ParseInt(num, 10, 64)
					if !ok || err != nil {
						t.Fatalf("bad marker %q", line)
					}
					marked += v
				}
			}
			if marked != st.DroppedBytes {
				t.Fatalf("markers account for %d bytes, dropped %d", marked, st.DroppedBytes)
			}
			ev.wait(t, EventDropped)
			k := ev.kinds()
			if tc.minFree.Bytes > 0 && !strings.Contains(k, EventDiskLow) || !strings.Contains(k, EventDiskWarn) {
				t.Fatalf("events %s", k)
			}
			// Writing goes on normally afterwards.
			emit(t, l, "after\n")
			if !strings.HasSuffix(read(t, p.Path), "after\n") {
				t.Fatal("log not writable after space returned")
			}
		})
	}
}

// TestGuardDeletesOldestAcrossLogs uses a simulated filesystem (free space
// grows by what is deleted) to check the order: oldest archives first,
// whichever log they belong to, and no more than needed.
func TestGuardDeletesOldestAcrossLogs(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := map[string]time.Duration{"a.log.1": 1, "a.log.2": 3, "b.log.1": 2, "b.log.2": 4}
	for name, hoursAgo := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		ts := now.Add(-hoursAgo * time.Hour)
		os.Chtimes(path, ts, ts)
	}
	var ready atomic.Bool // plenty of space until both logs are open
	statfs := func(*output) (space, error) {
		if !ready.Load() {
			return space{total: 100000, free: 100000}, nil
		}
		free := int64(1000)
		for name := range files {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				free += 1000
			}
		}
		return space{total: 100000, free: free}, nil
	}
	ev := newEvents()
	m := newManager(t, Options{DiskMinFree: config.Amount{Bytes: 3000}, Events: ev.add, GuardEvery: time.Hour, statfs: statfs})
	var logs []*Log
	for _, n := range []string{"a", "b"} {
		p := policy(dir)
		p.Path = filepath.Join(dir, n+".log")
		l, err := m.Open(n, p)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	ready.Store(true)
	m.housekeepNow(false)
	if got := listDir(t, dir); got != "a.log a.log.1 b.log b.log.1" {
		t.Fatalf("after the guard: %s (want the two oldest archives gone)", got)
	}
	emit(t, logs[0], "still writing\n")
	if got := read(t, filepath.Join(dir, "a.log")); got != "still writing\n" {
		t.Fatalf("writing stopped although deleting archives was enough: %q", got)
	}
	if k := ev.kinds(); strings.Contains(k, EventDiskLow) {
		t.Fatalf("disk_low although deleting archives was enough: %s", k)
	}
}
