package config

import (
	"fmt"
	"regexp"
	"strings"
)

// section is one [kind NAME] block as written, before interpretation.
type section struct {
	kind    string // supervise, defaults, service, logfile
	name    string
	line    int
	entries []entry
}

// entry is one `key = value` line with its comment removed; the value is
// neither expanded nor unquoted yet.
type entry struct {
	key  string
	raw  string
	line int
}

var (
	sectionKinds = []string{"supervise", "defaults", "service", "logfile"}
	nameRE       = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// lex splits data into sections. Lines before the first section header and
// lines of an unusable header are reported and skipped.
func (p *parser) lex(data []byte) []*section {
	var out []*section
	var cur *section
	skipping := false // inside a rejected section: its keys are not checked
	text := strings.TrimPrefix(string(data), "\ufeff")
	lineNo := 0
	for len(text) > 0 {
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		lineNo++
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			cur = p.header(line, lineNo)
			skipping = cur == nil
			if cur != nil {
				out = append(out, cur)
			}
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			p.errorf(lineNo, "expected `key = value` or a [section] header, found %q", clip(line))
			continue
		}
		if key == "" {
			p.errorf(lineNo, "missing key before `=`")
			continue
		}
		if cur == nil {
			if !skipping {
				p.errorf(lineNo, "key %q outside any section; accepted: put it under [supervise], [defaults], [service NAME] or [logfile NAME]", clip(key))
			}
			continue
		}
		cur.entries = append(cur.entries, entry{key: key, raw: stripComment(strings.TrimSpace(raw)), line: lineNo})
	}
	return out
}

// header parses a `[kind NAME]` line; nil means it was rejected (reported).
func (p *parser) header(line string, lineNo int) *section {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		p.errorf(lineNo, "section header %q has no closing ]", clip(line))
		return nil
	}
	if rest := stripComment(strings.TrimSpace(line[end+1:])); rest != "" {
		p.errorf(lineNo, "unexpected text %q after section header", clip(rest))
		return nil
	}
	words := strings.Fields(line[1:end])
	if len(words) == 0 {
		p.errorf(lineNo, "empty section header; accepted: [supervise], [defaults], [service NAME], [logfile NAME]")
		return nil
	}
	kind := words[0]
	if k, n, ok := strings.Cut(kind, ":"); ok && len(words) == 1 && (k == "program" || k == "service") {
		p.errorf(lineNo, "section [%s] is supervisord syntax; accepted: [service %s]", clip(kind), clip(n))
		return nil
	}
	known := false
	for _, k := range sectionKinds {
		known = known || k == kind
	}
	if !known {
		msg := fmt.Sprintf("unknown section [%s]", clip(kind))
		if s := suggest(kind, sectionKinds); s != "" {
			msg += "; " + s
		}
		p.errorf(lineNo, "%s; accepted: [supervise], [defaults], [service NAME], [logfile NAME]", msg)
		return nil
	}
	sec := &section{kind: kind, line: lineNo}
	switch kind {
	case "supervise", "defaults":
		if len(words) != 1 {
			p.errorf(lineNo, "[%s] takes no name, found %q", kind, clip(strings.Join(words[1:], " ")))
			return nil
		}
	default:
		if len(words) != 2 {
			if len(words) == 1 {
				p.errorf(lineNo, "[%s] needs a name; accepted: [%s NAME] with NAME of letters, digits, _ . -", kind, kind)
			} else {
				p.errorf(lineNo, "[%s %s] has more than one name; accepted: [%s NAME] with NAME of letters, digits, _ . -", kind, clip(strings.Join(words[1:], " ")), kind)
			}
			return nil
		}
		if !nameRE.MatchString(words[1]) {
			p.errorf(lineNo, "invalid %s name %q; accepted: letters, digits, _ . -", kind, clip(words[1]))
			return nil
		}
		sec.name = words[1]
	}
	return sec
}

// stripComment cuts s at the first `#` or `;` that starts s or follows
// whitespace, outside '...' and "..." quotes.
func stripComment(s string) string {
	var quote byte
	boundary := true // at the start or after unescaped whitespace
	for i := 0; i < len(s); i++ {
		c := s[i]
		wasBoundary := boundary
		boundary = false
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ' ' || c == '\t':
			boundary = true
		case (c == '#' || c == ';') && wasBoundary:
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// unquote removes one pair of surrounding double quotes; inside them `\"`
// and `\\` are escapes and any other backslash is literal.
func unquote(s string) (string, error) {
	if s == "" || s[0] != '"' {
		return s, nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '"':
			if rest := strings.TrimSpace(s[i+1:]); rest != "" {
				return "", fmt.Errorf("unexpected text %q after the closing quote; accepted: a value, or one \"quoted value\"", clip(rest))
			}
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quote in %s; accepted: \"quoted value\"", clip(s))
}

// clip shortens what error messages quote from the input.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
