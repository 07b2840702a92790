package logread

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// DefaultPoll is how often a follower looks for new lines and rotations.
const DefaultPoll = 250 * time.Millisecond

// Follower reads lines appended to a live log file and keeps going across
// rotations: when the path names a new inode, it drains the old file to its
// end first, then opens the new one from its start, so no line written
// before or after the rotation is missed or repeated. A file truncated in
// place (copytruncate) is read again from its start.
type Follower struct {
	Path string
	Poll time.Duration // 0: DefaultPoll

	f       *os.File // nil until the path exists
	partial []byte   // bytes after the last newline, awaiting the rest of the line
	buf     []byte
}

// NewFollower follows path from f's current offset; f may be nil, in which
// case the follower waits for path to appear and reads it from the start.
// The follower owns f from now on.
func NewFollower(path string, f *os.File) *Follower {
	return &Follower{Path: path, f: f}
}

// Run calls emit with chunks of complete lines until ctx is done (then it
// returns nil) or emit fails (then it returns that error). It closes the
// file it holds before returning.
func (fl *Follower) Run(ctx context.Context, emit func(chunk []byte) error) error {
	defer func() {
		if fl.f != nil {
			fl.f.Close()
			fl.f = nil
		}
	}()
	poll := fl.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	fl.buf = make([]byte, 64<<10)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if err := fl.step(emit); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// step reads what is there, then handles a rotation or truncation. It
// loops without waiting while a switch to a new file leaves data to read.
func (fl *Follower) step(emit func([]byte) error) error {
	for {
		if fl.f == nil {
			f, err := os.Open(fl.Path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil // between rename and reopen, or not created yet
				}
				return fmt.Errorf("logread: follow: %w", err)
			}
			fl.f = f
		}
		if err := fl.drain(emit); err != nil {
			return err
		}
		cur, err := fl.f.Stat()
		if err != nil {
			return fmt.Errorf("logread: follow: %w", err)
		}
		st, err := os.Stat(fl.Path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // rotated away; the new file appears shortly
			}
			return fmt.Errorf("logread: follow: %w", err)
		}
		if os.SameFile(cur, st) {
			off, err := fl.f.Seek(0, io.SeekCurrent)
			if err != nil {
				return fmt.Errorf("logread: follow: %w", err)
			}
			if st.Size() < off {
				// Truncated in place: what was written since is at the start.
				fl.partial = fl.partial[:0]
				if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
					return fmt.Errorf("logread: follow: %w", err)
				}
				continue
			}
			return nil
		}
		// Rotated: the old file was drained above, after the rename (writes
		// go to one file or the other, never both), so its end is final.
		if len(fl.partial) > 0 {
			line := append(fl.partial, '\n')
			fl.partial = fl.partial[:0]
			if err := emit(line); err != nil {
				return err
			}
		}
		fl.f.Close()
		fl.f = nil
	}
}

// drain emits every complete line up to the file's current end.
func (fl *Follower) drain(emit func([]byte) error) error {
	for {
		n, err := fl.f.Read(fl.buf)
		if n > 0 {
			chunk := fl.buf[:n]
			last := bytes.LastIndexByte(chunk, '\n')
			if last < 0 {
				fl.partial = append(fl.partial, chunk...)
			} else {
				out := chunk[:last+1]
				if len(fl.partial) > 0 {
					out = append(fl.partial, out...)
					fl.partial = fl.partial[:0]
				}
				if eerr := emit(out); eerr != nil {
					return eerr
				}
				fl.partial = append(fl.partial, chunk[last+1:]...)
			}
		}
		if err == io.EOF || (n == 0 && err == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logread: follow: %w", err)
		}
	}
}
