package sink

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/supervise/supervise/internal/config"
)

// readSize is how much a capture reader asks for per read.
const readSize = 64 << 10

// defaultMaxLine applies when a policy carries no max_line.
const defaultMaxLine = 64 << 10

func maxLineOf(p *config.LogPolicy) int {
	if p.MaxLine <= 0 {
		return defaultMaxLine
	}
	return p.MaxLine
}

// plain reports whether a policy needs no per-line work: then a chunk is
// written up to its last newline in one write, without copying.
func plain(p *config.LogPolicy) bool {
	return p.Mode == config.LogFile && !p.Console && p.Timestamps == config.TimestampsNone &&
		!p.CollapseProgress && !p.StripANSI && maxLineOf(p) >= readSize
}

// framer does the per-line work of the features: progress collapse, ANSI
// stripping, long-line splitting, timestamps and the console copy. It
// builds whole output lines in reused buffers (no allocation per line in
// steady state) and hands them to sink in batches that end on a newline.
type framer struct {
	pol  *config.LogPolicy
	name string
	now  time.Time

	out     []byte // output lines for the file
	console []byte // "NAME | " lines for the console
	scratch []byte // one line after ANSI stripping
	sink    func(out, console []byte)

	lastKept time.Time // collapse: when an intermediate state was last kept

	// The formatted timestamp of tsAt, reformatted only when the chunk's
	// clock reading moves to another millisecond.
	ts   []byte
	tsAt int64
}

const flushAt = 128 << 10

// begin starts a chunk with its one clock reading.
func (f *framer) begin(pol *config.LogPolicy, now time.Time) {
	f.pol, f.now = pol, now
	f.out, f.console = f.out[:0], f.console[:0]
	if pol.Timestamps != config.TimestampsNone {
		f.stamp(now)
	}
}

func (f *framer) flush() {
	if len(f.out) > 0 || len(f.console) > 0 {
		f.sink(f.out, f.console)
	}
	f.out, f.console = f.out[:0], f.console[:0]
}

// frame processes data (complete lines, then possibly a partial line) and
// returns the partial line left to wait for its newline; it may be a
// shortened suffix of the original partial line (collapse, splitting).
func (f *framer) frame(data []byte) []byte {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		f.line(data[:i])
		data = data[i+1:]
	}
	if f.pol.CollapseProgress {
		data = f.collapsePartial(data)
	}
	max := maxLineOf(f.pol)
	for len(data) > max {
		cut := splitPoint(data, max)
		piece := data[:cut]
		if f.pol.StripANSI {
			f.scratch = stripANSI(f.scratch[:0], piece)
			piece = f.scratch
		}
		f.emit(piece, true)
		data = data[cut:]
	}
	f.flush()
	return data
}

// line handles one complete line (without its newline).
func (f *framer) line(b []byte) {
	if f.pol.CollapseProgress {
		b = finalState(b)
	}
	max := maxLineOf(f.pol)
	if f.pol.StripANSI {
		f.scratch = stripANSI(f.scratch[:0], b)
		b = f.scratch
	}
	for len(b) > max {
		cut := splitPoint(b, max)
		f.emit(b[:cut], true)
		b = b[cut:]
	}
	f.emit(b, false)
}

// emit appends one output line; cont marks a piece of a split line, which
// ends with `\` before the newline.
func (f *framer) emit(b []byte, cont bool) {
	if len(f.out)+len(b)+len(f.ts)+2 > flushAt || len(f.console)+len(f.name)+len(b)+len(f.ts)+5 > flushAt {
		f.flush()
	}
	if f.pol.Mode == config.LogFile {
		f.out = f.appendLine(f.out, b, cont)
	}
	if f.pol.Mode == config.LogConsole || f.pol.Console {
		f.console = append(f.console, f.name...)
		f.console = append(f.console, " | "...)
		f.console = f.appendLine(f.console, b, cont)
	}
}

