package cron

import (
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string // substring of the error
	}{
		{"", "empty schedule"},
		{"* * * *", "has 4 fields"},
		{"* * * * * *", "has 6 fields"},
		{"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
		{"* 24 * * *", "hour field"},
		{"* * 0 * *", "day-of-month field"},
		{"* * 32 * *", "out of range 1-31"},
		{"* * * 13 *", "month field"},
		{"* * * * 8", "day-of-week field"},
		{"*/0 * * * *", "step must be a number from 1 to 60"},
		{"*/x * * * *", "step must be"},
		{"5-1 * * * *", "runs backwards"},
		{"1,,2 * * * *", "empty list item"},
		{"a * * * *", "is not a number"},
		{"* * * foo *", "is not a number"},
		{"* * * * funday", "is not a number"},
		{"0 0 31 2 *", "never runs"},
		{"0 0 30,31 2 *", "never runs"},
		{"@weekly 1", "unknown schedule"},
		{"@fortnightly", "unknown schedule"},
		{"@reboot", "use oneshot"},
		{"@every", "@every needs a duration"},
		{"@every 0s", "shorter than 1s"},
		{"@every 500ms", "shorter than 1s"},
		{"@every ten", "accepted: a duration"},
		{"@every -5m", "accepted: a duration"},
		{strings.Repeat("1,", 600) + "1 * * * *", "at most 1024"},
	} {
		_, err := Parse(tc.spec)
		if err == nil {
			t.Errorf("Parse(%q) = nil error, want %q", tc.spec, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tc.spec, err, tc.want)
		}
		if tc.spec != "" && !strings.Contains(err.Error(), "accepted") && !strings.Contains(err.Error(), "never runs") && !strings.Contains(err.Error(), "oneshot") {
			t.Errorf("Parse(%q) = %q: the message does not say what is accepted", tc.spec, err)
		}
	}
}

// TestNext checks runs in UTC, where wall clock and time agree.
func TestNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		spec, from string
		want       []string
	}{
		{"* * * * *", "2026-01-01 10:00:30", []string{"2026-01-01 10:01:00", "2026-01-01 10:02:00"}},
		{"* * * * *", "2026-01-01 10:00:00", []string{"2026-01-01 10:01:00"}}, // strictly after
		{"*/15 * * * *", "2026-01-01 10:07:00", []string{"2026-01-01 10:15:00", "2026-01-01 10:30:00", "2026-01-01 10:45:00", "2026-01-01 11:00:00"}},
		{"1-10/4 * * * *", "2026-01-01 10:00:00", []string{"2026-01-01 10:01:00", "2026-01-01 10:05:00", "2026-01-01 10:09:00", "2026-01-01 11:01:00"}},
		{"5/20 * * * *", "2026-01-01 10:00:00", []string{"2026-01-01 10:05:00", "2026-01-01 10:25:00", "2026-01-01 10:45:00", "2026-01-01 11:05:00"}},
		{"0,30 9-10 * * *", "2026-01-01 10:45:00", []string{"2026-01-02 09:00:00", "2026-01-02 09:30:00", "2026-01-02 10:00:00"}},
		{"0 0 * * *", "2026-12-31 23:59:00", []string{"2027-01-01 00:00:00"}},
		{"@daily", "2026-12-31 23:59:00", []string{"2027-01-01 00:00:00"}},
		{"@midnight", "2026-06-01 00:00:00", []string{"2026-06-02 00:00:00"}},
		{"@hourly", "2026-06-01 10:59:59", []string{"2026-06-01 11:00:00", "2026-06-01 12:00:00"}},
		{"@weekly", "2026-11-25 12:00:00", []string{"2026-11-29 00:00:00", "2026-12-06 00:00:00"}}, // Sundays
		{"@monthly", "2026-01-31 00:00:00", []string{"2026-02-01 00:00:00", "2026-03-01 00:00:00"}},
		{"@yearly", "2026-06-01 00:00:00", []string{"2027-01-01 00:00:00"}},
		{"@annually", "2026-06-01 00:00:00", []string{"2027-01-01 00:00:00"}},
		// Day names and 7 for Sunday.
		{"0 9 * * mon-fri", "2026-11-27 10:00:00", []string{"2026-11-30 09:00:00", "2026-12-01 09:00:00"}}, // Fri -> Mon
		{"0 9 * * 7", "2026-11-27 10:00:00", []string{"2026-11-29 09:00:00", "2026-12-06 09:00:00"}},
		{"0 9 * * SUN", "2026-11-27 10:00:00", []string{"2026-11-29 09:00:00"}},
		{"0 9 * * 5-7", "2026-11-27 10:00:00", []string{"2026-11-28 09:00:00", "2026-11-29 09:00:00", "2026-12-04 09:00:00"}},
		// Month names, a list with a range.
		{"0 0 1 jan,jul-aug *", "2026-02-01 00:00:00", []string{"2026-07-01 00:00:00", "2026-08-01 00:00:00", "2027-01-01 00:00:00"}},
		// Both day fields restricted: either matches (13th OR Friday).
		{"0 12 13 * fri", "2026-03-01 00:00:00", []string{"2026-03-06 12:00:00", "2026-03-13 12:00:00", "2026-03-20 12:00:00", "2026-03-27 12:00:00", "2026-04-03 12:00:00", "2026-04-10 12:00:00", "2026-04-13 12:00:00"}},
		// One written with '*': both must match (every other day AND Monday).
		{"0 0 */2 * mon", "2026-11-01 00:00:00", []string{"2026-11-09 00:00:00", "2026-11-23 00:00:00", "2026-12-07 00:00:00"}},
		// Leap day, years apart.
		{"0 0 29 2 *", "2026-03-01 00:00:00", []string{"2028-02-29 00:00:00", "2032-02-29 00:00:00"}},
		{"59 23 31 12 *", "2026-12-31 23:59:00", []string{"2027-12-31 23:59:00"}},
	} {
		s, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		cur := at(tc.from)
		for i, w := range tc.want {
			cur = s.Next(cur)
			if !cur.Equal(at(w)) {
				t.Errorf("%q from %s: run %d = %s, want %s", tc.spec, tc.from, i+1, cur.Format(time.DateTime), w)
				break
			}
		}
	}
}

