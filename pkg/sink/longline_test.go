package sink

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// splitRef is the reference for max_line splitting of ASCII text: each line
// is cut into pieces of max bytes, every piece but the last followed by
// `\`, and a last line without newline gets one.
func splitRef(in []byte, max int) []byte {
	var out []byte
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		var line []byte
		if i < 0 {
			line, in = in, nil
		} else {
			line, in = in[:i], in[i+1:]
		}
		for len(line) > max {
			out = append(out, line[:max]...)
			out = append(out, '\\', '\n')
			line = line[max:]
		}
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out
}

// TestLongLinesThroughCapture checks the fast path's one shortcut (only the
// first line of a read can exceed max_line) against the reference, with
// lines from empty to three times the read size, written in random pieces.
func TestLongLinesThroughCapture(t *testing.T) {
	for _, max := range []int{readSize, 100 << 10, 1000} {
		dir := t.TempDir()
		p := policy(dir)
		p.MaxLine = max
		m := newManager(t, Options{})
		l, err := m.Open("svc", p)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(max), 3))
		var in []byte
		for len(in) < 4<<20 {
			n := rng.IntN(3 * readSize)
			if rng.IntN(4) > 0 {
				n = rng.IntN(300)
			}
			for i := 0; i < n; i++ {
				in = append(in, byte('a'+rng.IntN(26)))
			}
			in = append(in, '\n')
		}
		in = append(in, "tail without newline"...)
		c, err := l.Attach(false)
		if err != nil {
			t.Fatal(err)
		}
		for rest := in; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(200<<10))
			if _, err := c.Stdout.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		c.CloseChildEnds()
		waitDone(t, c)
		got := []byte(read(t, p.Path))
		if want := splitRef(in, max); !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("max_line %d: output differs at byte %d of %d (want %d bytes)", max, i, len(got), len(want))
		}
		l.Close()
	}
}
