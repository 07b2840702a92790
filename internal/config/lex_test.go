package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestStripComment(t *testing.T) {
	for in, want := range map[string]string{
		"value":                     "value",
		"value # comment":           "value",
		"value ; comment":           "value",
		"value\t# comment":          "value",
		"# all comment":             "",
		"a#b":                       "a#b", // not after whitespace
		"http://x/#frag":            "http://x/#frag",
		`"a # b" # c`:               `"a # b"`,
		`sh -c 'echo ; # x' ; tail`: `sh -c 'echo ; # x'`,
		`a\ #b`:                     `a\ #b`, // escaped space
		`"unterminated # x`:         `"unterminated # x`,
	} {
		if got := stripComment(in); got != want {
			t.Errorf("stripComment(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{`plain`, "plain", ""},
		{`"quoted value"`, "quoted value", ""},
		{`"esc \"q\" and \\ and \n"`, `esc "q" and \ and \n`, ""},
		{`""`, "", ""},
		{`"open`, "", "unterminated quote"},
		{`"a" b`, "", "after the closing quote"},
		{`a "b"`, `a "b"`, ""},
	} {
		got, err := unquote(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("unquote(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("unquote(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestExpand(t *testing.T) {
	lookup := testOptions().LookupEnv
	for _, tc := range []struct{ in, want, err string }{
		{"${HOME}/x", "/home/me/x", ""},
		{"${HOME}${DATA}", "/home/me/data", ""},
		{"${NOPE:-fallback}", "fallback", ""},
		{"${EMPTY:-fallback}", "fallback", ""},
		{"${EMPTY}", "", ""},
		{"${NOPE:-}", "", ""},
		{"${NOPE:-${HOME}/d}", "/home/me/d", ""},
		{"${NOPE:-${ALSO:-deep}}", "deep", ""},
		{"${SPACE}", "a b", ""},
		{"$HOME $ $$ $${HOME}", "$HOME $ $$ ${HOME}", ""},
		{"${NOPE}", "", "NOPE is not set"},
		{"${HOME", "", "unterminated ${"},
		{"${}", "", "invalid variable reference"},
		{"${A B}", "", "invalid variable reference"},
		{"${NOPE:-" + strings.Repeat("${X:-", 20) + strings.Repeat("}", 21), "", "nested more than"},
	} {
		got, err := expand(tc.in, lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expand(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{"\ta\t", []string{"a"}},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}},
		{`a'b'"c"d`, []string{"abcd"}},
		{`'it'\''s'`, []string{"it's"}},
		{`"a\"b" "\$x" "\\" "\n"`, []string{`a"b`, "$x", `\`, `\n`}},
		{`a\ b \'c`, []string{"a b", "'c"}},
		{`'' ""`, []string{"", ""}},
		{`sh -c 'echo $((1+2)) | tr 3 x'`, []string{"sh", "-c", "echo $((1+2)) | tr 3 x"}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", "'a", `"a`, `a\`, `"a\"`} {
		if got, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

func TestValues(t *testing.T) {
	sizes := map[string]int64{"0": 0, "512": 512, "64K": 64 << 10, "64k": 64 << 10, "100M": 100 << 20, "2G": 2 << 30, "1T": 1 << 40, "10MB": 10 << 20, "10MiB": 10 << 20, "7B": 7}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "K", "1.5M", "-1", "10X", "1iB", "9223372036854775807K", "99999999999999999999"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	durs := map[string]string{"0": "0s", "500ms": "500ms", "10s": "10s", "1h30m": "1h30m0s", "30d": "720h0m0s", "1d12h": "36h0m0s", "1.5d": "36h0m0s"}
	for in, want := range durs {
		if got, err := parseDuration(in); err != nil || got.String() != want {
			t.Errorf("parseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "5", "-1s", "d", "1w", "1d-2h", "99999999d", "10 s"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) accepted", bad)
		}
	}
	for in, want := range map[string]bool{"true": true, "YES": true, "on": true, "false": false, "No": false, "off": false} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
}

func TestAmountOf(t *testing.T) {
	if got := (Amount{Percent: 5, IsPercent: true}).Of(1000); got != 50 {
		t.Errorf("5%% of 1000 = %d", got)
	}
	if got := (Amount{Bytes: 7}).Of(1000); got != 7 {
		t.Errorf("7 bytes of 1000 = %d", got)
	}
}

func TestSuggest(t *testing.T) {
	keys := validKeys("service")
	for in, want := range map[string]string{
		"comand":        "command",
		"Command":       "command",
		"restarts":      "restart",
		"stopsignal":    "stop_signal",
		"rotate-size":   "rotate_size",
		"max_restart":   "max_restarts",
		"enviroment":    "",
		"xyz":           "",
		"autostrat":     "autostart",
		"delaycompress": "delay_compress",
	} {
		got := suggest(in, keys)
		if want == "" && got != "" || want != "" && got != `did you mean "`+want+`"?` {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if distance("kitten", "sitting") != 3 || distance("ab", "ba") != 1 || distance("", "abc") != 3 {
		t.Errorf("distance is wrong")
	}
}

func TestLexCRLFAndBOM(t *testing.T) {
	cfg := mustParse(t, "\ufeff[service a]\r\ncommand = a b\r\n; comment\r\n  # indented comment\r\n\r\nkeep = 3 ; trailing\r\n")
	s := cfg.Services[0]
	if !reflect.DeepEqual(s.Command, []string{"a", "b"}) || s.Log.Keep != 3 {
		t.Errorf("CRLF/BOM config: %+v", s)
	}
}

func TestStartOrder(t *testing.T) {
	cfg := mustParse(t, `
[service web]
command = w
after = db, setup
[service train]
command = t
[service db]
command = d
after = setup
[service setup]
command = s
oneshot = true
[service report]
command = r
after = web
`)
	var got []string
	for _, s := range cfg.StartOrder() {
		got = append(got, s.Name)
	}
	if want := []string{"train", "setup", "db", "web", "report"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StartOrder = %v, want %v", got, want)
	}
	got = got[:0]
	for _, s := range cfg.StopOrder() {
		got = append(got, s.Name)
	}
	if want := []string{"report", "web", "db", "setup", "train"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StopOrder = %v, want %v", got, want)
	}
	// A hand-built Config with a cycle loses nobody.
	c := &Config{Services: []*Service{{Name: "a", After: []string{"b"}}, {Name: "b", After: []string{"a"}}, {Name: "c"}}}
	if n := len(c.StartOrder()); n != 3 {
		t.Errorf("StartOrder with a cycle returned %d services", n)
	}
}
