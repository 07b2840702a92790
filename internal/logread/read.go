package logread

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

// Query selects lines of a log.
type Query struct {
	Since, Until time.Time      // zero: unbounded; both inclusive
	Grep         *regexp.Regexp // nil: every line
	Lines        int            // >= 0: only the last Lines selected lines; < 0: all
	// KeepLive leaves the live file open for Follow, positioned just after
	// its last complete line; a partial last line is left for the follower
	// to print once it is complete.
	KeepLive bool
}

// Read writes the lines of segs that q selects to w, oldest first, each
// ending in a newline. Time filters use each line's timestamp prefix where
// there is one (a line without one, such as a traceback, takes the time of
// the line before it); before the first timestamped line of a file, the
// file's span from the previous segment's mtime to its own decides. An
// archive that cannot be read (truncated, corrupt) is reported to warn and
// skipped, so one bad archive does not hide the others.
//
// With q.KeepLive, the live segment is returned open (nil when segs has
// none); the caller must close it.
func Read(w io.Writer, segs []Segment, q Query, warn func(error)) (*os.File, error) {
	out := bufio.NewWriterSize(w, 64<<10)
	var keep *ring
	if q.Lines >= 0 {
		keep = newRing(q.Lines)
	}
	emit := func(line []byte) error {
		if keep != nil {
			keep.add(line)
			return nil
		}
		_, err := out.Write(line)
		return err
	}
	var live *os.File
	var prev time.Time
	for _, seg := range segs {
		start := prev
		prev = seg.ModTime
		if !q.Since.IsZero() && seg.ModTime.Before(q.Since) && !seg.Live {
			continue // every line of it was written before its mtime
		}
		// Lines before a file's first timestamp are judged by its span; a
		// later mtime (compression of a leftover at startup) must not
		// hide timestamped lines, so the span never skips a whole file.
		spanIn := q.Until.IsZero() || start.IsZero() || !start.After(q.Until)
		f, err := readSegment(seg, q, spanIn, emit)
		if err != nil {
			if errors.Is(err, errWrite) {
				return nil, err
			}
			warn(err)
			continue
		}
		if f != nil {
			live = f
		}
	}
	if keep != nil {
		for _, line := range keep.lines() {
			if _, err := out.Write(line); err != nil {
				if live != nil {
					live.Close()
				}
				return nil, fmt.Errorf("logread: write: %w", err)
			}
		}
	}
	if err := out.Flush(); err != nil {
		if live != nil {
			live.Close()
		}
		return nil, fmt.Errorf("logread: write: %w", err)
	}
	return live, nil
}

var errWrite = errors.New("write")

// readSegment feeds seg's selected lines to emit. For the live segment
// with q.KeepLive it returns the file, positioned after the last complete
// line.
func readSegment(seg Segment, q Query, spanIn bool, emit func([]byte) error) (*os.File, error) {
	rc, err := seg.Open()
	if err != nil {
		return nil, err
	}
	keepOpen := seg.Live && q.KeepLive
	defer func() {
		if !keepOpen {
			rc.Close()
		}
	}()
	lr := newLineReader(rc)
	var cur time.Time // time of the last timestamped line
	var consumed int64
	for {
		line, err := lr.next()
		if len(line) > 0 {
			partial := line[len(line)-1] != '\n'
			if partial && keepOpen {
				break
			}
			consumed += int64(len(line))
			if t, ok := LineTime(line); ok {
				cur = t
			}
			if (!cur.IsZero() || spanIn) && selected(line, cur, q) {
				if partial {
					line = append(line[:len(line):len(line)], '\n')
				}
				if werr := emit(line); werr != nil {
					return nil, fmt.Errorf("logread: %w: %w", errWrite, werr)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("logread: read %s: %w", seg.Path, err)
		}
	}
	if !keepOpen {
		return nil, nil
	}
	f := rc.(*os.File)
	if _, err := f.Seek(consumed, io.SeekStart); err != nil {
		return nil, fmt.Errorf("logread: %w", err)
	}
	return f, nil
}

func selected(line []byte, t time.Time, q Query) bool {
	if !t.IsZero() {
		if !q.Since.IsZero() && t.Before(q.Since) {
			return false
		}
		if !q.Until.IsZero() && t.After(q.Until) {
			return false
		}
	}
	if q.Grep != nil {
		body := line
		if n := len(body); n > 0 && body[n-1] == '\n' {
			body = body[:n-1]
		}
		return q.Grep.Match(body)
	}
	return true
}

// lineReader returns lines of any length, reusing its buffer: the slice
// from next is valid until the following call.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

func (l *lineReader) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	l.buf = append(l.buf[:0], line...)
	for err == bufio.ErrBufferFull {
		line, err = l.br.ReadSlice('\n')
		l.buf = append(l.buf, line...)
	}
	return l.buf, err
}

// ring keeps copies of the last n lines.
type ring struct {
	buf  [][]byte
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([][]byte, n)} }

func (r *ring) add(line []byte) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = append(r.buf[r.next][:0], line...)
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

func (r *ring) lines() [][]byte {
	if !r.full {
		return r.buf[:r.next]
	}
	return append(r.buf[r.next:len(r.buf):len(r.buf)], r.buf[:r.next]...)
}
