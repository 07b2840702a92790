package config

import (
	"fmt"
	"regexp"
	"strings"
)

var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// maxExpandDepth bounds nested ${A:-${B:-...}} defaults.
const maxExpandDepth = 8

// expand replaces ${VAR} and ${VAR:-default} from lookup. `$${` writes a
// literal `${`; any other `$` is kept as is (so `sh -c 'echo $HOME'` works).
// An unset variable without a default is an error, never an empty string.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	return expandDepth(s, lookup, 0)
}

func expandDepth(s string, lookup func(string) (string, bool), depth int) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	if depth > maxExpandDepth {
		return "", fmt.Errorf("variable defaults nested more than %d deep", maxExpandDepth)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 2
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte('$')
			continue
		}
		end := matchBrace(s, i+2)
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q; accepted: ${VAR}, ${VAR:-default}, $${ for a literal ${", clip(s[i:]))
		}
		inner := s[i+2 : end]
		name, def, hasDef := strings.Cut(inner, ":-")
		if !varNameRE.MatchString(name) {
			return "", fmt.Errorf("invalid variable reference ${%s}; accepted: ${VAR}, ${VAR:-default} with VAR of letters, digits, _", clip(inner))
		}
		if v, ok := lookup(name); ok && (v != "" || !hasDef) {
			b.WriteString(v)
		} else if hasDef {
			d, err := expandDepth(def, lookup, depth+1)
			if err != nil {
				return "", err
			}
			b.WriteString(d)
		} else {
			return "", fmt.Errorf("environment variable %s is not set; accepted: set it, or write ${%s:-default}", name, name)
		}
		i = end
	}
	return b.String(), nil
}

// matchBrace returns the index of the `}` closing a `${` whose body starts
// at from, counting nested `${`; -1 if there is none.
func matchBrace(s string, from int) int {
	depth := 0
	for j := from; j < len(s); j++ {
		switch {
		case s[j] == '$' && j+1 < len(s) && s[j+1] == '{':
			depth++
			j++
		case s[j] == '}':
			if depth == 0 {
				return j
			}
			depth--
		}
	}
	return -1
}
