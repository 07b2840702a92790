package sink

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/linecheck"
)

// BenchmarkSinkWrite measures the whole capture path: a writer fills the
// pipe with lines in 64 KiB writes (a service with buffered stdout), the
// reader frames them and appends them to the live file, rotating every 64
// MiB with the named compression in the background. One op is one line.
func BenchmarkSinkWrite(b *testing.B) {
	for _, size := range []int{80, 4096} {
		for _, comp := range []struct {
			name string
			c    config.Compression
		}{{"none", config.CompressNone}, {"gzip", config.CompressGzip}, {"zstd", config.CompressZstd}} {
			name := fmt.Sprintf("%dB/%s", size, comp.name)
			if size == 4096 {
				name = "4KiB/" + comp.name
			}
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				m := NewManager(Options{})
				defer m.Close()
				p := policy(dir)
				p.RotateSize = 64 << 20
				p.Keep = 2
				p.Compress = comp.c
				l, err := m.Open("bench", p)
				if err != nil {
					b.Fatal(err)
				}
				c, err := l.Attach(false)
				if err != nil {
					b.Fatal(err)
				}
				writeBench(b, c.Stdout, size)
				c.CloseChildEnds()
				<-c.Done()
				b.StopTimer()
				if got := l.Stats().BytesWritten; got != int64(b.N*size) {
					b.Fatalf("wrote %d bytes, want %d", got, b.N*size)
				}
			})
		}
	}
}

// BenchmarkCopyBaseline is what BenchmarkSinkWrite is measured against:
// the same writer and pipe, and a reader that only copies 64 KiB reads into
// a file (what `cat` would do), with no framing and no rotation (the file
// is emptied every 64 MiB instead).
func BenchmarkCopyBaseline(b *testing.B) {
	for _, size := range []int{80, 4096} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "copy.log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			pr, pw, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := unix.FcntlInt(pr.Fd(), unix.F_SETPIPE_SZ, pipeSize); err != nil {
				b.Fatal(err)
			}
			pw.Fd() // blocking, like the child's end in BenchmarkSinkWrite
			done := make(chan int64)
			go func() {
				n, _ := io.CopyBuffer(&truncating{f: f}, pr, make([]byte, readSize))
				pr.Close()
				done <- n
			}()
			writeBench(b, pw, size)
			pw.Close()
			if n := <-done; n != int64(b.N*size) {
				b.Fatalf("copied %d", n)
			}
		})
	}
}

// BenchmarkFramer measures the per-line work of each feature on 64 KiB
// chunks of 80-byte lines (the plain path does none of it).
func BenchmarkFramer(b *testing.B) {
	var chunk []byte
	for i := uint64(0); len(chunk)+80 <= 64<<10; i++ {
		chunk = linecheck.Line(chunk, "out", i, 80)
	}
	colored := bytes.ReplaceAll(chunk, []byte("out "), []byte("\x1b[32mout\x1b[0m "))
	progress := bytes.ReplaceAll(chunk, []byte("\n"), []byte("\r"))
	progress = append(progress[:len(progress)-1], '\n')
	base := config.LogPolicy{Mode: config.LogFile, MaxLine: 64 << 10, ProgressInterval: 10 * time.Second}
	for _, tc := range []struct {
		name string
		data []byte
		set  func(p *config.LogPolicy)
	}{
		{"max_line", chunk, func(p *config.LogPolicy) { p.MaxLine = 4096 }},
		{"timestamps", chunk, func(p *config.LogPolicy) { p.Timestamps = config.TimestampsRFC3339 }},
		{"collapse", progress, func(p *config.LogPolicy) { p.CollapseProgress = true }},
		{"strip_ansi", colored, func(p *config.LogPolicy) { p.StripANSI = true }},
		{"all", colored, func(p *config.LogPolicy) {
			p.Timestamps, p.CollapseProgress, p.StripANSI = config.TimestampsUnix, true, true
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := base
			tc.set(&p)
			var written int
			f := &framer{name: "bench", sink: func(o, _ []byte) { written += len(o) }}
			now := time.Unix(1795902300, 0)
			b.SetBytes(int64(len(tc.data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Millisecond)
				f.begin(&p, now)
				if rest := f.frame(tc.data); len(rest) != 0 {
					b.Fatalf("left %d bytes", len(rest))
				}
			}
			if written == 0 {
				b.Fatal("nothing written")
			}
		})
	}
}

// BenchmarkGzip compares klauspost's gzip with the standard library's at
// the same level (6, the default) on log lines, and zstd's default level.
func BenchmarkGzip(b *testing.B) {
	var data []byte
	for i := uint64(0); len(data) < 4<<20; i++ {
		data = fmt.Appendf(data, "2026-11-28T21:45:%02d.%03dZ INFO step=%d loss=%.4f lr=3e-4 ", i%60, i%1000, i, 1/float64(i+1))
		data = linecheck.Line(data, "out", i, 60)
	}
	for _, tc := range []struct {
		name string
		new  func(io.Writer) io.WriteCloser
	}{
		{"klauspost", func(w io.Writer) io.WriteCloser { z, _ := kgzip.NewWriterLevel(w, 6); return z }},
		{"stdlib", func(w io.Writer) io.WriteCloser { z, _ := stdgzip.NewWriterLevel(w, 6); return z }},
		{"zstd", func(w io.Writer) io.WriteCloser {
			z, _ := zstd.NewWriter(w, zstdOptions...)
			return z
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var out int
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var buf countWriter
				z := tc.new(&buf)
				z.Write(data)
				if err := z.Close(); err != nil {
					b.Fatal(err)
				}
				out = int(buf)
			}
			b.ReportMetric(float64(len(data))/float64(out), "ratio")
		})
	}
}

// truncating empties its file every 64 MiB, as rotation with a small keep
// does, so that the baseline is not slowed by dirty-page writeback that the
// sink (which deletes old archives) does not pay either.
type truncating struct {
	f *os.File
	n int64
}

func (t *truncating) Write(p []byte) (int, error) {
	if t.n >= 64<<20 {
		if err := t.f.Truncate(0); err != nil {
			return 0, err
		}
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		t.n = 0
	}
	n, err := t.f.Write(p)
	t.n += int64(n)
	return n, err
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// writeBench writes b.N lines of size bytes to w, as 64 KiB blocks of whole
// lines written again and again, and starts the benchmark's clock.
func writeBench(b *testing.B, w io.Writer, size int) {
	var block []byte
	for i := uint64(0); len(block)+size <= 64<<10; i++ {
		block = linecheck.Line(block, "out", i, size)
	}
	perBlock := bytes.Count(block, []byte("\n"))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += perBlock {
		k := min(perBlock, b.N-n)
		if _, err := w.Write(block[:k*size]); err != nil {
			b.Fatal(err)
		}
	}
}
