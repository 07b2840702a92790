package logread

import (
	"bytes"
	"path/filepath"
	"sort"
	"strings"

	"github.com/supervise/supervise/pkg/sink/archive"
)

// Filter appends to dst the lines of chunk (whole lines, as a Follower
// emits them) that q selects. Lines without a timestamp pass the time
// filters: followed lines are new by definition.
func (q Query) Filter(dst, chunk []byte) []byte {
	if q.Grep == nil && q.Since.IsZero() && q.Until.IsZero() {
		return append(dst, chunk...)
	}
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		line := chunk
		if i >= 0 {
			line = chunk[:i+1]
		}
		chunk = chunk[len(line):]
		t, _ := LineTime(line)
		if selected(line, t, q) {
			dst = append(dst, line...)
		}
	}
	return dst
}

// LiveFiles expands a [logfile] path (a file or a glob) to the live files
// it names, sorted, leaving out the archives of those files that a broad
// glob also matches.
func LiveFiles(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(pattern, "*?[") && len(matches) == 0 {
		return []string{pattern}, nil // not created yet; still the live path
	}
	sort.Strings(matches)
	live := map[string]bool{}
	for _, m := range matches {
		live[m] = true
	}
	var out []string
	for _, m := range matches {
		if strings.HasSuffix(m, ".tmp") || isArchiveOfAny(m, live) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

func isArchiveOfAny(name string, live map[string]bool) bool {
	for l := range live {
		if l != name && filepath.Dir(l) == filepath.Dir(name) {
			if _, ok := archive.Parse(filepath.Base(l), filepath.Base(name)); ok {
				return true
			}
		}
	}
	return false
}
