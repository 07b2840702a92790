// Package linecheck proves SPEC §4.1 end to end: a generator writes
// numbered lines per stream, and a checker reads a log's archives and live
// file back, oldest first, and reports every line that is missing,
// duplicated, torn (cut, glued to another, or mangled) or out of order
// within its stream.
//
// A line is
//
//	STREAM SEQ SIZE PAD\n
//
// where SEQ is ten digits, SIZE the line's length in bytes including the
// newline, and PAD letters that depend on SEQ and their position, so that a
// line cut short, or the head of one line glued to the tail of another,
// never passes. `supervise: ` marker lines are skipped, and an rfc3339 or
// unix timestamp prefix (SPEC §2 timestamps) is tolerated.
package linecheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/supervise/supervise/pkg/sink/archive"
)

// MinSize is the shortest line Line produces for a stream name of n bytes.
func MinSize(n int) int { return n + 1 + 10 + 1 + 2 + 1 + 1 }

// Line appends one numbered line of exactly size bytes (newline included)
// to dst; a size below the minimum for the header is raised to fit it.
func Line(dst []byte, stream string, seq uint64, size int) []byte {
	start := len(dst)
	dst = append(dst, stream...)
	dst = append(dst, ' ')
	dst = appendSeq(dst, seq)
	dst = append(dst, ' ')
	// SIZE counts its own digits: grow a too-small size until it fits.
	head := len(dst) - start
	for head+digits(size)+2 > size {
		size = head + digits(size) + 2
	}
	dst = strconv.AppendInt(dst, int64(size), 10)
	dst = append(dst, ' ')
	for i := len(dst) - start; i < size-1; i++ {
		dst = append(dst, pad(seq, i))
	}
	return append(dst, '\n')
}

func digits(n int) int { return len(strconv.Itoa(n)) }

func appendSeq(dst []byte, seq uint64) []byte {
	var b [10]byte
	for i := 9; i >= 0; i-- {
		b[i] = byte('0' + seq%10)
		seq /= 10
	}
	return append(dst, b[:]...)
}

func pad(seq uint64, i int) byte { return byte('a' + (seq*7+uint64(i))%26) }

// Stream is what the checker found for one stream.
type Stream struct {
	Lines      int    // well-formed lines
	Missing    int    // sequence numbers never seen (up to the expected count, or the highest seen)
	Duplicated int    // lines seen more than once
	OutOfOrder int    // lines whose number is below the one before them
	Max        uint64 // highest sequence number seen
	FirstGap   int64  // first missing sequence number, -1 if none
	seen       []uint8
	last       uint64
	started    bool
}

// Report sums up a check.
type Report struct {
	Lines      int // well-formed numbered lines, all streams
	Markers    int // `supervise: ` lines skipped
	Torn       int // lines that are not exactly one generated line
	Missing    int
	Duplicated int
	OutOfOrder int
	Streams    map[string]*Stream
	Files      []string // what was read, oldest first
	TornSample []string // the first few torn lines, for the test failure message
}

// OK reports whether every line arrived exactly once, whole and in order.
func (r *Report) OK() bool {
	return r.Torn == 0 && r.Missing == 0 && r.Duplicated == 0 && r.OutOfOrder == 0
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lines=%d markers=%d torn=%d missing=%d duplicated=%d out_of_order=%d files=%d",
		r.Lines, r.Markers, r.Torn, r.Missing, r.Duplicated, r.OutOfOrder, len(r.Files))
	names := make([]string, 0, len(r.Streams))
	for n := range r.Streams {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := r.Streams[n]
		fmt.Fprintf(&b, " [%s lines=%d missing=%d dup=%d ooo=%d", n, s.Lines, s.Missing, s.Duplicated, s.OutOfOrder)
		if s.FirstGap >= 0 {
			fmt.Fprintf(&b, " first_missing=%d", s.FirstGap)
		}
		b.WriteString("]")
	}
	for _, t := range r.TornSample {
		fmt.Fprintf(&b, "\n  torn: %q", t)
	}
	return b.String()
}

// Checker accumulates lines; Report finishes the check.
type Checker struct {
	expect map[string]uint64
	r      Report
}

// New returns a checker expecting, for each named stream, lines 0..n-1.
// Streams not named are checked up to the highest number seen.
func New(expect map[string]uint64) *Checker {
	return &Checker{expect: expect, r: Report{Streams: map[string]*Stream{}}}
}

