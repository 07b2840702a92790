package sink

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	mu sync.Mutex
	ev []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }
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
			var ev events
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
			waitFor(t, "the dropped marker", func() bool { return strings.Contains(read(t, p.Path), "supervise: dropped") })
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
			if tc.minFree.Bytes > 0 && rep.Markers != 1 {
				t.Fatalf("%d markers with disk_min_free, want 1", rep.Markers)
			}
			waitFor(t, "events", func() bool { return strings.Contains(ev.kinds(), EventDropped) })
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
