package numbered

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func mustFormat(t *testing.T, n int) Format {
	t.Helper()
	f, err := NewFormat(n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// lines returns lines [from, to) of format f.
func lines(f Format, from, to uint64) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = f.Append(b, i)
	}
	return b
}

func TestFormatRoundTrip(t *testing.T) {
	f := mustFormat(t, 199)
	for _, seq := range []uint64{0, 1, 25, 26, 9999999999} {
		line := f.Append(nil, seq)
		if len(line) != 199 || line[198] != '\n' {
			t.Fatalf("line %d: length %d, last byte %q", seq, len(line), line[len(line)-1])
		}
		got, ok := f.Parse(line[:198])
		if !ok || got != seq {
			t.Errorf("Parse(line %d) = %d, %v", seq, got, ok)
		}
	}
	if _, err := NewFormat(MinLen - 1); err == nil {
		t.Error("NewFormat accepted a line too short for a number")
	}
}

func TestParseRejectsDamage(t *testing.T) {
	f := mustFormat(t, 40)
	a := f.Append(nil, 7)
	b := f.Append(nil, 8)
	spliced := append(append([]byte{}, a[:20]...), b[20:39]...)
	changed := append([]byte{}, a[:39]...)
	changed[30] ^= 1
	for name, p := range map[string][]byte{
		"short":   a[:38],
		"long":    append(append([]byte{}, a[:39]...), 'x'),
		"spliced": spliced,
		"changed": changed,
		"letters": []byte(strings.Repeat("x", 39)),
	} {
		if _, ok := f.Parse(p); ok {
			t.Errorf("%s: Parse accepted %q", name, p)
		}
	}
}

