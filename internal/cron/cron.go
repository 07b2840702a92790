// Package cron parses schedule expressions (5-field cron, @hourly, @daily,
// @weekly, @every D) and computes their next run in a given location.
//
// Daylight-saving time follows Vixie cron: a job whose minute and hour
// fields are both fixed (neither written with `*`) runs once at the end of a
// skipped interval when its time falls in it (spring forward), and only at
// the first occurrence of a repeated wall-clock time (fall back). Jobs with
// `*` in the minute or hour field follow the clock as it is: they do not run
// for skipped times and do run in both copies of a repeated hour.
package cron

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed schedule expression. The zero Schedule never runs.
type Schedule struct {
	Spec string // as written

	every time.Duration // @every; the fields below are unused when > 0

	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool   // field written starting with '*'
	fixed                         bool   // neither minute nor hour starts with '*'
}

// descriptors are the @ shorthands and their 5-field equivalents.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Accepted describes the accepted syntax for error messages.
const Accepted = "5 fields (minute hour day-of-month month day-of-week) with *, ranges a-b, steps */n or a-b/n, lists a,b, names JAN-DEC and SUN-SAT; or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @every DURATION"

type field struct {
	name     string
	min, max int
	names    []string // names[v] is the name of value v ("" for none)
}

var (
	monthNames = []string{"", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dowNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

	fields = [5]field{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "day-of-week", min: 0, max: 7, names: dowNames},
	}
)

// maxSpec bounds the input so that parsing stays cheap on hostile input.
const maxSpec = 1024

// Parse parses a schedule expression. Errors say what is wrong and what is
// accepted.
func Parse(spec string) (*Schedule, error) {
	s := strings.TrimSpace(spec)
	if len(s) > maxSpec {
		return nil, fmt.Errorf("schedule is %d bytes long; accepted: at most %d", len(s), maxSpec)
	}
	if s == "" {
		return nil, fmt.Errorf("empty schedule; accepted: %s", Accepted)
	}
	if strings.HasPrefix(s, "@") {
		word, rest, _ := strings.Cut(s, " ")
		lw := strings.ToLower(word)
		if lw == "@every" {
			d, err := parseEvery(strings.TrimSpace(rest))
			if err != nil {
				return nil, err
			}
			return &Schedule{Spec: spec, every: d}, nil
		}
		exp, ok := descriptors[lw]
		if !ok || strings.TrimSpace(rest) != "" {
			if lw == "@reboot" {
				return nil, fmt.Errorf("@reboot is not a schedule here; use oneshot = true for a task that runs once at start")
			}
			return nil, fmt.Errorf("unknown schedule %q; accepted: %s", truncate(s), Accepted)
		}
		sch, err := parseFields(exp)
		if err != nil {
			return nil, err
		}
		sch.Spec = spec
		return sch, nil
	}
	sch, err := parseFields(s)
	if err != nil {
		return nil, err
	}
	sch.Spec = spec
	return sch, nil
}

func parseEvery(arg string) (time.Duration, error) {
	if arg == "" {
		return 0, fmt.Errorf("@every needs a duration; accepted: @every 10m, @every 1h30m, @every 1d")
	}
	d, err := ParseDuration(arg)
	if err != nil {
		return 0, fmt.Errorf("@every %q: %v; accepted: a duration of at least 1s such as 30s, 10m, 1h30m, 1d", truncate(arg), err)
	}
	if d < time.Second {
		return 0, fmt.Errorf("@every %q is shorter than 1s; accepted: a duration of at least 1s", arg)
	}
	return d, nil
}

// ErrDurationRange is ParseDuration's error for a sum past time.Duration's
// range; any other error means the text is not a duration.
var ErrDurationRange = errors.New("duration too large")

// ParseDuration is time.ParseDuration plus a `d` (24h) unit. It is the one
// duration grammar of supervise: `@every` here and every duration key of
// services.conf (internal/config) use it.
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		if i == 0 || j == i {
			return 0, fmt.Errorf("invalid duration")
		}
		num, unit := rest[:i], rest[i:j]
		var d time.Duration
		if unit == "d" {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n*24*float64(time.Hour) >= math.MaxInt64 {
				return 0, fmt.Errorf("invalid duration")
			}
			d = time.Duration(n * 24 * float64(time.Hour))
		} else {
			var err error
			d, err = time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("invalid duration")
			}
		}
		if total > math.MaxInt64-d {
			return 0, ErrDurationRange
		}
		total += d
		rest = rest[j:]
	}
	return total, nil
}

func parseFields(s string) (*Schedule, error) {
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("schedule %q has %d fields; accepted: %s", truncate(s), len(parts), Accepted)
	}
	var bits [5]uint64
	for i, p := range parts {
		b, err := parseField(p, fields[i])
		if err != nil {
			return nil, err
		}
		bits[i] = b
	}
	// Day-of-week 7 is Sunday, like 0.
	if bits[4]&(1<<7) != 0 {
		bits[4] = bits[4]&^(1<<7) | 1
	}
	sch := &Schedule{
		minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		domStar: parts[2][0] == '*',
		dowStar: parts[4][0] == '*',
		fixed:   parts[0][0] != '*' && parts[1][0] != '*',
	}
	// Only the date fields can make a schedule empty (31 February, or 29
	// February on a weekday with AND semantics, which recurs up to ~40 years
	// apart); Next searches far enough to find any date that exists.
	if sch.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("schedule %q never runs: no date matches its day of month, month and day of week", truncate(s))
	}
	return sch, nil
}

func parseField(p string, f field) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(p, ",") {
		b, err := parseItem(item, f)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

func parseItem(item string, f field) (uint64, error) {
	bad := func(why string) error {
		return fmt.Errorf("%s field %q: %s; accepted: %s", f.name, truncate(item), why, acceptedField(f))
	}
	if item == "" {
		return 0, bad("empty list item")
	}
	rng, stepStr, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 || n > f.max-f.min+1 {
			return 0, bad(fmt.Sprintf("step must be a number from 1 to %d", f.max-f.min+1))
		}
		step = n
	}
	lo, hi := f.min, f.max
	switch {
	case rng == "*":
	case strings.Contains(rng, "-"):
		a, b, _ := strings.Cut(rng, "-")
		var err error
		if lo, err = value(a, f); err != nil {
			return 0, bad(err.Error())
		}
		if hi, err = value(b, f); err != nil {
			return 0, bad(err.Error())
		}
		if lo > hi {
			return 0, bad(fmt.Sprintf("range %d-%d runs backwards", lo, hi))
		}
	default:
		v, err := value(rng, f)
		if err != nil {
			return 0, bad(err.Error())
		}
		lo = v
		if !hasStep {
			hi = v // "5/15" means 5 to the maximum, every 15
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << uint(v)
	}
	return bits, nil
}

func value(s string, f field) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < f.min || n > f.max {
			return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
		}
		return n, nil
	}
	ls := strings.ToLower(s)
	for i, name := range f.names {
		if name != "" && name == ls {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is not a number", truncate(s))
}

func acceptedField(f field) string {
	a := fmt.Sprintf("*, %d-%d, ranges, steps and lists", f.min, f.max)
	switch f.name {
	case "month":
		a += ", names JAN-DEC"
	case "day-of-week":
		a += " (0 and 7 are Sunday), names SUN-SAT"
	}
	return a
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Every returns the interval of an @every schedule, 0 for calendar ones.
func (s *Schedule) Every() time.Duration { return s.every }

// String returns the spec as written.
func (s *Schedule) String() string { return s.Spec }
