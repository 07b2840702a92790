package sink

import (
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// TestRotationStress is SPEC §4.1 under load: stdout and stderr merged into
// one file, 199-byte and 57-byte lines that do not divide rotate_size,
// hundreds of size rotations, random concurrent Rotate calls, and the
// background compressor shifting names under it. Every line must be found
// exactly once, whole and in order.
func TestRotationStress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comp  config.Compression
		delay bool
		date  bool
	}{
		{"none", config.CompressNone, false, false},
		{"gzip", config.CompressGzip, false, false},
		{"zstd", config.CompressZstd, true, false},
		{"gzip-dateext", config.CompressGzip, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, Options{})
			p := policy(dir)
			p.RotateSize = 16 << 10
			p.Compress = tc.comp
			p.DelayCompress = tc.delay
			p.DateExt = tc.date
			l, err := m.Open("svc", p)
			if err != nil {
				t.Fatal(err)
			}
			c, err := l.Attach(false)
			if err != nil {
				t.Fatal(err)
			}
			const n = 15000
			stop := make(chan struct{})
			var rot sync.WaitGroup
			rot.Add(1)
			go func() {
				defer rot.Done()
				rng := rand.New(rand.NewPCG(7, 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := l.Rotate(); err != nil {
						t.Errorf("rotate: %v", err)
						return
					}
					time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
				}
			}()
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); writeLines(t, c.Stdout, "out", n, 199, 11) }()
			go func() { defer wg.Done(); writeLines(t, c.Stderr, "err", n, 57, 12) }()
			wg.Wait()
			c.CloseChildEnds()
			waitDone(t, c)
			close(stop)
			rot.Wait()

			if r := l.Stats().Rotations; r < 200 {
				t.Fatalf("only %d rotations", r)
			}
			waitFor(t, "compression to finish", func() bool { return settled(t, p) })
			rep := checkLog(t, p.Path, map[string]uint64{"out": n, "err": n})
			t.Logf("%d rotations, %s", l.Stats().Rotations, rep.String())
			as, _ := archive.List(p.Path)
			for _, a := range as {
				fi, err := os.Stat(dir + "/" + a.Name)
				if err != nil {
					t.Fatal(err)
				}
				if a.Ext == "" && fi.Size() > p.RotateSize {
					t.Fatalf("%s is %d bytes, over rotate_size", a.Name, fi.Size())
				}
			}
		})
	}
}

// settled reports whether every archive the policy wants compressed is, and
// no temp file is left.
func settled(t *testing.T, p config.LogPolicy) bool {
	as, err := archive.List(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dirOf(p.Path))
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	for n := range have {
		// A temp file, or a plain archive next to its compressed copy,
		// means the worker is between two steps.
		if strings.HasSuffix(n, ".tmp") || have[n+".gz"] || have[n+".zst"] {
			return false
		}
	}
	if p.Compress == config.CompressNone {
		return true
	}
	for i, a := range as {
		if a.Ext == "" && !(p.DelayCompress && i == len(as)-1) {
			return false
		}
	}
	return true
}

func dirOf(path string) string { return path[:strings.LastIndexByte(path, '/')] }