// Feed checks one line, without its newline.
func (c *Checker) Feed(line []byte) {
	line = stripTimestamp(line)
	if bytes.HasPrefix(line, []byte("supervise: ")) {
		c.r.Markers++
		return
	}
	stream, seq, ok := parse(line)
	if !ok {
		c.torn(line)
		return
	}
	s := c.r.Streams[stream]
	if s == nil {
		s = &Stream{}
		c.r.Streams[stream] = s
	}
	if seq >= uint64(len(s.seen)) {
		n := max(2*len(s.seen), int(seq)+1, 1024)
		s.seen = append(s.seen, make([]uint8, n-len(s.seen))...)
	}
	c.r.Lines++
	s.Lines++
	if s.seen[seq] > 0 {
		s.Duplicated++
		c.r.Duplicated++
	} else if s.started && seq < s.last {
		s.OutOfOrder++
		c.r.OutOfOrder++
	}
	if s.seen[seq] < 255 {
		s.seen[seq]++
	}
	s.started, s.last = true, seq
	s.Max = max(s.Max, seq)
}

func (c *Checker) torn(line []byte) {
	c.r.Torn++
	if len(c.r.TornSample) < 5 {
		if len(line) > 120 {
			line = line[:120]
		}
		c.r.TornSample = append(c.r.TornSample, string(line))
	}
}

// Read checks every line of r; a last line without a newline is torn.
func (c *Checker) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Far longer than any generated line: torn. Skip the rest.
			c.torn(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			c.Feed(line[:len(line)-1])
		} else if len(line) > 0 {
			c.torn(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Report finishes the check.
func (c *Checker) Report() Report {
	r := c.r
	r.Missing = 0
	names := map[string]bool{}
	for n := range r.Streams {
		names[n] = true
	}
	for n := range c.expect {
		names[n] = true
	}
	for n := range names {
		s := r.Streams[n]
		if s == nil {
			s = &Stream{}
			r.Streams[n] = s
		}
		end, ok := c.expect[n]
		if !ok {
			end = s.Max + 1
		}
		s.Missing, s.FirstGap = 0, -1
		for seq := uint64(0); seq < end; seq++ {
			if seq >= uint64(len(s.seen)) || s.seen[seq] == 0 {
				if s.Missing == 0 {
					s.FirstGap = int64(seq)
				}
				s.Missing++
			}
		}
		r.Missing += s.Missing
	}
	return r
}

// CheckLog reads the archives (plain, .gz, .zst; numbered and dateext) and
// then the live file at path, oldest first, and checks them as one stream
// of lines.
func CheckLog(path string, expect map[string]uint64) (Report, error) {
	files, err := archive.Files(path)
	if err != nil {
		return Report{}, err
	}
	c := New(expect)
	for _, f := range files {
		rc, err := archive.Open(f)
		if err != nil {
			return Report{}, err
		}
		err = c.Read(rc)
		rc.Close()
		if err != nil {
			return Report{}, fmt.Errorf("linecheck: %s: %w", f, err)
		}
	}
	r := c.Report()
	r.Files = files
	return r, nil
}

// parse validates one generated line (without newline) and returns its
// stream and number.
func parse(line []byte) (string, uint64, bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || len(line) < sp+1+10+1 {
		return "", 0, false
	}
	stream := line[:sp]
	for _, ch := range stream {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return "", 0, false
		}
	}
	rest := line[sp+1:]
	var seq uint64
	for _, ch := range rest[:10] {
		if ch < '0' || ch > '9' {
			return "", 0, false
		}
		seq = seq*10 + uint64(ch-'0')
	}
	if rest[10] != ' ' {
		return "", 0, false
	}
	rest = rest[11:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return "", 0, false
	}
	size, err := strconv.Atoi(string(rest[:sp2]))
	if err != nil || size != len(line)+1 {
		return "", 0, false
	}
	off := len(line) - len(rest) + sp2 + 1
	for i, ch := range line[off:] {
		if ch != pad(seq, off+i) {
			return "", 0, false
		}
	}
	return string(stream), seq, true
}

// stripTimestamp removes a leading `2026-11-28T21:45:00.123Z ` or
// `1795902300.123 `.
func stripTimestamp(line []byte) []byte {
	if len(line) == 0 || line[0] < '0' || line[0] > '9' {
		return line
	}
	const rfc = "0000-00-00T00:00:00.000Z "
	if len(line) >= len(rfc) {
		ok := true
		for i := 0; i < len(rfc); i++ {
			if rfc[i] == '0' {
				if line[i] < '0' || line[i] > '9' {
					ok = false
					break
				}
			} else if line[i] != rfc[i] {
				ok = false
				break
			}
		}
		if ok {
			return line[len(rfc):]
		}
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && len(line) >= i+5 && line[i] == '.' && isDigits(line[i+1:i+4]) && line[i+4] == ' ' {
		return line[i+5:]
	}
	return line
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
