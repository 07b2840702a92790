package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocMatchesParser fails when docs/config.md and the parser disagree on
// which keys exist in which section.
func TestDocMatchesParser(t *testing.T) {
	data, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	doc := map[string][]string{} // heading -> keys
	inLogfile := map[string]bool{}
	heading := ""
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			heading = h
			continue
		}
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		doc[heading] = append(doc[heading], m[1])
		if heading == "Log keys" {
			cells := strings.Split(line, "|")
			if len(cells) < 5 {
				t.Fatalf("log key row without an [logfile] column: %s", line)
			}
			inLogfile[m[1]] = strings.TrimSpace(cells[3]) == "yes"
		}
	}
	check := func(heading string, parser []string) {
		t.Helper()
		got := slices.Sorted(slices.Values(doc[heading]))
		want := slices.Sorted(slices.Values(parser))
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("docs/config.md, ## %s: key %s is parsed but not documented", heading, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(want, k) {
				t.Errorf("docs/config.md, ## %s: key %s is documented but not parsed", heading, k)
			}
		}
		if len(got) != len(slices.Compact(slices.Clone(got))) {
			t.Errorf("docs/config.md, ## %s: a key is documented twice", heading)
		}
	}
	check("[supervise]", keysOf(supervisorKeys))
	check("[service NAME]", keysOf(serviceKeys))
	check("Log keys", keysOf(logKeys))
	check("[logfile NAME]", keysOf(logfileKeys))
	for k, lk := range logKeys {
		if doc, ok := inLogfile[k]; ok && doc != lk.inLogfile {
			t.Errorf("docs/config.md: log key %s says in [logfile] = %v, the parser says %v", k, doc, lk.inLogfile)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestReadmeExampleParses keeps the services.conf shown in README.md valid:
// a newcomer copies it first.
func TestReadmeExampleParses(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```ini\n")
	if !ok {
		t.Fatal("README.md has no ```ini block")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md: the ```ini block is not closed")
	}
	cfg, err := ParseOptions("README.md", []byte(example), testOptions())
	if err != nil {
		t.Fatalf("the README's example does not parse:\n%v", err)
	}
	if len(cfg.Services) < 4 {
		t.Errorf("the README's example has %d services", len(cfg.Services))
	}
}