func TestEvery(t *testing.T) {
	s, err := Parse("@every 1h30m")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if got := s.Next(from); !got.Equal(from.Add(90 * time.Minute)) {
		t.Errorf("Next = %s", got)
	}
	if s.Every() != 90*time.Minute {
		t.Errorf("Every = %s", s.Every())
	}
	d, err := Parse("@every 2d")
	if err != nil || d.Every() != 48*time.Hour {
		t.Errorf("@every 2d = %v, %v", d, err)
	}
	if s.Spec != "@every 1h30m" || s.String() != s.Spec {
		t.Errorf("Spec = %q", s.Spec)
	}
}

func TestZeroScheduleNeverRuns(t *testing.T) {
	var s Schedule
	if got := s.Next(time.Now()); !got.IsZero() {
		t.Errorf("zero Schedule Next = %s", got)
	}
	var nilS *Schedule
	if got := nilS.Next(time.Now()); !got.IsZero() {
		t.Errorf("nil Schedule Next = %s", got)
	}
}

// runs lists the runs of spec in (from, to].
func runs(t *testing.T, spec string, from, to time.Time) []string {
	t.Helper()
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for cur := s.Next(from); !cur.After(to); cur = s.Next(cur) {
		out = append(out, cur.Format("15:04 MST"))
		if len(out) > 200 {
			t.Fatal("runaway")
		}
	}
	return out
}

func TestDSTSpringForward(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// 2026-03-08: 02:00 EST jumps to 03:00 EDT.
	from := time.Date(2026, 3, 8, 0, 0, 0, 0, ny)
	to := time.Date(2026, 3, 8, 4, 0, 0, 0, ny)
	for _, tc := range []struct {
		spec string
		want []string
	}{
		// A fixed time in the gap runs once, when the clock jumps.
		{"30 2 * * *", []string{"03:00 EDT"}},
		// Several fixed times in the gap still run once.
		{"0,15,30,45 2 * * *", []string{"03:00 EDT"}},
		// Fixed times outside the gap are untouched.
		{"30 1,3 * * *", []string{"01:30 EST", "03:30 EDT"}},
		// Wildcard jobs follow the clock: nothing for skipped minutes.
		{"*/30 * * * *", []string{"00:30 EST", "01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT", "04:00 EDT"}},
		{"30 * * * *", []string{"00:30 EST", "01:30 EST", "03:30 EDT"}},
		{"* 2 * * *", nil},
	} {
		got := runs(t, tc.spec, from, to)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q on spring-forward day: %v, want %v", tc.spec, got, tc.want)
		}
	}
	// The day after, the gap job is back at 02:30.
	s, _ := Parse("30 2 * * *")
	next := s.Next(time.Date(2026, 3, 8, 3, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 9, 2, 30, 0, 0, ny); !next.Equal(want) {
		t.Errorf("after the gap: %s, want %s", next, want)
	}
}

