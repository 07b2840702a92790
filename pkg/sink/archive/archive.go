// Package archive names, lists, orders and opens the archives of one log
// file (SPEC §4.2, §4.3). The sink writes them; `supervise logs` and the
// line checker read them back, so the naming rules live here, once.
//
// Two schemes exist beside a live file BASE:
//
//	BASE.N[.gz|.zst]                         numbered, BASE.1 is the newest
//	BASE-YYYYMMDD-HHMMSS[.K][.gz|.zst]       dateext; .K breaks ties within one second
//
// A name ending in ".tmp" is an unfinished compression and never an archive.
package archive

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DateLayout is the time part of a dateext archive name (local time).
const DateLayout = "20060102-150405"

// Compression extensions.
const (
	ExtGzip = ".gz"
	ExtZstd = ".zst"
	ExtTemp = ".tmp"
)

// Archive is one parsed archive name.
type Archive struct {
	Name  string    // file name inside the log's directory
	Dated bool      // dateext scheme
	Num   int       // numbered: N (1 newest); dated: tie-break index K (0 none)
	Time  time.Time // dated: the rotation time from the name; zero otherwise
	Ext   string    // "", ExtGzip or ExtZstd
}

// Stem is the archive's name without its compression extension.
func (a Archive) Stem() string { return strings.TrimSuffix(a.Name, a.Ext) }

// Parse reports whether name is an archive of the live file named base (both
// plain file names, no directory).
func Parse(base, name string) (Archive, bool) {
	if len(name) <= len(base)+1 || !strings.HasPrefix(name, base) {
		return Archive{}, false
	}
	a := Archive{Name: name}
	rest := name[len(base):]
	switch {
	case strings.HasSuffix(rest, ExtGzip):
		a.Ext = ExtGzip
	case strings.HasSuffix(rest, ExtZstd):
		a.Ext = ExtZstd
	}
	rest = rest[:len(rest)-len(a.Ext)]
	if rest == "" {
		return Archive{}, false
	}
	switch rest[0] {
	case '.':
		n, ok := number(rest[1:])
		if !ok || n == 0 {
			return Archive{}, false
		}
		a.Num = n
		return a, true
	case '-':
		rest = rest[1:]
		if len(rest) < len(DateLayout) {
			return Archive{}, false
		}
		t, err := time.ParseInLocation(DateLayout, rest[:len(DateLayout)], time.Local)
		if err != nil {
			return Archive{}, false
		}
		a.Dated, a.Time = true, t
		rest = rest[len(DateLayout):]
		if rest == "" {
			return a, true
		}
		if rest[0] != '.' {
			return Archive{}, false
		}
		k, ok := number(rest[1:])
		if !ok || k == 0 {
			return Archive{}, false
		}
		a.Num = k
		return a, true
	}
	return Archive{}, false
}

// number parses a decimal without sign or leading zeros.
func number(s string) (int, bool) {
	if s == "" || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// IsTemp reports whether name is an unfinished compression of an archive of
// base; start-up recovery removes those.
func IsTemp(base, name string) bool {
	stem, ok := strings.CutSuffix(name, ExtTemp)
	if !ok {
		return false
	}
	a, ok := Parse(base, stem)
	return ok && a.Ext != ""
}

// Compare orders archives oldest first: numbered ones by descending N, then
// dated ones by time and tie-break index. Compressed and plain twins of the
// same archive (left by a crash between rename and unlink) sort together,
// compressed first.
func Compare(a, b Archive) int {
	if a.Dated != b.Dated {
		if a.Dated {
			return 1
		}
		return -1
	}
	if a.Dated {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Num, b.Num); c != 0 {
			return c
		}
	} else if c := cmp.Compare(b.Num, a.Num); c != 0 {
		return c
	}
	return cmp.Compare(b.Ext, a.Ext) // ".zst" > ".gz" > ""
}

// Sort orders archives oldest first (see Compare).
func Sort(as []Archive) { slices.SortFunc(as, Compare) }

// DatedName is the dateext archive name for a rotation at t (in local
// time); k > 0 breaks a tie with an archive of the same second.
func DatedName(base string, t time.Time, k int) string {
	s := base + "-" + t.Local().Format(DateLayout)
	if k > 0 {
		s += "." + strconv.Itoa(k)
	}
	return s
}

// NumberedName is BASE.N.
func NumberedName(base string, n int) string { return base + "." + strconv.Itoa(n) }

// List returns the archives of the live file at path, oldest first. Only
// regular files count: a symlink planted at an archive name is ignored.
func List(path string) ([]Archive, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("archive: list: %w", err)
	}
	var as []Archive
	for _, e := range ents {
		a, ok := Parse(base, e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		as = append(as, a)
	}
	Sort(as)
	return dedupTwins(as), nil
}

// dedupTwins drops the plain copy of an archive whose compressed copy also
// exists: the compressed file was complete (fsynced) before it got its name.
func dedupTwins(as []Archive) []Archive {
	out := as[:0]
	for i, a := range as {
		if i > 0 && a.Ext == "" && out[len(out)-1].Stem() == a.Stem() {
			continue
		}
		out = append(out, a)
	}
	return out
}

// Files returns the paths to read for the whole history of the live file at
// path, oldest first, the live file last when it exists.
func Files(path string) ([]string, error) {
	as, err := List(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	files := make([]string, 0, len(as)+1)
	for _, a := range as {
		files = append(files, filepath.Join(dir, a.Name))
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		files = append(files, path)
	}
	return files, nil
}

// Open opens a live file or an archive for reading, decompressing by its
// extension. It never follows a symlink at the final name.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	switch {
	case strings.HasSuffix(path, ExtGzip):
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			if errors.Is(err, io.EOF) {
				return io.NopCloser(strings.NewReader("")), nil
			}
			return nil, fmt.Errorf("archive: %s: %w", path, err)
		}
		return &readCloser{Reader: zr, close: func() error { zr.Close(); return f.Close() }}, nil
	case strings.HasSuffix(path, ExtZstd):
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("archive: %s: %w", path, err)
		}
		return &readCloser{Reader: zr, close: func() error { zr.Close(); return f.Close() }}, nil
	}
	return f, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }
