package numbered

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ProgressMarker starts an intermediate progress state (see the generator's
// tqdm mode). A collapsing logger may keep some; the checker counts them
// apart from the numbered lines.
const ProgressMarker = "progress "

// Options say how a logger may have transformed the lines.
type Options struct {
	// Prefixed: every line carries a prefix that ends in a space (a
	// timestamp) before the payload.
	Prefixed bool
	// FinalForm: a line is what a terminal would show: a trailing "\r"
	// (a pty's CRLF) is dropped and only the text after the last "\r" counts.
	FinalForm bool
}

// Result counts what the checker saw. A stream is intact when OK equals the
// expected number of lines and every error count is zero.
type Result struct {
	Files        int    `json:"files"`
	Bytes        int64  `json:"bytes"`
	OK           uint64 `json:"ok"`           // lines in place
	Missing      uint64 `json:"missing"`      // numbers never seen
	OutOfOrder   uint64 `json:"out_of_order"` // numbers seen again or behind a later one
	Torn         uint64 `json:"torn"`         // fragments at the end of a file (no newline)
	Bad          uint64 `json:"bad"`          // lines that are not exactly a numbered line
	Intermediate uint64 `json:"intermediate"` // progress states kept by a collapsing logger
	WithCR       uint64 `json:"with_cr"`      // lines that still held "\r" (FinalForm only)
}

func (r Result) String() string {
	return fmt.Sprintf("files=%d bytes=%d ok=%d missing=%d out_of_order=%d torn=%d bad=%d intermediate=%d with_cr=%d",
		r.Files, r.Bytes, r.OK, r.Missing, r.OutOfOrder, r.Torn, r.Bad, r.Intermediate, r.WithCR)
}

// Checker follows one stream across files given oldest first.
type Checker struct {
	f    Format
	opt  Options
	want uint64
	next uint64
	res  Result
	br   *bufio.Reader
}

// NewChecker returns a checker for a stream of want lines of format f.
func NewChecker(f Format, want uint64, opt Options) *Checker {
	return &Checker{f: f, opt: opt, want: want, br: bufio.NewReaderSize(nil, 1<<20)}
}

// Feed reads one file's content. A file that does not end in a newline ends
// in a torn fragment.
func (c *Checker) Feed(r io.Reader) error {
	c.res.Files++
	c.br.Reset(r)
	long := false // inside a line longer than the buffer
	for {
		line, err := c.br.ReadSlice('\n')
		c.res.Bytes += int64(len(line))
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !long {
				c.res.Bad++
			}
			long = true
			continue
		case err == io.EOF:
			if len(line) > 0 && !long {
				c.res.Torn++
			}
			return nil
		case err != nil:
			return fmt.Errorf("numbered: read: %w", err)
		}
		if long {
			long = false
			continue
		}
		c.line(line[:len(line)-1])
	}
}

func (c *Checker) line(line []byte) {
	if c.opt.FinalForm {
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
			c.res.WithCR++
			line = line[i+1:]
		}
	}
	payload := line
	if c.opt.Prefixed {
		if bytes.HasPrefix(line[bytes.IndexByte(line, ' ')+1:], []byte(ProgressMarker)) {
			c.res.Intermediate++
			return
		}
		n := len(line) - c.f.PayloadLen()
		if n < 2 || line[n-1] != ' ' {
			c.res.Bad++
			return
		}
		payload = line[n:]
	} else if bytes.HasPrefix(line, []byte(ProgressMarker)) {
		c.res.Intermediate++
		return
	}
	seq, ok := c.f.Parse(payload)
	switch {
	case !ok || seq >= c.want:
		c.res.Bad++
	case seq == c.next:
		c.res.OK++
		c.next++
	case seq > c.next:
		c.res.Missing += seq - c.next
		c.res.OK++
		c.next = seq + 1
	default:
		c.res.OutOfOrder++
	}
}

// Finish returns the counts once every file has been fed.
func (c *Checker) Finish() Result {
	r := c.res
	r.Missing += c.want - c.next
	return r
}

// Intact reports whether every line arrived exactly once, whole and in order.
func (r Result) Intact(want uint64) bool {
	return r.OK == want && r.Missing == 0 && r.OutOfOrder == 0 && r.Torn == 0 && r.Bad == 0
}