func TestDSTFallBack(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:xx happens twice.
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, ny)
	to := time.Date(2026, 11, 1, 3, 0, 0, 0, ny)
	for _, tc := range []struct {
		spec string
		want []string
	}{
		// A fixed time in the repeated hour runs once, the first time.
		{"30 1 * * *", []string{"01:30 EDT"}},
		{"0 1 * * *", []string{"01:00 EDT"}},
		{"0,30 1-2 * * *", []string{"01:00 EDT", "01:30 EDT", "02:00 EST", "02:30 EST"}},
		// Wildcard jobs run in both copies of the hour.
		{"30 * * * *", []string{"00:30 EDT", "01:30 EDT", "01:30 EST", "02:30 EST"}},
		{"*/30 1 * * *", []string{"01:00 EDT", "01:30 EDT", "01:00 EST", "01:30 EST"}},
	} {
		got := runs(t, tc.spec, from, to)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q on fall-back day: %v, want %v", tc.spec, got, tc.want)
		}
	}
	// From inside the second copy of 01:xx, a 01:30 job that already ran
	// waits for the next day.
	s, _ := Parse("30 1 * * *")
	inside := time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC).In(ny) // 01:10 EST
	if got, want := s.Next(inside), time.Date(2026, 11, 2, 1, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("from %s: %s, want %s", inside, got, want)
	}
}

// TestNextOtherZones checks a zone east of UTC and one with a 30-minute
// DST shift.
func TestNextOtherZones(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	// 2026-03-29: 02:00 CET jumps to 03:00 CEST.
	got := runs(t, "30 2 * * *", time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 29, 5, 0, 0, 0, berlin))
	if strings.Join(got, ",") != "03:00 CEST" {
		t.Errorf("Berlin spring forward: %v", got)
	}
	lh := mustLoad(t, "Australia/Lord_Howe")
	// 2026-10-04: 02:00 +1030 jumps to 02:30 +11.
	got = runs(t, "15 2 * * *", time.Date(2026, 10, 4, 0, 0, 0, 0, lh), time.Date(2026, 10, 4, 4, 0, 0, 0, lh))
	if len(got) != 1 || got[0] != "02:30 +11" {
		t.Errorf("Lord Howe spring forward: %v", got)
	}
}

// TestNextMonotonic walks a year of several schedules across DST in two
// zones: every run is strictly after the previous one and matches the
// schedule's fields in wall-clock time, unless it is a gap run.
func TestNextMonotonic(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Europe/London", "UTC"} {
		loc := mustLoad(t, zone)
		for _, spec := range []string{"*/7 * * * *", "30 2 * * *", "0 1 * * 0", "15 1-3 * * *"} {
			s, _ := Parse(spec)
			cur := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
			end := cur.AddDate(1, 0, 0)
			n := 0
			for cur.Before(end) {
				next := s.Next(cur)
				if !next.After(cur) {
					t.Fatalf("%s %q: Next(%s) = %s, not after", zone, spec, cur, next)
				}
				if next.Second() != 0 || next.Nanosecond() != 0 {
					t.Fatalf("%s %q: Next(%s) = %s, not on a minute", zone, spec, cur, next)
				}
				cur = next
				n++
			}
			if n == 0 {
				t.Errorf("%s %q: no runs in a year", zone, spec)
			}
		}
	}
}

func FuzzCron(f *testing.F) {
	for _, seed := range []string{"* * * * *", "*/5 1-10/2 1,15 JAN-mar mon-fri", "0 0 29 2 *", "@every 1h", "@daily", "0 12 13 * 5", "5/15 * * * 7", "@every 1d12h"} {
		f.Add(seed, int64(1795902300))
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.UTC
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		s, err := Parse(spec)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse(%q) returned a schedule and an error", spec)
			}
			return
		}
		// Keep times in a range where years fit in four digits.
		from := time.Unix(unix%(1<<35), 0).In(ny)
		next := s.Next(from)
		if next.IsZero() {
			t.Fatalf("Parse(%q) accepted a schedule that never runs after %s", spec, from)
		}
		if !next.After(from) {
			t.Fatalf("%q: Next(%s) = %s, not after", spec, from, next)
		}
		// In UTC, Next is the first matching minute.
		if s.Every() == 0 {
			u := from.UTC()
			if want, ok := bruteNext(s, u, 48*time.Hour); ok && !s.Next(u).Equal(want) {
				t.Fatalf("%q: Next(%s) = %s, first matching minute %s", spec, u, s.Next(u), want)
			}
		}
	})
}

// TestRareDates covers the AND case that only recurs decades apart.
func TestRareDates(t *testing.T) {
	// 29 February on a Sunday ("*/7" counts as '*', so both must match).
	s, err := Parse("0 0 29 2 */7")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2032, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("first Sunday 29 February after 2026 = %s, want %s", got, want)
	}
	got = s.Next(got)
	if want := time.Date(2060, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next one = %s, want %s", got, want)
	}
	// Across 2100, which is not a leap year.
	got = s.Next(time.Date(2088, 3, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2128, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("across 2100 = %s, want %s", got, want)
	}
}
