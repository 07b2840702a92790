// Package importer converts supervisord, logrotate and cron configurations
// into a services.conf (SPEC §2). Anything that has no equivalent is kept as a
// "# not converted: ..." comment, so nothing is dropped silently.
package importer

import (
	"fmt"
	"io"
	"strings"
)

// NotePrefix starts every comment about something that was not converted.
const NotePrefix = "# not converted: "

// Conf is a services.conf being built. Values stored in it are already
// rendered for our parser (see value, commandValue).
type Conf struct {
	Header    []string // comment lines at the top, without "# "
	Supervise *Section
	Defaults  *Section
	Sections  []*Section // services and logfiles, in output order

	names map[string]bool // section names taken, across services and logfiles
}

// Section is one [header] with its lines in order.
type Section struct {
	Header string // "supervise", "defaults", "service NAME", "logfile NAME"
	Name   string // NAME for services and logfiles
	Lines  []Line
}

// Line is either "key = value" or, with Key empty, a comment line.
type Line struct {
	Key, Value string
	Comment    string // full comment text including "# "
}

func newConf() *Conf {
	return &Conf{
		Supervise: &Section{Header: "supervise"},
		Defaults:  &Section{Header: "defaults"},
		names:     map[string]bool{},
	}
}

// Set appends "key = value"; value must already be rendered.
func (s *Section) Set(key, value string) {
	s.Lines = append(s.Lines, Line{Key: key, Value: value})
}

// Get returns the rendered value of the last key, if any.
func (s *Section) Get(key string) (string, bool) {
	for i := len(s.Lines) - 1; i >= 0; i-- {
		if s.Lines[i].Key == key {
			return s.Lines[i].Value, true
		}
	}
	return "", false
}

// Replace sets the value of the last key line; false if there is none.
func (s *Section) Replace(key, value string) bool {
	for i := len(s.Lines) - 1; i >= 0; i-- {
		if s.Lines[i].Key == key {
			s.Lines[i].Value = value
			return true
		}
	}
	return false
}

// Note records something that could not be expressed.
func (s *Section) Note(format string, args ...any) {
	s.Lines = append(s.Lines, Line{Comment: NotePrefix + oneLine(fmt.Sprintf(format, args...))})
}

// Comment records an explanation that is not a loss.
func (s *Section) Comment(format string, args ...any) {
	s.Lines = append(s.Lines, Line{Comment: "# " + oneLine(fmt.Sprintf(format, args...))})
}

// oneLine keeps a note on one line whatever the input held.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", `\r`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

// NewSection adds a [kind NAME] section with a valid, unique name derived
// from want. The returned name may differ from want; the caller notes that.
func (c *Conf) NewSection(kind, want string) *Section {
	name := c.uniqueName(want)
	s := &Section{Header: kind + " " + name, Name: name}
	c.Sections = append(c.Sections, s)
	return s
}

// uniqueName returns want made valid and unique, and marks it used.
func (c *Conf) uniqueName(want string) string {
	base := sanitizeName(want)
	name := base
	for i := 2; c.names[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	c.names[name] = true
	return name
}

// sanitizeName maps anything to [A-Za-z0-9_.-]+ (SPEC §2).
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	for strings.Contains(out, "--") {
		out = strings.ReplaceAll(out, "--", "-")
	}
	if out == "" {
		out = "unnamed"
	}
	return out
}

// hoistNotes moves the comment lines of [supervise] into the header, for
// converters whose output defines no [supervise] keys: appended to a
// services.conf that has its own [supervise], it must not add a second one.
func (c *Conf) hoistNotes() {
	var keep []Line
	for _, l := range c.Supervise.Lines {
		if l.Key == "" {
			c.Header = append(c.Header, strings.TrimPrefix(l.Comment, "# "))
			continue
		}
		keep = append(keep, l)
	}
	c.Supervise.Lines = keep
}

// NoteCount is the number of "not converted" notes, for the summary on stderr.
func (c *Conf) NoteCount() int {
	n := 0
	for _, s := range c.all() {
		for _, l := range s.Lines {
			if strings.HasPrefix(l.Comment, NotePrefix) {
				n++
			}
		}
	}
	for _, h := range c.Header {
		if strings.HasPrefix("# "+h, NotePrefix) {
			n++
		}
	}
	return n
}

func (c *Conf) all() []*Section {
	return append([]*Section{c.Supervise, c.Defaults}, c.Sections...)
}

// WriteTo renders the file.
func (c *Conf) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for _, h := range c.Header {
		b.WriteString(strings.TrimRight("# "+oneLine(h), " ") + "\n")
	}
	for _, s := range c.all() {
		if len(s.Lines) == 0 && s.Name == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		// A section of notes only (an unconvertible [supervisord] key, say)
		// is still worth its header: it says where the note came from.
		b.WriteString("[" + s.Header + "]\n")
		for _, l := range s.Lines {
			if l.Key == "" {
				b.WriteString(l.Comment + "\n")
				continue
			}
			b.WriteString(l.Key + " = " + l.Value + "\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// String renders the file.
func (c *Conf) String() string {
	var b strings.Builder
	_, _ = c.WriteTo(&b)
	return b.String()
}
