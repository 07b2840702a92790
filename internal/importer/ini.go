package importer

import (
	"fmt"
	"strings"
)

// iniFile is what Python's configparser makes of a supervisord file, as
// supervisord configures it: "=" or ":" delimiters, lower-cased keys, "#" and
// ";" comments at line start or after a blank, indented continuation lines,
// later keys and repeated sections merging into earlier ones.
type iniFile struct {
	sections []*iniSection // in order of first appearance
	byName   map[string]*iniSection
	problems []string // lines that configparser would reject, as FILE:LINE: text
}

type iniSection struct {
	name string
	file string // file that defined it last (supervisord's %(here)s)
	line int
	keys map[string]*iniValue
	ord  []string // keys in order of first appearance
}

type iniValue struct {
	value string
	file  string
	line  int
}

func newINI() *iniFile {
	return &iniFile{byName: map[string]*iniSection{}}
}

func (s *iniSection) get(key string) (string, bool) {
	v, ok := s.keys[key]
	if !ok {
		return "", false
	}
	return v.value, true
}

// parse merges the text of one file into f.
func (f *iniFile) parse(file string, data []byte) {
	var cur *iniSection
	var curKey string
	curIndent := 0
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, raw := range lines {
		lineNo := i + 1
		trimmed := strings.TrimSpace(raw)
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		text := stripInlineComment(raw)
		if strings.TrimSpace(text) == "" {
			continue
		}
		if cur != nil && curKey != "" && indent > curIndent {
			v := cur.keys[curKey]
			if v.value == "" {
				v.value = strings.TrimSpace(text)
			} else {
				v.value += "\n" + strings.TrimSpace(text)
			}
			continue
		}
		curIndent = indent
		t := strings.TrimSpace(text)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			name := strings.TrimSpace(t[1 : len(t)-1])
			cur = f.byName[name]
			if cur == nil {
				cur = &iniSection{name: name, line: lineNo, keys: map[string]*iniValue{}}
				f.byName[name] = cur
				f.sections = append(f.sections, cur)
			}
			cur.file = file
			curKey = ""
			continue
		}
		if cur == nil {
			f.problems = append(f.problems, fmt.Sprintf("%s:%d: line before any [section]: %s", file, lineNo, t))
			continue
		}
		k := strings.IndexAny(t, "=:")
		if k <= 0 {
			f.problems = append(f.problems, fmt.Sprintf("%s:%d: not key = value: %s", file, lineNo, t))
			curKey = ""
			continue
		}
		key := strings.ToLower(strings.TrimSpace(t[:k]))
		val := strings.TrimSpace(t[k+1:])
		if _, ok := cur.keys[key]; !ok {
			cur.ord = append(cur.ord, key)
		}
		cur.keys[key] = &iniValue{value: val, file: file, line: lineNo}
		curKey = key
	}
}

// stripInlineComment cuts at the first "#" or ";" that follows a blank, as
// configparser's inline_comment_prefixes do: quotes do not protect them.
func stripInlineComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isBlank(s[i-1]) {
			return s[:i]
		}
	}
	return s
}

// pyFormat applies Python's "%(name)s" formatting with vars, which is how
// supervisord expands its values. ENV_X becomes a ${X} reference; a name
// missing from vars is an error, as in supervisord.
func pyFormat(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '(' {
			return "", fmt.Errorf("%q: a %% must be written %%%% or start %%(name)s", s)
		}
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return "", fmt.Errorf("%q: unterminated %%(name", s)
		}
		name := s[i+2 : i+end]
		j := i + end + 1
		start := j
		for j < len(s) && strings.IndexByte("#0- +", s[j]) >= 0 {
			j++
		}
		flags := s[start:j]
		wstart := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		width := 0
		fmt.Sscanf(s[wstart:j], "%d", &width)
		if j-wstart > 4 {
			return "", fmt.Errorf("%q: field width %s is too large", s, s[wstart:j])
		}
		if j < len(s) && s[j] == '.' {
			j++
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
		}
		if j >= len(s) {
			return "", fmt.Errorf("%q: %%(%s) has no conversion character", s, name)
		}
		conv := s[j]
		i = j
		if env, ok := strings.CutPrefix(name, "ENV_"); ok {
			b.WriteString(envRef(env))
			continue
		}
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("%q: unknown expansion %%(%s)", s, name)
		}
		switch conv {
		case 's', 'r':
			b.WriteString(pad(v, width, flags, ' '))
		case 'd', 'i', 'u':
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
				return "", fmt.Errorf("%q: %%(%s)%c needs a number, %s is %q", s, name, conv, name, v)
			}
			fill := byte(' ')
			if strings.Contains(flags, "0") && !strings.Contains(flags, "-") {
				fill = '0'
			}
			b.WriteString(pad(fmt.Sprint(n), width, flags, fill))
		default:
			return "", fmt.Errorf("%q: conversion %%%c is not supported", s, conv)
		}
	}
	return b.String(), nil
}

func pad(v string, width int, flags string, fill byte) string {
	if len(v) >= width {
		return v
	}
	if strings.Contains(flags, "-") {
		return v + strings.Repeat(" ", width-len(v))
	}
	p := strings.Repeat(string(fill), width-len(v))
	if fill == '0' && strings.HasPrefix(v, "-") {
		return "-" + p + v[1:]
	}
	return p + v
}

// pyBool is supervisord's boolean().
func pyBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, yes/no, on/off, 1/0)", s)
}

// byteSize is supervisord's byte_size(): 1024-based KB, MB, GB suffixes.
func byteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || fmt.Sprint(n) != t || n < 0 {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KB, MB or GB)", s)
	}
	return n * mult, nil
}

// formatSize writes n in the largest binary unit that divides it (SPEC §2).
func formatSize(n int64) string {
	for _, u := range []struct {
		suf string
		m   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.m == 0 {
			return fmt.Sprintf("%d%s", n/u.m, u.suf)
		}
	}
	return fmt.Sprint(n)
}

// minRotateSize is the smallest non-zero rotate_size our parser accepts.
const minRotateSize = 4096

// rotateSize renders a rotation size, raising a non-zero one below our
// minimum to it; the bool says it was raised.
func rotateSize(n int64) (string, bool) {
	if n > 0 && n < minRotateSize {
		return formatSize(minRotateSize), true
	}
	return formatSize(n), false
}

// formatSeconds writes whole seconds as a duration our parser accepts.
func formatSeconds(n int) string {
	return fmt.Sprintf("%ds", n)
}
