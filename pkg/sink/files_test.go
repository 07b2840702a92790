package sink

import (
	"compress/gzip"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// emit writes lines through a fresh capture and waits until they are in.
func emit(t *testing.T, l *Log, text string) {
	t.Helper()
	c, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stdout.WriteString(text); err != nil {
		t.Fatal(err)
	}
	c.CloseChildEnds()
	waitDone(t, c)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSymlinkNeverFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := policy(dir)
	p.Compress = config.CompressGzip
	// Links at the live name and at archive names, as a service user who
	// owns the log directory could plant them.
	for _, n := range []string{"svc.log", "svc.log.1", "svc.log.2.gz", "svc.log.1.gz.tmp"} {
		if err := os.Symlink(victim, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "one\n")
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	// Plant again at the temp name the next compression will use.
	waitFor(t, "compression", func() bool { return settled(t, p) })
	os.Remove(filepath.Join(dir, "svc.log.1.gz.tmp"))
	if err := os.Symlink(victim, filepath.Join(dir, "svc.log.1.gz.tmp")); err != nil {
		t.Fatal(err)
	}
	emit(t, l, "two\n")
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	emit(t, l, "three\n")
	waitFor(t, "compression", func() bool { return settled(t, p) })
	if got := read(t, victim); got != "precious\n" {
		t.Fatalf("victim changed: %q", got)
	}
	fi, err := os.Lstat(p.Path)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("live file is not a regular file: %v %v", fi.Mode(), err)
	}
	var all strings.Builder
	files, _ := archive.Files(p.Path)
	for _, f := range files {
		rc, err := archive.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&all, rc)
		rc.Close()
	}
	want := "supervise: removed a symlink at svc.log (never followed)\none\ntwo\nthree\n"
	if all.String() != want {
		t.Fatalf("history = %q, want %q", all.String(), want)
	}
}

func TestStartupRecovery(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	p.Compress = config.CompressGzip
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A crash left: a half-written temp file, a finished .gz whose plain
	// twin was not yet unlinked, and plain archives to compress.
	write("svc.log.3", "old3\n")
	write("svc.log.2", "old2\n")
	gzipFile(t, filepath.Join(dir, "svc.log.2.gz"), "old2\n")
	write("svc.log.2.gz.tmp", "garbage")
	write("svc.log.1", "old1\n")
	write("svc.log", "live\n")
	write("other.log.1", "not ours\n")

	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "recovery compression", func() bool { return settled(t, p) })
	emit(t, l, "new\n")
	names := listDir(t, dir)
	want := "other.log.1 svc.log svc.log.1.gz svc.log.2.gz svc.log.3.gz"
	if names != want {
		t.Fatalf("directory = %s, want %s", names, want)
	}
	if got := history(t, p.Path); got != "old3\nold2\nold1\nlive\nnew\n" {
		t.Fatalf("history = %q", got)
	}
}

