package logread

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink"
)

// TestSinkRoundTrip writes through the real sink, rotating while switching
// compression (gzip, zstd, none), while a Follower watches; then reads the
// whole history back. Every line must appear once, in order, both ways.
func TestSinkRoundTrip(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "web.log")
	m := sink.NewManager(sink.Options{GuardEvery: time.Hour})
	pol := config.LogPolicy{Mode: config.LogFile, Path: live, Keep: 100, Compress: config.CompressGzip,
		FileMode: 0o644, MaxLine: 64 << 10, Timestamps: config.TimestampsRFC3339}
	l, err := m.Open("web", pol)
	if err != nil {
		t.Fatal(err)
	}
	capt, err := l.Attach(false)
	if err != nil {
		t.Fatal(err)
	}

	fl := NewFollower(live, nil)
	fl.Poll = 5 * time.Millisecond
	followed := make(chan string, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- fl.Run(ctx, func(b []byte) error { followed <- string(b); return nil })
	}()
	var seen strings.Builder
	waitFollowed := func(line string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !strings.Contains(seen.String(), line+"\n") {
			select {
			case s := <-followed:
				seen.WriteString(s)
			case <-deadline:
				t.Fatalf("follower never saw %q; saw %q", line, seen.String())
			}
		}
	}

	var want []string
	for round, comp := range []config.Compression{config.CompressGzip, config.CompressZstd, config.CompressNone, config.CompressGzip} {
		pol.Compress = comp
		if err := l.Update(pol); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			line := fmt.Sprintf("round %d line %d", round, i)
			want = append(want, line)
			fmt.Fprintln(capt.Stdout, line)
		}
		waitFollowed(want[len(want)-1])
		if err := l.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintln(capt.Stdout, "last words")
	want = append(want, "last words")
	waitFollowed("last words")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	capt.CloseChildEnds()
	<-capt.Done()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil { // waits for compression
		t.Fatal(err)
	}

	if got := messages(seen.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("followed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	segs, err := Segments(live)
	if err != nil {
		t.Fatal(err)
	}
	// Which format each archive gets depends on when the sink's worker ran
	// relative to the policy updates and to Close, which abandons unfinished
	// compression (start-up recovery redoes it); reading plain, .gz and .zst
	// archives is covered by TestReadFilters (numberedLog). Here: one segment per rotation
	// plus the live file, every line once, in order.
	if len(segs) != 5 {
		t.Fatalf("segments %v", segs)
	}
	var out bytes.Buffer
	if _, err := Read(&out, segs, Query{Lines: -1}, func(err error) { t.Error(err) }); err != nil {
		t.Fatal(err)
	}
	if got := messages(out.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("read back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The sink's timestamps drive --since.
	out.Reset()
	Read(&out, segs, Query{Lines: -1, Since: time.Now().Add(time.Hour)}, func(err error) { t.Error(err) })
	if out.Len() != 0 {
		t.Fatalf("--since in the future printed %q", out.String())
	}
}
