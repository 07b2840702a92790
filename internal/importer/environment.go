package importer

import (
	"fmt"
	"strings"
)

// envPair is one KEY=VALUE of a supervisord environment= value.
type envPair struct{ Key, Value string }

// parseEnvironment reads supervisord's environment= value the way its
// dict_of_key_value_pairs does: a non-POSIX shlex with "/.+-():" added to
// the word characters, tokens taken three at a time (KEY, "=", VALUE) with
// one separator token between pairs, and quotes stripped from the ends of
// each value. So `A="x,y",B=/usr/bin:/bin` works and `A=x y` is an error,
// as it is for supervisord.
func parseEnvironment(s string) ([]envPair, error) {
	toks, err := shlexNonPOSIX(s)
	if err != nil {
		return nil, err
	}
	var out []envPair
	for i := 0; i < len(toks); i += 4 {
		if i+3 > len(toks) || toks[i+1] != "=" {
			return nil, fmt.Errorf("unexpected end of key/value pairs in %q", s)
		}
		out = append(out, envPair{Key: toks[i], Value: strings.Trim(toks[i+2], `'"`)})
	}
	return out, nil
}

func isShlexWordChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("_/.+-():", r) ||
		// Our ${VAR} markers stand for text supervisord would have expanded
		// before tokenizing; treat them as word text.
		r == refOpen || r == refClose
}

// shlexNonPOSIX is Python's shlex.shlex(s) token stream (posix=False,
// commenters "#", quotes kept in the token and ending it).
func shlexNonPOSIX(s string) ([]string, error) {
	var toks []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			i++
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case isShlexWordChar(r):
			j := i
			for j < len(rs) && (isShlexWordChar(rs[j]) || rs[j] == '"' || rs[j] == '\'') {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		case r == '"' || r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != r {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("no closing quotation in %q", s)
			}
			toks = append(toks, string(rs[i:j+1]))
			i = j + 1
		default:
			toks = append(toks, string(r))
			i++
		}
	}
	return toks, nil
}
