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
// glob also matches. A live file that is gone (the program stopped and
// removed it) is still named when archives of a name the glob matches
// remain, so that `supervise logs` finds them.
func LiveFiles(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(pattern, "*?[") && len(matches) == 0 {
		return []string{pattern}, nil // not created yet; still the live path
	}
	live := map[string]bool{}
	for _, m := range matches {
		live[m] = true
	}
	// Archives are NAME.N, NAME.N.gz, NAME-DATE...: the pattern itself
	// need not match them.
	for _, suffix := range []string{".*", "-*"} {
		more, _ := filepath.Glob(pattern + suffix)
		for _, m := range more {
			if b, ok := liveOf(pattern, m); ok {
				live[b] = true
			}
		}
	}
	var out []string
	for m := range live {
		if strings.HasSuffix(m, ".tmp") || isArchiveOfAny(m, live) {
			continue
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out, nil
}

// liveOf finds the live file that archive m belongs to among the names the
// pattern matches.
func liveOf(pattern, m string) (string, bool) {
	for i := len(m) - 1; i > len(filepath.Dir(m)); i-- {
		if m[i] != '.' && m[i] != '-' {
			continue
		}
		b := m[:i]
		if ok, _ := filepath.Match(pattern, b); !ok {
			continue
		}
		if _, ok := archive.Parse(filepath.Base(b), filepath.Base(m)); ok {
			return b, true
		}
	}
	return "", false
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
