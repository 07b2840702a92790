package logread

import (
	"fmt"
	"io"
	"os"
)

// LastLines returns the last n complete lines of f (all of them if it has
// fewer) and leaves f positioned just after them, where a Follower goes on.
// A partial last line is not returned: it is still being written.
func LastLines(f *os.File, n int) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("logread: tail: %w", err)
	}
	const block = 64 << 10
	end := int64(-1) // offset just after the last newline
	start := int64(0)
	count := 0
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
			if end < 0 {
				end = pos + i + 1
				if n == 0 {
					start = end
					break scan
				}
				continue
			}
			count++
			if count == n {
				start = pos + i + 1
				break scan
			}
		}
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
