package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/supervise/supervise/internal/cron"
)

const (
	acceptBool     = "true, false (also yes/no, on/off)"
	acceptSize     = "a byte count such as 512, 64K, 100M, 2G (binary multiples; KB, KiB, MB... also)"
	acceptDuration = "a duration such as 500ms, 10s, 1h30m, 30d"
)

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; accepted: %s", clip(v), acceptBool)
}

// parseSize reads a byte count with an optional binary multiple.
func parseSize(v string) (int64, error) {
	bad := fmt.Errorf("%q is not a size; accepted: %s", clip(v), acceptSize)
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, bad
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large; accepted: %s", clip(v), acceptSize)
	}
	unit := strings.ToUpper(strings.TrimSpace(v[i:]))
	var mult int64
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "IB"), "B") {
	case "":
		mult = 1
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	case "T":
		mult = 1 << 40
	default:
		return 0, bad
	}
	if unit == "IB" { // "512iB" is not a unit
		return 0, bad
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large; accepted: %s", clip(v), acceptSize)
	}
	return n * mult, nil
}

// parseDuration is cron.ParseDuration (Go durations plus `d`) with the
// messages of services.conf. Negative durations are errors.
func parseDuration(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	d, err := cron.ParseDuration(v)
	switch {
	case errors.Is(err, cron.ErrDurationRange):
		return 0, fmt.Errorf("%q is too long; accepted: %s", clip(v), acceptDuration)
	case err != nil || v == "":
		return 0, fmt.Errorf("%q is not a duration; accepted: %s", clip(v), acceptDuration)
	}
	return d, nil
}

// parseAmount reads a size or a percentage such as 5% or 2.5%.
func parseAmount(v string) (Amount, error) {
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
			return Amount{}, fmt.Errorf("%q is not a percentage; accepted: 0%% to 100%%, or %s", clip(v), acceptSize)
		}
		return Amount{Percent: f, IsPercent: true}, nil
	}
	n, err := parseSize(v)
	if err != nil {
		return Amount{}, fmt.Errorf("%q is not a size or percentage; accepted: a percentage such as 5%%, or %s", clip(v), acceptSize)
	}
	return Amount{Bytes: n}, nil
}

func parseCount(v string, min, max int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%q is not a valid number; accepted: a whole number from %d to %d", clip(v), min, max)
	}
	return n, nil
}

func parseFileMode(v string) (os.FileMode, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0o"), 8, 32)
	if err != nil || n > 0o777 || n&0o600 != 0o600 {
		return 0, fmt.Errorf("%q is not a file mode; accepted: octal permissions from 0600 to 0777 that let the owner read and write, such as 0644 or 0640", clip(v))
	}
	return os.FileMode(n), nil
}

// splitCommand splits v into argv with the quoting rules of a POSIX shell:
// '...' is literal, "..." honours \" \\ \$ \` escapes, and outside quotes a
// backslash escapes the next character. Nothing is expanded and no shell
// runs.
func splitCommand(v string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 >= len(v) {
				return nil, fmt.Errorf("trailing backslash in %q; accepted: a command line with shell quoting ('...', \"...\", \\)", clip(v))
			}
			i++
			cur.WriteByte(v[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(v[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q; accepted: a command line with shell quoting ('...', \"...\", \\)", clip(v))
			}
			cur.WriteString(v[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			closed := false
			for i++; i < len(v); i++ {
				if v[i] == '"' {
					closed = true
					break
				}
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(v[i])
			}
			if !closed {
				return nil, fmt.Errorf("unterminated \" in %q; accepted: a command line with shell quoting ('...', \"...\", \\)", clip(v))
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("empty command; accepted: a program and its arguments, such as python train.py --epochs 3")
	}
	return args, nil
}
