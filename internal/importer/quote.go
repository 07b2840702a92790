package importer

import (
	"fmt"
	"strings"
)

// Intentional ${VAR} references (from supervisord's %(ENV_X)s) travel through
// the converters as private-use markers, so the renderers can tell them from
// a literal "${" that must not be expanded by our parser.
const (
	refOpen  = '\uE000'
	refClose = '\uE001'
)

// envRef is a reference to VAR that our parser expands when it reads the file.
func envRef(name string) string {
	return string(refOpen) + name + string(refClose)
}

// renderRefs writes text for our parser's ${VAR} expansion: a literal "${"
// becomes "$${" (the parser's escape for it) and markers become ${VAR}.
func renderRefs(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	s = strings.ReplaceAll(s, string(refOpen), "${")
	return strings.ReplaceAll(s, string(refClose), "}")
}

// value renders a plain value (path, user, KEY=VALUE) for our parser: quoted
// with "..." when it would otherwise lose leading or trailing blanks, start a
// quoted value by accident, or hold a comment start (# or ; after a blank).
func value(s string) string {
	r := renderRefs(s)
	if !needsQuotes(r) {
		return r
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range r {
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	return b.String()
}

// envLine renders an `env` value, KEY=VALUE. Our parser unquotes a VALUE
// that starts with a quote, so such a value, and one that holds a comment
// start or edge blanks, is written KEY="..." with \" and \\ escapes.
func envLine(key, val string) string {
	r := renderRefs(val)
	if !needsQuotes(r) {
		return key + "=" + r
	}
	return key + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(r) + `"`
}

// validEnvKey is what our parser accepts as a variable name.
func validEnvKey(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s != strings.TrimSpace(s) || s[0] == '"' || s[0] == '#' || s[0] == ';' || s[0] == '\'' {
		return true
	}
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isBlank(s[i-1]) {
			return true
		}
	}
	return false
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isBlankRune also sees through the mark commandValue puts on escaped runes:
// the parser's comment rule looks at the raw text.
func isBlankRune(r rune) bool { return r == ' ' || r == '\t' || r == -' ' || r == -'\t' }

// commandValue renders a command line that is in shell quoting syntax (what
// SPEC §2 `command` splits) so that our config parser hands it over
// unchanged: a literal "${" is written "$${" so it is not expanded, and an
// unquoted # or ; after a blank is escaped so it does not start a comment.
// Quoted text needs no care: the parser's comment rule skips quotes.
func commandValue(cmd string) string {
	const (
		bare = iota
		single
		double
	)
	in := []rune(strings.TrimSpace(renderRefs(strings.NewReplacer("\n", " ", "\r", " ").Replace(cmd))))
	var b strings.Builder
	state := bare
	for i, r := range in {
		switch state {
		case bare:
			switch {
			case r == '\\':
				// The escaped character is copied by the next iteration;
				// mark it so it is not taken for a quote.
				b.WriteRune(r)
				if i+1 < len(in) {
					in[i+1] = -in[i+1]
				}
				continue
			case r < 0:
				r = -r
			case r == '\'':
				state = single
			case r == '"':
				state = double
			case (r == '#' || r == ';') && (i == 0 || isBlankRune(in[i-1])):
				b.WriteRune('\\')
			}
		case single:
			if r == '\'' {
				state = bare
			}
		case double:
			switch {
			case r == '\\':
				b.WriteRune(r)
				if i+1 < len(in) {
					in[i+1] = -in[i+1]
				}
				continue
			case r < 0:
				r = -r
			case r == '"':
				state = bare
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkQuoting reports what makes a command unsplittable by POSIX quoting
// rules (Python's shlex.split, our command splitter): an open quote or a
// trailing backslash.
func checkQuoting(cmd string) error {
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			if i+1 >= len(cmd) {
				return fmt.Errorf("trailing backslash")
			}
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		}
	}
	if quote != 0 {
		return fmt.Errorf("no closing %c", quote)
	}
	return nil
}

// shellQuote quotes one word for sh and for our command splitter alike.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:,=+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
