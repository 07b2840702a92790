package logread

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var base = time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)

// writeSeg writes content to dir/name, compressed by the name's suffix,
// with the given mtime.
func writeSeg(t testing.TB, dir, name, content string, mtime time.Time) {
	t.Helper()
	var buf bytes.Buffer
	switch {
	case strings.HasSuffix(name, ".gz"):
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(content))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	case strings.HasSuffix(name, ".zst"):
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write([]byte(content))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		buf.WriteString(content)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// stamped returns lines "TS msg" with rfc3339 timestamps a minute apart
// starting at from.
func stamped(from time.Time, msgs ...string) string {
	var b strings.Builder
	for i, m := range msgs {
		b.WriteString(from.Add(time.Duration(i) * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		b.WriteString(" " + m + "\n")
	}
	return b.String()
}

// numberedLog lays out web.log with .3.gz (oldest), .2.zst, .1 and live,
// each holding two timestamped lines, ten minutes apart per file.
func numberedLog(t *testing.T) string {
	dir := t.TempDir()
	writeSeg(t, dir, "web.log.3.gz", stamped(base, "a1", "a2"), base.Add(2*time.Minute))
	writeSeg(t, dir, "web.log.2.zst", stamped(base.Add(10*time.Minute), "b1", "b2 error"), base.Add(12*time.Minute))
	writeSeg(t, dir, "web.log.1", stamped(base.Add(20*time.Minute), "c1 error", "c2"), base.Add(22*time.Minute))
	writeSeg(t, dir, "web.log", stamped(base.Add(30*time.Minute), "d1", "d2 error"), base.Add(32*time.Minute))
	// Noise that is not part of the log.
	writeSeg(t, dir, "web.log.4.gz.tmp", "half-written\n", base)
	writeSeg(t, dir, "web.err.log", "other log\n", base)
	writeSeg(t, dir, "web.logx", "other\n", base)
	return filepath.Join(dir, "web.log")
}

func messages(out string) []string {
	var msgs []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		if i := strings.IndexByte(l, ' '); i >= 0 {
			l = l[i+1:]
		}
		msgs = append(msgs, l)
	}
	return msgs
}

func readAll(t *testing.T, live string, q Query) []string {
	t.Helper()
	segs, err := Segments(live)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	f, err := Read(&out, segs, q, func(err error) { t.Errorf("warn: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		f.Close()
	}
	return messages(out.String())
}

func TestSegmentsNumberedOrder(t *testing.T) {
	live := numberedLog(t)
	segs, err := Segments(live)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range segs {
		names = append(names, filepath.Base(s.Path))
	}
	want := "web.log.3.gz web.log.2.zst web.log.1 web.log"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("segments = %s, want %s", got, want)
	}
	if !segs[3].Live || segs[0].Live {
		t.Fatal("only the last segment is live")
	}
}

func TestSegmentsDateext(t *testing.T) {
	dir := t.TempDir()
	// Names sort by time; mtimes deliberately disagree (compression rewrote them).
	writeSeg(t, dir, "job.log-20261128-210000.gz", "one\n", base.Add(time.Hour))
	writeSeg(t, dir, "job.log-20261128-210000.1.zst", "two\n", base)
	writeSeg(t, dir, "job.log-20261128-220000", "three\n", base)
	writeSeg(t, dir, "job.log-2026112-220000", "not an archive\n", base)
	writeSeg(t, dir, "job.log", "four\n", base)
	got := readAll(t, filepath.Join(dir, "job.log"), Query{Lines: -1})
	if strings.Join(got, ",") != "one,two,three,four" {
		t.Fatalf("got %q", got)
	}
}

func TestSegmentsPlainAndCompressedTwin(t *testing.T) {
	dir := t.TempDir()
	writeSeg(t, dir, "x.log.1", "once\n", base)
	writeSeg(t, dir, "x.log.1.gz", "once\n", base)
	writeSeg(t, dir, "x.log", "live\n", base)
	got := readAll(t, filepath.Join(dir, "x.log"), Query{Lines: -1})
	if strings.Join(got, ",") != "once,live" {
		t.Fatalf("an archive mid-compression must be read once; got %q", got)
	}
}

func TestReadFilters(t *testing.T) {
	live := numberedLog(t)
	cases := []struct {
		name string
		q    Query
		want string
	}{
		{"all", Query{Lines: -1}, "a1,a2,b1,b2 error,c1 error,c2,d1,d2 error"},
		{"last 3", Query{Lines: 3}, "c2,d1,d2 error"},
		{"last 0", Query{Lines: 0}, ""},
		{"more than there are", Query{Lines: 100}, "a1,a2,b1,b2 error,c1 error,c2,d1,d2 error"},
		{"grep", Query{Lines: -1, Grep: regexp.MustCompile(`error$`)}, "b2 error,c1 error,d2 error"},
		{"grep last 2", Query{Lines: 2, Grep: regexp.MustCompile(`error`)}, "c1 error,d2 error"},
		{"since", Query{Lines: -1, Since: base.Add(11 * time.Minute)}, "b2 error,c1 error,c2,d1,d2 error"},
		{"until", Query{Lines: -1, Until: base.Add(20 * time.Minute)}, "a1,a2,b1,b2 error,c1 error"},
		{"window", Query{Lines: -1, Since: base.Add(11 * time.Minute), Until: base.Add(30 * time.Minute)}, "b2 error,c1 error,c2,d1"},
		{"window grep", Query{Lines: -1, Since: base.Add(11 * time.Minute), Until: base.Add(30 * time.Minute), Grep: regexp.MustCompile("error")}, "b2 error,c1 error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(readAll(t, live, c.q), ","); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestReadUntimestampedUsesMtimes(t *testing.T) {
	dir := t.TempDir()
	writeSeg(t, dir, "p.log.2", "old1\nold2\n", base)
	writeSeg(t, dir, "p.log.1", "mid\n", base.Add(time.Hour))
	writeSeg(t, dir, "p.log", "new\n", base.Add(2*time.Hour))
	live := filepath.Join(dir, "p.log")
	if got := strings.Join(readAll(t, live, Query{Lines: -1, Since: base.Add(30 * time.Minute)}), ","); got != "mid,new" {
		t.Fatalf("since by mtime: got %q", got)
	}
	// p.log.1 spans (base, base+1h]; p.log starts after base+1h.
	if got := strings.Join(readAll(t, live, Query{Lines: -1, Until: base.Add(30 * time.Minute)}), ","); got != "old1,old2,mid" {
		t.Fatalf("until by mtime: got %q", got)
	}
}

func TestReadContinuationLinesFollowTheirTimestamp(t *testing.T) {
	dir := t.TempDir()
	content := stamped(base, "Traceback:") + "  File x\n  boom\n" + stamped(base.Add(time.Hour), "later")
	writeSeg(t, dir, "t.log", content, base.Add(time.Hour))
	got := readAll(t, filepath.Join(dir, "t.log"), Query{Lines: -1, Until: base.Add(time.Minute)})
	if strings.Join(got, "|") != "Traceback:| File x| boom" {
		t.Fatalf("got %q", got)
	}
}

func TestReadBadArchiveIsSkippedWithWarning(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.log.2.gz"), []byte("not gzip at all\n"), 0o644)
	writeSeg(t, dir, "b.log.1", "fine\n", base)
	writeSeg(t, dir, "b.log", "live partial", base)
	segs, _ := Segments(filepath.Join(dir, "b.log"))
	var out bytes.Buffer
	var warned []error
	f, err := Read(&out, segs, Query{Lines: -1}, func(err error) { warned = append(warned, err) })
	if err != nil || f != nil {
		t.Fatal(err, f)
	}
	if out.String() != "fine\nlive partial\n" {
		t.Fatalf("got %q (a partial last line gets its newline)", out.String())
	}
	if len(warned) != 1 || !strings.Contains(warned[0].Error(), "b.log.2.gz") {
		t.Fatalf("warnings %v", warned)
	}
}

func TestReadKeepLiveLeavesPartialLine(t *testing.T) {
	dir := t.TempDir()
	writeSeg(t, dir, "k.log", "one\ntwo\nthr", base)
	segs, _ := Segments(filepath.Join(dir, "k.log"))
	var out bytes.Buffer
	f, err := Read(&out, segs, Query{Lines: -1, KeepLive: true}, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off, _ := f.Seek(0, 1)
	if out.String() != "one\ntwo\n" || off != 8 {
		t.Fatalf("out %q off %d", out.String(), off)
	}
}

func TestSegmentsMissing(t *testing.T) {
	segs, err := Segments(filepath.Join(t.TempDir(), "nope", "x.log"))
	if err != nil || len(segs) != 0 {
		t.Fatal(segs, err)
	}
}

func TestLineTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-28T21:45:00.123Z hello", time.Date(2026, 11, 28, 21, 45, 0, 123e6, time.UTC), true},
		{"2026-11-28T21:45:00+01:00 x", time.Date(2026, 11, 28, 20, 45, 0, 0, time.UTC), true},
		{"1795902300.123 hello", time.Unix(1795902300, 123e6), true},
		{"1795902300 hello", time.Unix(1795902300, 0), true},
		{"42 apples", time.Time{}, false},
		{"1795902300. x", time.Time{}, false},
		{"2026-11-28 21:45 not rfc3339", time.Time{}, false},
		{"hello 2026-11-28T21:45:00Z", time.Time{}, false},
		{"", time.Time{}, false},
		{"1795902300.1234567890 x", time.Time{}, false},
	}
	for _, c := range cases {
		got, ok := LineTime([]byte(c.in))
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("LineTime(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseTime(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	now := time.Date(2026, 11, 28, 22, 0, 0, 0, loc)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-28T21:45:00Z", time.Date(2026, 11, 28, 21, 45, 0, 0, time.UTC)},
		{"2026-11-28 21:45", time.Date(2026, 11, 28, 21, 45, 0, 0, loc)},
		{"2026-11-28 21:45:30", time.Date(2026, 11, 28, 21, 45, 30, 0, loc)},
		{"2026-11-28", time.Date(2026, 11, 28, 0, 0, 0, 0, loc)},
		{"1h", now.Add(-time.Hour)},
		{"90s", now.Add(-90 * time.Second)},
		{"2d", now.Add(-48 * time.Hour)},
		{"1d12h", now.Add(-36 * time.Hour)},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-1h", "2026-13-01", "xd"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestLastLines(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 100<<10) // crosses the 64 KiB read block
	content := "l1\n" + long + "\nl3\nl4\npartial"
	p := filepath.Join(dir, "t.log")
	os.WriteFile(p, []byte(content), 0o644)
	cases := []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "l4\n"},
		{2, "l3\nl4\n"},
		{3, long + "\nl3\nl4\n"},
		{10, "l1\n" + long + "\nl3\nl4\n"},
	}
	for _, c := range cases {
		f, _ := os.Open(p)
		got, err := LastLines(f, c.n, 0)
		off, _ := f.Seek(0, 1)
		f.Close()
		if err != nil || string(got) != c.want {
			t.Errorf("LastLines(%d) = %.40q, %v", c.n, got, err)
		}
		if off != int64(len(content)-len("partial")) {
			t.Errorf("LastLines(%d) left offset %d", c.n, off)
		}
	}
	// The byte limit keeps whole lines only.
	for _, c := range []struct {
		max  int64
		want string
	}{
		{3, "l4\n"},
		{6, "l3\nl4\n"},
		{100, "l3\nl4\n"},
		{2, ""},
		{int64(len(content)), "l1\n" + long + "\nl3\nl4\n"},
	} {
		f, _ := os.Open(p)
		got, err := LastLines(f, 10, c.max)
		f.Close()
		if err != nil || string(got) != c.want {
			t.Errorf("LastLines(10, max %d) = %.40q, %v; want %.40q", c.max, got, err, c.want)
		}
	}
	empty := filepath.Join(dir, "e.log")
	os.WriteFile(empty, nil, 0o644)
	f, _ := os.Open(empty)
	defer f.Close()
	if got, err := LastLines(f, 5, 0); err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
}

// collector gathers follower output and signals each chunk.
type collector struct {
	ch chan string
}

func (c *collector) emit(b []byte) error {
	c.ch <- string(b)
	return nil
}

// waitFor reads chunks until their concatenation equals want.
func (c *collector) waitFor(t *testing.T, want string) {
	t.Helper()
	var got string
	deadline := time.After(10 * time.Second)
	for got != want {
		select {
		case s := <-c.ch:
			got += s
			if len(got) > len(want) || want[:len(got)] != got {
				t.Fatalf("follower emitted %q, want %q", got, want)
			}
		case <-deadline:
			t.Fatalf("follower emitted %q, want %q", got, want)
		}
	}
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

func TestFollowAcrossRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.log")
	appendFile(t, p, "old\n")
	f, _ := os.Open(p)
	f.Seek(0, 2)
	fl := NewFollower(p, f)
	fl.Poll = 5 * time.Millisecond
	c := &collector{ch: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fl.Run(ctx, c.emit) }()

	appendFile(t, p, "one\ntw")
	c.waitFor(t, "one\n")
	appendFile(t, p, "o\n")
	c.waitFor(t, "two\n")

	// Rotation: the last lines reach the old file after the rename, and
	// one line ends without a newline; then the new file appears.
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p+".1", "three\nunterminated")
	appendFile(t, p, "four\n")
	c.waitFor(t, "three\nunterminated\nfour\n")

	// Rotated away and the new file is late.
	os.Rename(p, p+".2")
	appendFile(t, p+".2", "five\n")
	c.waitFor(t, "five\n")
	appendFile(t, p, "six\n")
	c.waitFor(t, "six\n")

	// copytruncate.
	appendFile(t, p, "seven\n")
	c.waitFor(t, "seven\n")
	os.Truncate(p, 0)
	appendFile(t, p, "8\n")
	c.waitFor(t, "8\n")

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFollowWaitsForFileAndStopsOnEmitError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "late.log")
	fl := NewFollower(p, nil)
	fl.Poll = 5 * time.Millisecond
	stop := errors.New("client gone")
	got := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- fl.Run(context.Background(), func(b []byte) error { got <- string(b); return stop })
	}()
	appendFile(t, p, "hello\n")
	select {
	case err := <-done:
		if !errors.Is(err, stop) || <-got != "hello\n" {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follower did not pick up the new file")
	}
}

func TestQueryFilter(t *testing.T) {
	q := Query{Grep: regexp.MustCompile("err"), Since: base}
	chunk := []byte(stamped(base.Add(-time.Minute), "old err") + stamped(base, "new err", "new ok") + "no stamp err\n")
	got := string(q.Filter(nil, chunk))
	if got != stamped(base, "new err")+"no stamp err\n" {
		t.Fatalf("got %q", got)
	}
	if got := string(Query{}.Filter([]byte("a\n"), []byte("b\n"))); got != "a\nb\n" {
		t.Fatalf("empty query: %q", got)
	}
}

func TestLiveFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.log", "a.log.1", "a.log.2.gz", "b.log", "b.log-20261128-210000.zst", "c.log.gz.tmp"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	got, err := LiveFiles(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range got {
		names = append(names, filepath.Base(g))
	}
	if strings.Join(names, " ") != "a.log b.log" {
		t.Fatalf("got %v", names)
	}
	one := filepath.Join(dir, "new.log")
	if got, _ := LiveFiles(one); len(got) != 1 || got[0] != one {
		t.Fatalf("a plain path not yet created: %v", got)
	}
	// The live files are gone, their archives remain: a glob that matches
	// only live names still names them, so their archives are read.
	for _, n := range []string{"a.log", "b.log"} {
		os.Remove(filepath.Join(dir, n))
	}
	os.WriteFile(filepath.Join(dir, "notes.txt.1"), nil, 0o644)
	got, err = LiveFiles(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, g := range got {
		names = append(names, filepath.Base(g))
	}
	if strings.Join(names, " ") != "a.log b.log" {
		t.Fatalf("live files gone, archives left: got %v", names)
	}
}

func FuzzLineTime(f *testing.F) {
	for _, s := range []string{"2026-11-28T21:45:00.123Z x", "1795902300.123 x", "123456789 ", "2026-1-1T x", "9999999999999 x", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ts, ok := LineTime(line)
		if ok && ts.IsZero() {
			t.Fatalf("%q: ok with a zero time", line)
		}
		// Filtering never loses or invents bytes of a selected line.
		q := Query{Since: time.Unix(0, 0)}
		out := q.Filter(nil, append(line, '\n'))
		if len(out) != 0 && !bytes.Equal(out, append(line, '\n')) && !bytes.Contains(line, []byte{'\n'}) {
			t.Fatalf("%q filtered to %q", line, out)
		}
	})
}
