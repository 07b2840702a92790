package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// runFramer feeds chunks (each with its own clock reading) through a framer
// the way a capture reader does, then ends the stream, and returns what
// reached the file and the console.
func runFramer(pol config.LogPolicy, chunks []string, times []time.Time) (file, console string) {
	var out, con strings.Builder
	f := &framer{name: "svc", sink: func(o, c []byte) { out.Write(o); con.Write(c) }}
	pending := ""
	for i, ch := range chunks {
		now := time.Unix(0, 0)
		if i < len(times) {
			now = times[i]
		}
		f.begin(&pol, now)
		pending = string(f.frame([]byte(pending + ch)))
	}
	if pending != "" {
		f.begin(&pol, time.Unix(0, 0))
		pending = string(f.frame([]byte(pending + "\n")))
	}
	return out.String(), con.String()
}

func TestFramer(t *testing.T) {
	base := config.LogPolicy{Mode: config.LogFile, MaxLine: 64 << 10, ProgressInterval: 10 * time.Second}
	at := func(sec float64) time.Time {
		return time.Unix(1795902300, 0).Add(time.Duration(sec * float64(time.Second)))
	}
	tests := []struct {
		name    string
		pol     func(p *config.LogPolicy)
		chunks  []string
		times   []time.Time
		file    string
		console string
	}{
		{name: "split chunks", chunks: []string{"ab", "c\nde", "f\n"}, file: "abc\ndef\n"},
		{name: "partial at end", chunks: []string{"x\ny"}, file: "x\ny\n"},
		{name: "max_line split", pol: func(p *config.LogPolicy) { p.MaxLine = 4 },
			chunks: []string{"abcdefghij\nxy\n"}, file: "abcd\\\nefgh\\\nij\nxy\n"},
		{name: "max_line split across reads", pol: func(p *config.LogPolicy) { p.MaxLine = 4 },
			chunks: []string{"abcde", "fghij\n"}, file: "abcd\\\nefgh\\\nij\n"},
		{name: "max_line keeps utf8 whole", pol: func(p *config.LogPolicy) { p.MaxLine = 4 },
			chunks: []string{"abcé\n"}, file: "abc\\\né\n"},
		{name: "rfc3339", pol: func(p *config.LogPolicy) { p.Timestamps = config.TimestampsRFC3339 },
			chunks: []string{"a\nb\n"}, times: []time.Time{at(0.1234)},
			file: "2026-11-28T21:45:00.123Z a\n2026-11-28T21:45:00.123Z b\n"},
		{name: "unix", pol: func(p *config.LogPolicy) { p.Timestamps = config.TimestampsUnix },
			chunks: []string{"a\n"}, times: []time.Time{at(0.05)}, file: "1795902300.050 a\n"},
		{name: "strip ansi", pol: func(p *config.LogPolicy) { p.StripANSI = true },
			chunks: []string{"\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x1b(B\x1b=\n"}, file: "red ok\n"},
		{name: "strip ansi split sequence", pol: func(p *config.LogPolicy) { p.StripANSI = true },
			chunks: []string{"a\x1b[3", "2mb\n"}, file: "ab\n"},
		{name: "collapse one chunk", pol: func(p *config.LogPolicy) { p.CollapseProgress = true },
			chunks: []string{"\r 10%\r 50%\r100% done\nnext\n"}, file: "100% done\nnext\n"},
		{name: "collapse crlf", pol: func(p *config.LogPolicy) { p.CollapseProgress = true },
			chunks: []string{"line\r\n"}, file: "line\n"},
		{name: "collapse keeps one state per interval", pol: func(p *config.LogPolicy) { p.CollapseProgress = true },
			chunks: []string{"\r 1%", "\r 2%", "\r 3%", "\r 4%", "\r 5%\n"},
			times:  []time.Time{at(0), at(1), at(2), at(11), at(12)},
			file:   " 1%\n 3%\n 5%\n"},
		{name: "console copy", pol: func(p *config.LogPolicy) { p.Console = true },
			chunks: []string{"a\nb\n"}, file: "a\nb\n", console: "svc | a\nsvc | b\n"},
		{name: "console only", pol: func(p *config.LogPolicy) { p.Mode = config.LogConsole },
			chunks: []string{"a\n"}, console: "svc | a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			if tt.pol != nil {
				tt.pol(&p)
			}
			file, console := runFramer(p, tt.chunks, tt.times)
			if file != tt.file || console != tt.console {
				t.Fatalf("file %q console %q, want %q %q", file, console, tt.file, tt.console)
			}
		})
	}
}
