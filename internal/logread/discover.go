// Package logread reads a log the way supervise's sink leaves it on disk:
// every archive (plain, .gz, .zst; numbered or dateext) and the live file,
// oldest first, with time and pattern filters, and follows the live file
// across rotations. `supervise logs` and `ctl tail` share it, so it needs no
// running supervisor: everything it knows comes from the directory.
package logread

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Segment is one file of a log: an archive or the live file.
type Segment struct {
	Path     string
	Live     bool
	ModTime  time.Time
	Size     int64
	Compress string // "", ".gz" or ".zst"

	num  int       // numbered archives: N of NAME.log.N (1 is the newest)
	date time.Time // dateext archives: the time in the name
}

// dateLayout is the dateext suffix of SPEC §2 (NAME.log-YYYYMMDD-HHMMSS).
const dateLayout = "20060102-150405"

// Segments lists the archives of the log whose live file is live, oldest
// first, then the live file itself when it exists. A log with neither yields
// an empty list and no error; a missing directory is not an error either,
// because "no such log" is the caller's message to give.
func Segments(live string) ([]Segment, error) {
	dir, base := filepath.Split(live)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("logread: list archives of %s: %w", live, err)
	}
	var numbered, dated []Segment
	seen := map[string]bool{} // archive key without compression suffix
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || name == base || !e.Type().IsRegular() {
			continue
		}
		seg, key, ok := parseArchive(name[len(base):])
		if !ok {
			continue
		}
		// While compression finishes, X and X.gz both exist and are both
		// complete (X is unlinked only after X.gz is fsynced): read one.
		// ReadDir sorts by name, so the plain X always comes first.
		if seen[key] {
			continue
		}
		seen[key] = true
		info, err := e.Info()
		if err != nil {
			continue // removed by retention since ReadDir: not part of the log any more
		}
		seg.Path = filepath.Join(dir, name)
		seg.ModTime = info.ModTime()
		seg.Size = info.Size()
		if seg.num > 0 {
			numbered = append(numbered, seg)
		} else {
			dated = append(dated, seg)
		}
	}
	sort.Slice(numbered, func(i, j int) bool { return numbered[i].num > numbered[j].num })
	sort.SliceStable(dated, func(i, j int) bool { return dated[i].date.Before(dated[j].date) })
	segs := mergeArchives(numbered, dated)

	if info, err := os.Stat(live); err == nil && info.Mode().IsRegular() {
		segs = append(segs, Segment{Path: live, Live: true, ModTime: info.ModTime(), Size: info.Size()})
	} else if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("logread: %w", err)
	}
	return segs, nil
}

// parseArchive recognises the part of an archive name after the live file's
// base name: ".N", "-YYYYMMDD-HHMMSS" or "-YYYYMMDD-HHMMSS.N" (a second
// rotation within the same second), each optionally ".gz" or ".zst".
// Temporary files of an unfinished compression (".tmp") are not archives.
func parseArchive(rest string) (seg Segment, key string, ok bool) {
	if strings.HasSuffix(rest, ".tmp") {
		return seg, "", false
	}
	for _, c := range []string{".gz", ".zst"} {
		if strings.HasSuffix(rest, c) {
			seg.Compress = c
			rest = strings.TrimSuffix(rest, c)
			break
		}
	}
	key = rest
	switch {
	case strings.HasPrefix(rest, "."):
		n, err := strconv.Atoi(rest[1:])
		if err != nil || n < 1 || !allDigits(rest[1:]) {
			return seg, "", false
		}
		seg.num = n
		return seg, key, true
	case strings.HasPrefix(rest, "-") && len(rest) >= 1+len(dateLayout):
		t, err := time.ParseInLocation(dateLayout, rest[1:1+len(dateLayout)], time.Local)
		if err != nil {
			return seg, "", false
		}
		tail := rest[1+len(dateLayout):]
		if tail != "" {
			if !strings.HasPrefix(tail, ".") || !allDigits(tail[1:]) || len(tail) < 2 {
				return seg, "", false
			}
			n, _ := strconv.Atoi(tail[1:])
			t = t.Add(time.Duration(n)) // orders same-second archives after the first
		}
		seg.date = t
		return seg, key, true
	}
	return seg, "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// mergeArchives interleaves numbered archives (ordered by N) and dateext
// archives (ordered by the name's time), which coexist only after
// `dateext` was switched in the config. Each list keeps its own order; the
// merge compares a numbered archive's mtime with a dated archive's name time.
func mergeArchives(numbered, dated []Segment) []Segment {
	out := make([]Segment, 0, len(numbered)+len(dated))
	i, j := 0, 0
	for i < len(numbered) && j < len(dated) {
		if numbered[i].ModTime.Before(dated[j].date) {
			out = append(out, numbered[i])
			i++
		} else {
			out = append(out, dated[j])
			j++
		}
	}
	out = append(out, numbered[i:]...)
	return append(out, dated[j:]...)
}
