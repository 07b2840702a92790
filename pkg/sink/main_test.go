package sink

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/linecheck"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// policy is a file log in dir with rotation off and no compression; tests
// change what they exercise.
func policy(dir string) config.LogPolicy {
	return config.LogPolicy{
		Mode:             config.LogFile,
		Path:             filepath.Join(dir, "svc.log"),
		Keep:             1 << 20,
		FileMode:         0o644,
		ProgressInterval: 10 * time.Second,
		MaxLine:          64 << 10,
	}
}

func newManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	m := NewManager(opts)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("manager close: %v", err)
		}
	})
	return m
}

// writeLines writes n numbered lines of about size bytes for stream to f in
// writes of random lengths, so that reads end in the middle of lines.
func writeLines(t *testing.T, f *os.File, stream string, n uint64, size int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var buf []byte
	for i := uint64(0); i < n; i++ {
		buf = linecheck.Line(buf, stream, i, size)
		if len(buf) > 64<<10 || i == n-1 {
			for len(buf) > 0 {
				k := min(len(buf), 1+rng.IntN(16<<10))
				if _, err := f.Write(buf[:k]); err != nil {
					t.Errorf("write %s: %v", stream, err)
					return
				}
				buf = buf[k:]
			}
			buf = buf[:0]
		}
	}
}

// waitDone waits for a capture to drain, with a deadline.
func waitDone(t *testing.T, c *Capture) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("capture did not reach EOF")
	}
}

func checkLog(t *testing.T, path string, expect map[string]uint64) linecheck.Report {
	t.Helper()
	r, err := linecheck.CheckLog(path, expect)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("%s: %s", path, r.String())
	}
	return r
}

// waitFor polls cond (the worker is asynchronous by design) with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newChecker(n uint64) *linecheck.Checker { return linecheck.New(map[string]uint64{"out": n}) }

func mustCheck(t *testing.T, path string) linecheck.Report {
	t.Helper()
	r, err := linecheck.CheckLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Torn != 0 || r.Duplicated != 0 || r.OutOfOrder != 0 {
		t.Fatalf("%s: %s", path, r.String())
	}
	return r
}
