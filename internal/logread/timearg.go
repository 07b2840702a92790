package logread

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a --since/--until value: RFC 3339 ("2026-11-28T21:45:00Z"),
// a local date and time ("2026-11-28 21:45", with optional ":05"), a local
// date ("2026-11-28"), or a duration ago ("90s", "1h30m", "2d").
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	if d, err := parseAgo(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q; accepted: RFC 3339 (2026-11-28T21:45:00Z), \"2026-11-28 21:45\", a date, or a duration ago (90s, 1h30m, 2d)", s)
}

// parseAgo is time.ParseDuration plus a leading whole-days part ("2d",
// "1d12h"), as in SPEC §2 durations.
func parseAgo(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad days in %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return days + d, nil
}
