package config

import (
	"fmt"
	"strings"
)

// Error is one problem found in a config file.
type Error struct {
	File string
	Line int // 0 when the problem is not tied to a line
	Msg  string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in a config file, in line order. Parse and
// Load return it (as error) whenever the file is invalid.
type Errors []Error

// Error prints one `FILE:LINE: message` per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// suggest returns ` (did you mean "x"?)`-style advice for a near miss of
// one of the candidates, or "".
func suggest(got string, candidates []string) string {
	if len(got) > 64 {
		return ""
	}
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := distance(strings.ToLower(got), c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(got) <= 4 {
		limit = 1
	}
	if bestD <= limit || (best != "" && (strings.Contains(best, strings.ToLower(got)) && len(got) >= 3)) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return ""
}

// distance is the Levenshtein distance (with adjacent transpositions
// counted as one edit) between a and b.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
