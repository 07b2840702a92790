package linecheck

import (
	"bytes"
	"strings"
	"testing"
)

func TestLineSizes(t *testing.T) {
	for _, size := range []int{0, 10, MinSize(3), 99, 100, 101, 199, 1000, 65537} {
		b := Line(nil, "out", 42, size)
		want := max(size, MinSize(3))
		if len(b) != want {
			t.Errorf("size %d: got %d bytes %q", size, len(b), b)
		}
		if _, seq, ok := parse(b[:len(b)-1]); !ok || seq != 42 {
			t.Errorf("size %d: does not parse back: %q", size, b)
		}
	}
}

func gen(streams []string, n uint64, size int) []byte {
	var b []byte
	for i := uint64(0); i < n; i++ {
		for _, s := range streams {
			b = Line(b, s, i, size+int(i%7))
		}
	}
	return b
}

func TestCheckerClean(t *testing.T) {
	c := New(map[string]uint64{"out": 100, "err": 100})
	data := gen([]string{"out", "err"}, 100, 199)
	data = append([]byte("supervise: dropped 0 bytes (disk low)\n"), data...)
	if err := c.Read(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r := c.Report()
	if !r.OK() || r.Lines != 200 || r.Markers != 1 {
		t.Fatalf("clean input: %s", r.String())
	}
}

func TestCheckerFindsFaults(t *testing.T) {
	line := func(seq uint64) string { return string(Line(nil, "out", seq, 80)) }
	tests := []struct {
		name  string
		input string
		check func(r Report) bool
	}{
		{"missing", line(0) + line(2), func(r Report) bool { return r.Missing == 1 && r.Streams["out"].FirstGap == 1 }},
		{"missing at end", line(0) + line(1), func(r Report) bool { return r.Missing == 1 }},
		{"duplicate", line(0) + line(1) + line(1) + line(2), func(r Report) bool { return r.Duplicated == 1 }},
		{"out of order", line(0) + line(2) + line(1), func(r Report) bool { return r.OutOfOrder == 1 && r.Missing == 0 }},
		{"torn short", line(0) + line(1)[:40] + "\n" + line(2), func(r Report) bool { return r.Torn == 1 && r.Missing == 1 }},
		{"glued", line(0) + line(1)[:40] + line(2), func(r Report) bool { return r.Torn == 1 && r.Missing == 2 }},
		{"no final newline", line(0) + line(1) + strings.TrimSuffix(line(2), "\n"), func(r Report) bool { return r.Torn == 1 }},
		{"flipped byte", line(0) + strings.Replace(line(1), "x", "y", 1) + line(2), func(r Report) bool { return r.Torn == 1 }},
		{"timestamps", "2026-11-28T21:45:00.123Z " + line(0) + "1795902300.123 " + line(1) + line(2), func(r Report) bool { return r.OK() && r.Lines == 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(map[string]uint64{"out": 3})
			if err := c.Read(strings.NewReader(tt.input)); err != nil {
				t.Fatal(err)
			}
			r := c.Report()
			if !tt.check(r) {
				t.Fatalf("unexpected report: %s", r.String())
			}
			if tt.name != "timestamps" && r.OK() {
				t.Fatalf("fault not reported")
			}
		})
	}
}
