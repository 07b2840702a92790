package numbered

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Layout names how a logger lays out its live file and archives.
type Layout string

const (
	// Single is one file, never rotated.
	Single Layout = "single"
	// Numbered is PATH plus archives PATH.1 (newest), PATH.2, ...,
	// optionally .gz or .zst (supervise, supervisord, logrotate).
	Numbered Layout = "numbered"
	// TAI64 is a directory with archives @<tai64n>.s or .u, whose names sort
	// oldest first, and the live file "current" (s6-log, svlogd, multilog).
	TAI64 Layout = "tai64"
)

// ParseLayout accepts the names above.
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(s); l {
	case Single, Numbered, TAI64:
		return l, nil
	}
	return "", fmt.Errorf("numbered: unknown layout %q; accepted: single, numbered, tai64", s)
}

// Files lists the files of a log, oldest first.
func Files(l Layout, path string) ([]string, error) {
	switch l {
	case Single:
		return []string{path}, nil
	case Numbered:
		return numberedFiles(path)
	case TAI64:
		return tai64Files(path)
	}
	return nil, fmt.Errorf("numbered: unknown layout %q", l)
}

func numberedFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("numbered: list archives: %w", err)
	}
	// An archive caught between compression's rename and the removal of
	// the uncompressed file exists twice; the uncompressed copy wins.
	byNum := map[int]string{}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		numText, ext, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(numText)
		if err != nil || n < 1 || (ext != "" && ext != "gz" && ext != "zst") {
			continue
		}
		if _, seen := byNum[n]; seen && ext != "" {
			continue
		}
		byNum[n] = filepath.Join(dir, e.Name())
	}
	nums := make([]int, 0, len(byNum))
	for n := range byNum {
		nums = append(nums, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	files := make([]string, 0, len(nums)+1)
	for _, n := range nums {
		files = append(files, byNum[n])
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	}
	return files, nil
}

func tai64Files(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("numbered: list archives: %w", err)
	}
	var files []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, "@") && (strings.HasSuffix(name, ".s") || strings.HasSuffix(name, ".u")) {
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	cur := filepath.Join(dir, "current")
	if _, err := os.Stat(cur); err == nil {
		files = append(files, cur)
	}
	return files, nil
}

// Open opens a log file, decompressing .gz and .zst.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("numbered: %s: %w", path, err)
		}
		return readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("numbered: %s: %w", path, err)
		}
		return readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
	}
	return f, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// CheckLog checks every file of a log, oldest first.
func CheckLog(f Format, want uint64, opt Options, l Layout, path string) (Result, error) {
	files, err := Files(l, path)
	if err != nil {
		return Result{}, err
	}
	if len(files) == 0 {
		return Result{}, fmt.Errorf("numbered: %s: no log files", path)
	}
	c := NewChecker(f, want, opt)
	for _, name := range files {
		r, err := Open(name)
		if err != nil {
			return Result{}, err
		}
		err = c.Feed(r)
		r.Close()
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return c.Finish(), nil
}