func gzipFile(t *testing.T, path, s string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func listDir(t *testing.T, dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

func history(t *testing.T, path string) string {
	t.Helper()
	var all strings.Builder
	files, err := archive.Files(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rc, err := archive.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(&all, rc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rc.Close()
	}
	return all.String()
}

func TestRetention(t *testing.T) {
	t.Run("keep", func(t *testing.T) {
		dir := t.TempDir()
		p := policy(dir)
		p.Keep = 3
		m := newManager(t, Options{})
		l, err := m.Open("svc", p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			emit(t, l, strconv.Itoa(i)+"\n")
			if err := l.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "retention", func() bool { return listDir(t, dir) == "svc.log svc.log.1 svc.log.2 svc.log.3" })
		if got := history(t, p.Path); got != "3\n4\n5\n" {
			t.Fatalf("history = %q", got)
		}
	})
	t.Run("max_total", func(t *testing.T) {
		dir := t.TempDir()
		p := policy(dir)
		p.MaxTotal = 350 // live + archives
		m := newManager(t, Options{})
		l, err := m.Open("svc", p)
		if err != nil {
			t.Fatal(err)
		}
		line := strings.Repeat("x", 99) + "\n"
		for range 5 {
			emit(t, l, line)
			if err := l.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		emit(t, l, line) // live: 100 bytes; room for two archives
		waitFor(t, "retention", func() bool { return listDir(t, dir) == "svc.log svc.log.1 svc.log.2" })
		if st := l.Stats(); st.ArchiveBytes != 200 || st.Bytes != 100 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("max_age", func(t *testing.T) {
		dir := t.TempDir()
		p := policy(dir)
		p.MaxAge = 48 * time.Hour
		now := time.Now()
		m := newManager(t, Options{Now: func() time.Time { return now }})
		l, err := m.Open("svc", p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			emit(t, l, strconv.Itoa(i)+"\n")
			if err := l.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		old := now.Add(-72 * time.Hour)
		for _, n := range []string{"svc.log.3", "svc.log.2"} {
			if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
				t.Fatal(err)
			}
		}
		m.housekeep(true)
		waitFor(t, "max_age", func() bool { return listDir(t, dir) == "svc.log svc.log.1" })
	})
}

func TestFileModeAndOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir := t.TempDir()
	p := policy(dir)
	p.FileMode = 0o640
	p.FileOwner = &config.Owner{UID: uid, GID: gid}
	p.Compress = config.CompressZstd
	m := newManager(t, Options{})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "a\n")
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	emit(t, l, "b\n")
	waitFor(t, "compression", func() bool { return settled(t, p) })
	for _, n := range []string{"svc.log", "svc.log.1.zst"} {
		fi, err := os.Lstat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm() != 0o640 || int(st.Uid) != uid || int(st.Gid) != gid {
			t.Fatalf("%s: mode %v owner %d:%d, want 0640 %d:%d", n, fi.Mode().Perm(), st.Uid, st.Gid, uid, gid)
		}
	}
}

// clock is an injected clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestTimeRotation(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 11, 28, 22, 59, 58, 0, time.Local)}
	p := policy(dir)
	p.RotateEvery = config.PeriodHourly
	p.DateExt = true
	m := newManager(t, Options{Now: clk.now})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "before\n")
	clk.add(time.Second)
	emit(t, l, "still before\n")
	clk.add(2 * time.Second) // 23:00:01: the next write rotates first
	emit(t, l, "after\n")
	if got := read(t, p.Path); got != "after\n" {
		t.Fatalf("live = %q", got)
	}
	arch := filepath.Join(dir, "svc.log-20261128-230001")
	if got := read(t, arch); got != "before\nstill before\n" {
		t.Fatalf("archive = %q", got)
	}
	// An idle log is rotated by the housekeeper at the boundary.
	clk.set(time.Date(2026, 11, 29, 0, 0, 0, 0, time.Local))
	m.housekeep(false)
	if got := read(t, filepath.Join(dir, "svc.log-20261129-000000")); got != "after\n" {
		t.Fatalf("idle rotation archive = %q", got)
	}
	// Nothing written: an empty live file is not rotated (if_empty=false).
	clk.add(time.Hour)
	m.housekeep(false)
	if n := l.Stats().Rotations; n != 2 {
		t.Fatalf("rotations = %d, want 2", n)
	}
}

func TestDailyRotationOfOldFile(t *testing.T) {
	dir := t.TempDir()
	p := policy(dir)
	p.RotateEvery = config.PeriodDaily
	if err := os.WriteFile(p.Path, []byte("yesterday\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.Local)
	if err := os.Chtimes(p.Path, now.Add(-24*time.Hour), now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Options{Now: func() time.Time { return now }})
	l, err := m.Open("svc", p)
	if err != nil {
		t.Fatal(err)
	}
	emit(t, l, "today\n")
	if got := read(t, p.Path+".1"); got != "yesterday\n" {
		t.Fatalf("archive = %q", got)
	}
	if got := read(t, p.Path); got != "today\n" {
		t.Fatalf("live = %q", got)
	}
}

func TestNextBoundary(t *testing.T) {
	loc := time.FixedZone("IST", 5*3600+1800)
	at := time.Date(2026, 11, 28, 21, 45, 10, 0, loc) // a Saturday
	for _, tt := range []struct {
		p    config.Period
		want time.Time
	}{
		{config.PeriodHourly, time.Date(2026, 11, 28, 22, 0, 0, 0, loc)},
		{config.PeriodDaily, time.Date(2026, 11, 29, 0, 0, 0, 0, loc)},
		{config.PeriodWeekly, time.Date(2026, 11, 30, 0, 0, 0, 0, loc)},
		{config.PeriodNever, time.Time{}},
	} {
		if got := nextBoundary(tt.p, at); !got.Equal(tt.want) {
			t.Errorf("period %d: %v, want %v", tt.p, got, tt.want)
		}
	}
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, loc)
	if got := nextBoundary(config.PeriodWeekly, monday); !got.Equal(monday.AddDate(0, 0, 7)) {
		t.Errorf("weekly from Monday midnight: %v", got)
	}
}
