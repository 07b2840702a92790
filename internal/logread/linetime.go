package logread

import (
	"strconv"
	"time"
)

// LineTime parses the timestamp prefix that `timestamps = rfc3339` or
// `timestamps = unix` puts before each line ("2026-11-28T21:45:00.123Z " or
// "1795902300.123 "). A line without one yields ok == false.
func LineTime(line []byte) (t time.Time, ok bool) {
	if len(line) == 0 || line[0] < '0' || line[0] > '9' {
		return time.Time{}, false
	}
	sp := -1
	for i := 0; i < len(line) && i < 40; i++ {
		if line[i] == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 {
		return time.Time{}, false
	}
	tok := string(line[:sp])
	if len(tok) >= len("2006-01-02T15:04:05Z") && tok[4] == '-' {
		t, err := time.Parse(time.RFC3339Nano, tok)
		return t, err == nil && !t.IsZero() // year 1 would read as "no timestamp"
	}
	return unixTime(tok)
}

// unixTime accepts SECONDS[.FRACTION] with 9 to 11 digits of seconds
// (1973 to 5138), so that a line starting with an ordinary number is not
// mistaken for a timestamp.
func unixTime(tok string) (time.Time, bool) {
	secPart, frac := tok, ""
	for i := 0; i < len(tok); i++ {
		if tok[i] == '.' {
			secPart, frac = tok[:i], tok[i+1:]
			break
		}
	}
	if len(secPart) < 9 || len(secPart) > 11 || !allDigits(secPart) {
		return time.Time{}, false
	}
	if frac != "" && (len(frac) > 9 || !allDigits(frac)) {
		return time.Time{}, false
	}
	if len(tok) > len(secPart) && frac == "" {
		return time.Time{}, false // "123456789." is not a timestamp
	}
	sec, _ := strconv.ParseInt(secPart, 10, 64)
	var nsec int64
	if frac != "" {
		n, _ := strconv.ParseInt(frac, 10, 64)
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return time.Unix(sec, nsec), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
