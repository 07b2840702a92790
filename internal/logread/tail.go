package logread

import (
	"fmt"
	"io"
	"os"
)

// LastLines returns the last n complete lines of f (all of them if it has
// fewer), at most maxBytes of them (whole lines; 0: no limit), and leaves f
// positioned just after them, where a Follower goes on. A partial last line
// is not returned: it is still being written.
func LastLines(f *os.File, n int, maxBytes int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("logread: tail: %w", err)
	}
	const block = 64 << 10
	end := int64(-1)  // offset just after the last newline
	start := int64(0) // offset of the first byte returned
	count := 0        // lines between start and end
	done := false     // start is final before the scan reached the file's start
	buf := make([]byte, block)
scan:
	for pos := st.Size(); pos > 0; {
		size := int64(block)
		if pos < size {
			size = pos
		}
		pos -= size
		if _, err := f.ReadAt(buf[:size], pos); err != nil && err != io.EOF {
			return nil, fmt.Errorf("logread: tail: %w", err)
		}
		for i := size - 1; i >= 0; i-- {
			if buf[i] != '\n' {
				continue
			}
			nl := pos + i + 1 // the line after this newline starts here
			if end < 0 {
				end, start = nl, nl
				if n == 0 {
					done = true
					break scan
				}
				continue
			}
			if maxBytes > 0 && end-nl > maxBytes {
				done = true // the line starting at nl does not fit
				break scan
			}
			start = nl
			count++
			if count == n {
				done = true
				break scan
			}
		}
	}
	if end >= 0 && !done && (maxBytes == 0 || end <= maxBytes) {
		start = 0 // the first line of the file has no newline before it
	}
	if end < 0 {
		_, err := f.Seek(0, io.SeekStart)
		return nil, err
	}
	data := make([]byte, end-start)
	if _, err := f.ReadAt(data, start); err != nil && err != io.EOF {
		return nil, fmt.Errorf("logread: tail: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return nil, fmt.Errorf("logread: tail: %w", err)
	}
	return data, nil
}