func (f *framer) appendLine(dst, b []byte, cont bool) []byte {
	if f.pol.Timestamps != config.TimestampsNone {
		dst = append(dst, f.ts...)
	}
	dst = append(dst, b...)
	if cont {
		dst = append(dst, '\\')
	}
	return append(dst, '\n')
}

// stamp formats the chunk's time once: rfc3339 `2026-11-28T21:45:00.123Z `
// (UTC, milliseconds) or unix `1795902300.123 `.
func (f *framer) stamp(now time.Time) {
	ms := now.UnixMilli()
	if ms == f.tsAt && len(f.ts) > 0 {
		return
	}
	f.tsAt = ms
	f.ts = f.ts[:0]
	if f.pol.Timestamps == config.TimestampsUnix {
		f.ts = strconv.AppendInt(f.ts, ms/1000, 10)
		f.ts = append(f.ts, '.', byte('0'+ms%1000/100), byte('0'+ms%100/10), byte('0'+ms%10), ' ')
		return
	}
	f.ts = now.UTC().AppendFormat(f.ts, "2006-01-02T15:04:05.000Z")
	f.ts = append(f.ts, ' ')
}

// collapsePartial drops the states of a progress line that were already
// rewritten with `\r`, keeping one intermediate state per
// progress_interval, and returns the current state still being written.
func (f *framer) collapsePartial(data []byte) []byte {
	j := bytes.LastIndexByte(data, '\r')
	if j < 0 {
		return data
	}
	prev := data[:j]
	if k := bytes.LastIndexByte(prev, '\r'); k >= 0 {
		prev = prev[k+1:]
	}
	if len(prev) > 0 && (f.lastKept.IsZero() || f.now.Sub(f.lastKept) >= f.pol.ProgressInterval) {
		f.lastKept = f.now
		f.line(prev)
	}
	return data[j+1:]
}

// finalState is the form a `\r`-rewritten line was left in: the text after
// the last carriage return, ignoring carriage returns at the very end (a
// CRLF line ending, or a bar that returns before its newline).
func finalState(b []byte) []byte {
	end := len(b)
	for end > 0 && b[end-1] == '\r' {
		end--
	}
	b = b[:end]
	if k := bytes.LastIndexByte(b, '\r'); k >= 0 {
		return b[k+1:]
	}
	return b
}

// splitPoint is where to cut a too-long line: at max bytes, moved back to
// the start of a UTF-8 sequence so a character is never cut in half.
func splitPoint(b []byte, max int) int {
	cut := max
	for i := 0; i < utf8.UTFMax-1 && cut > 1 && !utf8.RuneStart(b[cut]); i++ {
		cut--
	}
	if !utf8.RuneStart(b[cut]) {
		return max
	}
	return cut
}

// stripANSI appends src to dst without ANSI escape sequences: CSI
// (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), DCS/SOS/PM/APC strings,
// charset designations (ESC ( B) and two-byte escapes. A sequence cut off by
// the end of the line is dropped as far as it goes.
func stripANSI(dst, src []byte) []byte {
	for len(src) > 0 {
		i := bytes.IndexByte(src, 0x1b)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		src = src[i+1:]
		if len(src) == 0 {
			return dst
		}
		switch c := src[0]; {
		case c == '[':
			j := 1
			for j < len(src) && src[j] >= 0x20 && src[j] <= 0x3f {
				j++
			}
			if j < len(src) && src[j] >= 0x40 && src[j] <= 0x7e {
				j++
			}
			src = src[j:]
		case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
			j := 1
			for ; j < len(src); j++ {
				if src[j] == 0x07 && c == ']' {
					j++
					break
				}
				if src[j] == 0x1b && j+1 < len(src) && src[j+1] == '\\' {
					j += 2
					break
				}
			}
			src = src[j:]
		case c >= 0x20 && c <= 0x2f: // ESC ( B and other designations
			j := 1
			for j < len(src) && src[j] >= 0x20 && src[j] <= 0x2f {
				j++
			}
			if j < len(src) {
				j++
			}
			src = src[j:]
		default:
			src = src[1:]
		}
	}
	return dst
}
