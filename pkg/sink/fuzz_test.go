package sink

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// FuzzFramer feeds arbitrary service output through the framer in random
// read sizes, under a policy chosen by the fuzzer, and checks what must hold
// for any input: output is whole lines only; no output line is longer than
// max_line (plus its timestamp and the `\` of a split); nothing but framing
// is added or lost; strip_ansi leaves no ESC and collapse no `\r`; the
// console copy carries the same lines with the `NAME | ` prefix; and where
// the policy does not depend on read boundaries, the result does not either.
//
// flags: bit 0 collapse, bit 1 strip_ansi, bit 2 console copy, bit 3
// console only, bits 4-5 timestamps (none, rfc3339, unix).
func FuzzFramer(f *testing.F) {
	f.Add([]byte("a\nb\n"), uint8(0), uint16(0), uint64(1))
	f.Add([]byte("abcdefghij\nxy"), uint8(0), uint16(4), uint64(2))
	f.Add([]byte("abcé\xe2\x82\xac\xf0\x9f\x98\x80\n"), uint8(0), uint16(4), uint64(3))
	f.Add([]byte("\r 10%\r 50%\r100% done\nnext\r\n"), uint8(1), uint16(0), uint64(4))
	f.Add([]byte("\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x1b(B\x1b=\n\x1b[3"), uint8(2), uint16(8), uint64(5))
	f.Add([]byte("x\\\ny\\\n\\"), uint8(0x14), uint16(1), uint64(6))
	f.Add([]byte("\r\r\r\n\n\r"), uint8(0x2f), uint16(2), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, maxLine uint16, seed uint64) {
		pol := config.LogPolicy{
			Mode:             config.LogFile,
			MaxLine:          int(maxLine % 300), // 0: the default, 64K
			ProgressInterval: 10 * time.Second,
			CollapseProgress: flags&1 != 0,
			StripANSI:        flags&2 != 0,
			Console:          flags&4 != 0,
			Timestamps:       config.Timestamps((flags >> 4) % 3),
		}
		if flags&8 != 0 {
			pol.Mode, pol.Console = config.LogConsole, false
		}
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		file, console := fuzzFrame(&pol, data, func() int { return rng.IntN(len(data) + 1) })

		// The clock stands at the epoch (see fuzzFrame).
		tsLen := map[config.Timestamps]int{config.TimestampsNone: 0,
			config.TimestampsRFC3339: len("1970-01-01T00:00:00.000Z "),
			config.TimestampsUnix:    len("0.000 ")}[pol.Timestamps]
		max := maxLineOf(&pol)
		if pol.Mode == config.LogConsole {
			if len(file) != 0 {
				t.Fatalf("console-only policy wrote %d bytes to the file", len(file))
			}
			file = fuzzUnprefix(t, console)
		} else if pol.Console {
			if got := fuzzUnprefix(t, console); !bytes.Equal(got, file) {
				t.Fatalf("console copy differs from the file:\nfile    %q\nconsole %q", file, got)
			}
		} else if len(console) != 0 {
			t.Fatalf("console written without console policy: %q", console)
		}
		if len(file) > 0 && file[len(file)-1] != '\n' {
			t.Fatalf("output ends in a partial line: %q", fuzzTail(file))
		}
		var content []byte
		for _, l := range bytes.SplitAfter(file, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			if len(l) < tsLen+1 {
				t.Fatalf("line %q shorter than its timestamp", l)
			}
			body := l[tsLen : len(l)-1]
			if pol.Timestamps == config.TimestampsRFC3339 && !bytes.HasPrefix(l, []byte("1970-01-01T00:00:00.000Z ")) {
				t.Fatalf("line %q lacks its rfc3339 timestamp", l)
			}
			if pol.Timestamps == config.TimestampsUnix && !bytes.HasPrefix(l, []byte("0.000 ")) {
				t.Fatalf("line %q lacks its unix timestamp", l)
			}
			// A split piece is max bytes (fewer to keep UTF-8 whole) plus `\`.
			if len(body) > max+1 || (len(body) == max+1 && body[max] != '\\') {
				t.Fatalf("line of %d bytes exceeds max_line %d: %q", len(body), max, fuzzTail(body))
			}
			content = append(content, body...)
		}
		if pol.StripANSI && bytes.IndexByte(file, 0x1b) >= 0 {
			t.Fatalf("strip_ansi left an ESC: %q", fuzzTail(file))
		}
		if pol.CollapseProgress && bytes.IndexByte(content, '\r') >= 0 {
			t.Fatalf("collapse left a carriage return: %q", fuzzTail(file))
		}
		if !pol.CollapseProgress && !pol.StripANSI {
			// Only framing is added: the bytes other than newlines and
			// the split marker are the input's, in order.
			want := fuzzStripFraming(data)
			if got := fuzzStripFraming(content); !bytes.Equal(got, want) {
				t.Fatalf("content changed:\nin  %q\nout %q", fuzzTail(want), fuzzTail(got))
			}
			// Reads may end anywhere; the result must not depend on where.
			whole, _ := fuzzFrame(&pol, data, func() int { return len(data) })
			if pol.Mode == config.LogConsole {
				_, wc := fuzzFrame(&pol, data, func() int { return len(data) })
				whole = fuzzUnprefix(t, wc)
			}
			if !bytes.Equal(whole, file) {
				t.Fatalf("output depends on read boundaries:\none read %q\nchunked  %q", fuzzTail(whole), fuzzTail(file))
			}
		}
		if pol.CollapseProgress || pol.StripANSI {
			// Lines may only shrink: never more lines out than in, plus
			// split pieces, the newline added to a partial last line, and
			// (collapse) at most one kept intermediate state per `\r`.
			in := bytes.Count(data, []byte("\n")) + 1
			if pol.CollapseProgress {
				in += bytes.Count(data, []byte("\r"))
			}
			splits := bytes.Count(file, []byte("\\\n"))
			if out := bytes.Count(file, []byte("\n")); out > in+splits {
				t.Fatalf("%d lines out of %d in (+%d splits)", out, in, splits)
			}
		}
	})
}

