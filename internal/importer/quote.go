package importer

import (
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

// hasLiteralExpansion reports whether s holds a "${" that is not one of our
// references: our parser would expand it, the original program did not.
func hasLiteralExpansion(s string) bool {
	return strings.Contains(s, "${")
}

// renderRefs turns markers into ${VAR}.
func renderRefs(s string) string {
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

// commandValue renders a command line that is in shell quoting syntax (what
// SPEC §2 `command` splits) so that our config parser hands it over
// unchanged: a literal "${" is broken up so it is not expanded, and a # or ;
// after a blank is escaped so it does not start a comment. Each fix is
// written in the quoting context where it occurs, so splitting the result
// gives the same argv as splitting the input.
func commandValue(cmd string) string {
	const (
		bare = iota
		single
		double
	)
	in := []rune(strings.TrimSpace(cmd))
	var b strings.Builder
	state := bare
	prev := ' ' // the value starts after "= ", so it counts as after a blank
	emit := func(r rune) {
		b.WriteRune(r)
		prev = r
	}
	// breakOut writes r so that it is not adjacent to what came before, in
	// the current quoting context.
	breakOut := func(r rune) {
		switch state {
		case bare:
			b.WriteRune('\\')
		case single:
			b.WriteString("''")
		case double:
			b.WriteString(`""`)
		}
		emit(r)
	}
	if len(in) > 0 && in[0] == '"' {
		// A value that starts with " would be taken for a quoted value; an
		// empty '' in front changes nothing for the shell splitter.
		b.WriteString("''")
		prev = '\''
	}
	for i := 0; i < len(in); i++ {
		r := in[i]
		if r == refOpen {
			j := i + 1
			for j < len(in) && in[j] != refClose {
				j++
			}
			b.WriteString("${" + string(in[i+1:min(j, len(in))]) + "}")
			prev = '}'
			i = j
			continue
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		if (r == '#' || r == ';') && (prev == ' ' || prev == '\t') {
			breakOut(r)
			continue
		}
		if r == '{' && prev == '$' {
			breakOut(r)
			continue
		}
		switch state {
		case bare:
			switch r {
			case '\\':
				// An escaped character is still checked against what precedes
				// it in the raw text: the parser reads raw text.
				emit(r)
				if i+1 < len(in) && in[i+1] != refOpen && in[i+1] != '{' && in[i+1] != '#' && in[i+1] != ';' {
					i++
					emit(in[i])
				}
				continue
			case '\'':
				state = single
			case '"':
				state = double
			}
		case single:
			if r == '\'' {
				state = bare
			}
		case double:
			switch r {
			case '\\':
				emit(r)
				if i+1 < len(in) && in[i+1] != refOpen && in[i+1] != '{' && in[i+1] != '#' && in[i+1] != ';' {
					i++
					emit(in[i])
				}
				continue
			case '"':
				state = bare
			}
		}
		emit(r)
	}
	return b.String()
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
