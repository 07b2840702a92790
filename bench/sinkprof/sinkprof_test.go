// Package sinkprof drives pkg/sink through its public API with the exact
// workload of `make bench` (numbered 199-byte lines in 8 KiB writes,
// rotation at 10 MiB), so the sink's hot path can be profiled in isolation:
//
//	go test -run XXX -bench Capture -benchtime 400x -cpuprofile cpu.out ./bench/sinkprof/
//	go tool pprof -top bench/sinkprof/sinkprof.test cpu.out
//
// One op is one 8 KiB write. It holds benchmarks only, so `go test ./...`
// runs nothing here.
package sinkprof

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supervise/supervise/bench/internal/numbered"
	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink"
)

const writeSize = 8 << 10

// policy parses the same [service] keys the benchmark's services.conf uses,
// so the defaults are exactly supervise's.
func policy(b *testing.B, dir string, keys ...string) config.LogPolicy {
	b.Helper()
	conf := "[supervise]\nlog_dir = " + dir + "\ndisk_min_free = 0\n\n[service gen]\ncommand = gen\n" +
		"rotate_size = 10M\nrotate_every = never\nkeep = 1000\n" + strings.Join(keys, "\n") + "\n"
	cfg, err := config.Parse("bench.conf", []byte(conf), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	return cfg.Services[0].Log
}

func BenchmarkCapture(b *testing.B) {
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"plain", []string{"compress = none"}},
		{"timestamps", []string{"compress = none", "timestamps = rfc3339"}},
		{"gzip", []string{"compress = gzip"}},
		{"zstd", []string{"compress = zstd"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir, err := os.MkdirTemp("/dev/shm", "sinkprof.")
			if err != nil {
				dir = b.TempDir()
			}
			defer os.RemoveAll(dir)
			f, err := numbered.NewFormat(199)
			if err != nil {
				b.Fatal(err)
			}
			// Lines straddle writes as stdio buffers them: a 64-line
			// pattern cut into 8 KiB pieces at a moving offset.
			var data []byte
			s := numbered.NewStream(f, 0)
			for seq := uint64(0); len(data) < 4*writeSize; seq++ {
				data = append(data, s.Group(seq)...)
			}
			m := sink.NewManager(sink.Options{})
			l, err := m.Open("gen", policy(b, dir, tc.keys...))
			if err != nil {
				b.Fatal(err)
			}
			c, err := l.Attach(false)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(writeSize)
			b.ReportAllocs()
			b.ResetTimer()
			off := 0
			for i := 0; i < b.N; i++ {
				if _, err := c.Stdout.Write(data[off : off+writeSize]); err != nil {
					b.Fatal(err)
				}
				off = (off + writeSize) % (len(data) - writeSize)
			}
			c.CloseChildEnds()
			<-c.Done()
			if err := m.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if st := l.Stats(); st.BytesWritten < int64(b.N)*writeSize*9/10 {
				b.Fatalf("wrote %d bytes of %d", st.BytesWritten, int64(b.N)*writeSize)
			}
			if _, err := os.Stat(filepath.Join(dir, "gen.log")); err != nil {
				b.Fatal(err)
			}
		})
	}
}