// fuzzFrame runs data through a framer as a capture reader does: reads of
// the sizes next returns, the pending partial line carried over, and a
// newline added to a partial last line at EOF. The clock stands still, so
// timestamps are predictable.
func fuzzFrame(pol *config.LogPolicy, data []byte, next func() int) (file, console []byte) {
	var out, con bytes.Buffer
	f := &framer{name: "svc", sink: func(o, c []byte) { out.Write(o); con.Write(c) }}
	var pending []byte
	for len(data) > 0 {
		n := min(max(next(), 1), len(data))
		f.begin(pol, time.Unix(0, 0))
		pending = append([]byte(nil), f.frame(append(pending, data[:n]...))...)
		data = data[n:]
	}
	if len(pending) > 0 {
		f.begin(pol, time.Unix(0, 0))
		if rest := f.frame(append(pending, '\n')); len(rest) != 0 {
			panic("framer kept a partial line after a newline")
		}
	}
	return out.Bytes(), con.Bytes()
}

// unprefix checks that every console line starts with "svc | " and returns
// the lines without it.
func fuzzUnprefix(t *testing.T, console []byte) []byte {
	t.Helper()
	var out []byte
	for _, l := range bytes.SplitAfter(console, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		rest, ok := bytes.CutPrefix(l, []byte("svc | "))
		if !ok {
			t.Fatalf("console line without its prefix: %q", l)
		}
		out = append(out, rest...)
	}
	return out
}

func fuzzStripFraming(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\n' && c != '\\' {
			out = append(out, c)
		}
	}
	return out
}

func fuzzTail(b []byte) []byte {
	if len(b) > 200 {
		return b[len(b)-200:]
	}
	return b
}
