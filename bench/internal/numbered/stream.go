package numbered

import "fmt"

// Stream is what the generator writes for each numbered line: the line
// itself or, in a tqdm-like stream, the progress states that precede it on
// the same terminal line, each after a "\r" as tqdm writes them.
type Stream struct {
	f    Format
	tqdm int
	// tmpl is the progress states for line 0 ending in "\r"; seqAt are the
	// offsets of its 10-digit line numbers, patched for each line so the
	// generator is never the bottleneck.
	tmpl  []byte
	seqAt []int
	buf   []byte
}

// NewStream returns a stream of lines of format f with tqdm progress states
// before each (0: plain lines).
func NewStream(f Format, tqdm int) *Stream {
	s := &Stream{f: f, tqdm: tqdm}
	const width = 20
	for i := 1; i <= tqdm; i++ {
		s.tmpl = append(s.tmpl, '\r')
		s.tmpl = append(s.tmpl, ProgressMarker...)
		s.seqAt = append(s.seqAt, len(s.tmpl))
		done := width * i / (tqdm + 1)
		s.tmpl = fmt.Appendf(s.tmpl, "%0*d %3d%%|%-*s| %d/%d", seqDigits, 0,
			100*i/(tqdm+1), width, bar[:done], i, tqdm+1)
	}
	if tqdm > 0 {
		s.tmpl = append(s.tmpl, '\r')
	}
	return s
}

// Lines is how many numbered lines a stream of at most total bytes holds
// (at least one).
func (s *Stream) Lines(total int64) uint64 {
	n := total / int64(len(s.tmpl)+s.f.LineLen)
	if n < 1 {
		n = 1
	}
	return uint64(n)
}

// Group returns the bytes for line seq; the slice is reused by the next call.
func (s *Stream) Group(seq uint64) []byte {
	b := append(s.buf[:0], s.tmpl...)
	if len(s.seqAt) > 0 {
		var digits [seqDigits]byte
		v := seq
		for i := seqDigits - 1; i >= 0; i-- {
			digits[i] = byte('0' + v%10)
			v /= 10
		}
		for _, at := range s.seqAt {
			copy(b[at:], digits[:])
		}
	}
	b = s.f.Append(b, seq)
	s.buf = b
	return b
}

const bar = "####################"
