// Package numbered is the line format the benchmark writes and the checker
// that proves every line arrived exactly once, whole and in order.
//
// A line is a 10-digit sequence number, a space, a filler that depends on the
// number, and a newline; every line of a stream has the same length. Because
// the filler shifts with the number, a line spliced from two others, a torn
// fragment or a line with a byte changed never matches its expected form.
package numbered

import (
	"fmt"
	"strconv"
)

const (
	seqDigits = 10
	// MinLen is the shortest line: the number, a space, one filler byte and
	// the newline.
	MinLen = seqDigits + 3
	// alphabet drives the filler; its length is the period of the shift.
	alphabet = "abcdefghijklmnopqrstuvwxyz"
)

// Format describes one stream of numbered lines.
type Format struct {
	LineLen int // bytes per line including the newline
	pattern []byte
}

// NewFormat returns the format of lines lineLen bytes long.
func NewFormat(lineLen int) (Format, error) {
	if lineLen < MinLen {
		return Format{}, fmt.Errorf("numbered: line length %d is below the minimum %d", lineLen, MinLen)
	}
	filler := lineLen - seqDigits - 2
	p := make([]byte, filler+len(alphabet))
	for i := range p {
		p[i] = alphabet[i%len(alphabet)]
	}
	return Format{LineLen: lineLen, pattern: p}, nil
}

// PayloadLen is the length of a line without its newline.
func (f Format) PayloadLen() int { return f.LineLen - 1 }

// Append appends line seq, newline included, to dst.
func (f Format) Append(dst []byte, seq uint64) []byte {
	var num [20]byte
	digits := strconv.AppendUint(num[:0], seq, 10)
	for i := len(digits); i < seqDigits; i++ {
		dst = append(dst, '0')
	}
	dst = append(dst, digits...)
	dst = append(dst, ' ')
	filler := f.LineLen - seqDigits - 2
	off := int(seq % uint64(len(alphabet)))
	dst = append(dst, f.pattern[off:off+filler]...)
	return append(dst, '\n')
}

// Parse returns the sequence number of payload (a line without its newline)
// and whether the payload is exactly the line that number should be.
func (f Format) Parse(payload []byte) (uint64, bool) {
	if len(payload) != f.PayloadLen() || payload[seqDigits] != ' ' {
		return 0, false
	}
	var seq uint64
	for _, c := range payload[:seqDigits] {
		if c < '0' || c > '9' {
			return 0, false
		}
		seq = seq*10 + uint64(c-'0')
	}
	off := int(seq % uint64(len(alphabet)))
	filler := payload[seqDigits+1:]
	if string(filler) != string(f.pattern[off:off+len(filler)]) {
		return seq, false
	}
	return seq, true
}

// Lines is how many whole lines fit in size bytes (at least one).
func (f Format) Lines(size int64) uint64 {
	n := size / int64(f.LineLen)
	if n < 1 {
		n = 1
	}
	return uint64(n)
}