func check(t *testing.T, f Format, want uint64, opt Options, files ...[]byte) Result {
	t.Helper()
	c := NewChecker(f, want, opt)
	for _, b := range files {
		if err := c.Feed(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	return c.Finish()
}

func TestChecker(t *testing.T) {
	f := mustFormat(t, 30)
	all := lines(f, 0, 10)
	L := f.LineLen
	swapped := append(append(append([]byte{}, lines(f, 0, 3)...), lines(f, 4, 5)...), lines(f, 3, 4)...)
	swapped = append(swapped, lines(f, 5, 10)...)
	tests := []struct {
		name   string
		opt    Options
		files  [][]byte
		want   Result
		intact bool
	}{
		{"whole", Options{}, [][]byte{all}, Result{Files: 1, OK: 10}, true},
		{"rotated between lines", Options{}, [][]byte{all[:3*L], all[3*L:]}, Result{Files: 2, OK: 10}, true},
		// supervisord's rotation: a line split across two files is torn
		// at the end of one and bad at the start of the next.
		{"split across files", Options{}, [][]byte{all[:3*L+5], all[3*L+5:]},
			Result{Files: 2, OK: 9, Missing: 1, Torn: 1, Bad: 1}, false},
		{"lost lines", Options{}, [][]byte{append(lines(f, 0, 4), lines(f, 6, 10)...)},
			Result{Files: 1, OK: 8, Missing: 2}, false},
		{"lost tail", Options{}, [][]byte{lines(f, 0, 7)}, Result{Files: 1, OK: 7, Missing: 3}, false},
		{"duplicated", Options{}, [][]byte{append(lines(f, 0, 5), lines(f, 4, 10)...)},
			Result{Files: 1, OK: 10, OutOfOrder: 1}, false},
		{"swapped", Options{}, [][]byte{swapped}, Result{Files: 1, OK: 9, Missing: 1, OutOfOrder: 1}, false},
		{"beyond the stream", Options{}, [][]byte{lines(f, 0, 11)}, Result{Files: 1, OK: 10, Bad: 1}, false},
		{"prefix not allowed", Options{}, [][]byte{append([]byte("ts "), all...)},
			Result{Files: 1, OK: 9, Missing: 1, Bad: 1}, false},
		{"prefixed", Options{Prefixed: true}, [][]byte{prefix(all, L, "2026-11-29T01:02:03.456Z ")},
			Result{Files: 1, OK: 10}, true},
		{"prefix required", Options{Prefixed: true}, [][]byte{all}, Result{Files: 1, Missing: 10, Bad: 10}, false},
		{"final form of CR and CRLF", Options{FinalForm: true},
			[][]byte{bytes.ReplaceAll(all, []byte("\n"), []byte("\r\n"))}, Result{Files: 1, OK: 10}, true},
		{"progress states kept", Options{}, [][]byte{append([]byte("progress 0000000000 1/2\n"), all...)},
			Result{Files: 1, OK: 10, Intermediate: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var size int64
			for _, b := range tt.files {
				size += int64(len(b))
			}
			tt.want.Bytes = size
			got := check(t, f, 10, tt.opt, tt.files...)
			if got != tt.want {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
			if got.Intact(10) != tt.intact {
				t.Errorf("Intact = %v, want %v", got.Intact(10), tt.intact)
			}
		})
	}
}

func prefix(b []byte, lineLen int, p string) []byte {
	var out []byte
	for i := 0; i < len(b); i += lineLen {
		out = append(out, p...)
		out = append(out, b[i:i+lineLen]...)
	}
	return out
}

func TestTqdmStreamFinalForm(t *testing.T) {
	f := mustFormat(t, 50)
	s := NewStream(f, 3)
	var raw []byte
	n := s.Lines(100 * int64(len(s.Group(0))))
	if n != 100 {
		t.Fatalf("Lines = %d, want 100", n)
	}
	for i := uint64(0); i < n; i++ {
		g := s.Group(i)
		if c := bytes.Count(g, []byte("\r")); c != 4 {
			t.Fatalf("line %d has %d carriage returns, want 4: %q", i, c, g)
		}
		if !bytes.Contains(g, []byte(ProgressMarker+string(f.Append(nil, i)[:10]))) {
			t.Fatalf("line %d: progress states do not carry its number: %q", i, g)
		}
		raw = append(raw, g...)
	}
	got := check(t, f, n, Options{FinalForm: true}, raw)
	if !got.Intact(n) || got.WithCR != n {
		t.Errorf("raw tqdm stream: %v", got)
	}
	// Without the final-form reading, the raw stream is not numbered lines.
	if got := check(t, f, n, Options{}, raw); got.Intact(n) {
		t.Errorf("raw stream read literally passed: %v", got)
	}
}

func TestLayouts(t *testing.T) {
	f := mustFormat(t, 30)
	L := f.LineLen
	all := lines(f, 0, 50)
	dir := t.TempDir()

	// numbered: .3.zst is the oldest, then .2.gz, .1, live; .4.gz.tmp and
	// foreign names are ignored; .2 uncompressed wins over a finished .2.gz.
	live := filepath.Join(dir, "svc.log")
	write(t, live+".3.zst", zstdBytes(t, all[:10*L]))
	write(t, live+".2.gz", gzipBytes(t, all[10*L:20*L]))
	write(t, live+".2", all[10*L:20*L])
	write(t, live+".1", all[20*L:40*L])
	write(t, live, all[40*L:])
	write(t, live+".4.gz.tmp", []byte("junk"))
	write(t, filepath.Join(dir, "svc.log-other"), []byte("junk"))
	write(t, filepath.Join(dir, "other.log.1"), []byte("junk"))
	files, err := Files(Numbered, live)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{live + ".3.zst", live + ".2", live + ".1", live}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("numbered files = %v, want %v", files, wantFiles)
	}
	res, err := CheckLog(f, 50, Options{}, Numbered, live)
	if err != nil || !res.Intact(50) {
		t.Errorf("numbered: %v, %v", res, err)
	}

	// tai64: archive names sort oldest first; current is last; lock and
	// state files are ignored.
	logdir := filepath.Join(dir, "s6")
	if err := os.Mkdir(logdir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(logdir, "@400000006b0b8b5a12923814.s"), all[:25*L])
	write(t, filepath.Join(logdir, "@400000006b0b8b5b00000000.u"), all[25*L:30*L])
	write(t, filepath.Join(logdir, "current"), all[30*L:])
	write(t, filepath.Join(logdir, "lock"), nil)
	write(t, filepath.Join(logdir, "state"), nil)
	res, err = CheckLog(f, 50, Options{}, TAI64, logdir)
	if err != nil || !res.Intact(50) || res.Files != 3 {
		t.Errorf("tai64: %v, %v", res, err)
	}

	if _, err := CheckLog(f, 50, Options{}, Numbered, filepath.Join(dir, "none.log")); err == nil {
		t.Error("a log with no files passed")
	}
	write(t, filepath.Join(dir, "bad.log.1.gz"), []byte("not gzip"))
	if _, err := CheckLog(f, 50, Options{}, Numbered, filepath.Join(dir, "bad.log")); err == nil {
		t.Error("a corrupt archive was read without error")
	}
	if _, err := ParseLayout("bogus"); err == nil {
		t.Error("ParseLayout accepted bogus")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512": 512, "64K": 64 << 10, "400M": 400 << 20, "2G": 2 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1", "1T", "1.5M"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t *testing.T, b []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func BenchmarkChecker(b *testing.B) {
	f, _ := NewFormat(199)
	data := lines(f, 0, 10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewChecker(f, 10000, Options{})
		if err := c.Feed(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if r := c.Finish(); !r.Intact(10000) {
			b.Fatal(r)
		}
	}
}
