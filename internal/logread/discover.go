// Package logread reads a log the way supervise's sink leaves it on disk:
// every archive (plain, .gz, .zst; numbered or dateext) and the live file,
// oldest first, with time and pattern filters, and follows the live file
// across rotations. `supervise logs` and `ctl tail` share it, so it needs no
// running supervisor: everything it knows comes from the directory. The
// naming rules themselves are pkg/sink/archive's, the sink's own.
package logread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/supervise/supervise/pkg/sink/archive"
)

// Segment is one file of a log: an archive or the live file.
type Segment struct {
	Path     string
	Live     bool
	ModTime  time.Time
	Size     int64
	Compress string // "", ".gz" or ".zst"
}

// Segments lists the archives of the log whose live file is live, oldest
// first, then the live file itself when it exists. A log with neither yields
// an empty list and no error; a missing directory is not an error either,
// because "no such log" is the caller's message to give.
func Segments(live string) ([]Segment, error) {
	as, err := archive.List(live)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("logread: %w", err)
	}
	dir := filepath.Dir(live)
	segs := make([]Segment, 0, len(as)+1)
	for _, a := range as {
		p := filepath.Join(dir, a.Name)
		info, err := os.Lstat(p)
		if err != nil {
			continue // removed by retention since the listing: no longer part of the log
		}
		segs = append(segs, Segment{Path: p, ModTime: info.ModTime(), Size: info.Size(), Compress: a.Ext})
	}
	if info, err := os.Lstat(live); err == nil && info.Mode().IsRegular() {
		segs = append(segs, Segment{Path: live, Live: true, ModTime: info.ModTime(), Size: info.Size()})
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("logread: %w", err)
	}
	return segs, nil
}

// Open returns the segment's bytes, decompressed. The live file is an
// *os.File, which Read relies on to hand it to a Follower.
func (s Segment) Open() (io.ReadCloser, error) {
	rc, err := archive.Open(s.Path)
	if err != nil {
		return nil, fmt.Errorf("logread: %w", err)
	}
	return rc, nil
}
