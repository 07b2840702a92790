package logread

import (
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// BenchmarkRead measures `supervise logs` throughput over one archive of
// 80-byte timestamped lines, by compression, with and without filters.
func BenchmarkRead(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 8<<20; i++ {
		sb.WriteString("2026-11-28T21:45:00.123Z step 1234 loss 0.0123 lr 3e-4 throughput 1234.5 tokens/s ok\n")
	}
	content := sb.String()
	for _, ext := range []string{"", ".gz", ".zst"} {
		for _, q := range []struct {
			name string
			q    Query
		}{
			{"all", Query{Lines: -1}},
			{"grep+since", Query{Lines: -1, Grep: regexp.MustCompile(`loss 0\.01`), Since: base}},
		} {
			name := "plain"
			if ext != "" {
				name = ext[1:]
			}
			b.Run(name+"/"+q.name, func(b *testing.B) {
				dir := b.TempDir()
				writeSeg(b, dir, "x.log.1"+ext, content, base)
				segs, err := Segments(filepath.Join(dir, "x.log"))
				if err != nil || len(segs) != 1 {
					b.Fatal(err, segs)
				}
				b.SetBytes(int64(len(content)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := Read(io.Discard, segs, q.q, func(err error) { b.Fatal(err) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
