package cron

import "time"

// searchDays bounds the search. The rarest date a schedule can name is 29
// February on one weekday (AND semantics), which recurs at most 40 years
// apart (across a century year that is not a leap year); 50 years covers it.
const searchDays = 50 * 366

// Next returns the first run strictly after t, in t's location. It returns
// the zero Time when the schedule never runs (the zero Schedule).
func (s *Schedule) Next(t time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	if s.every > 0 {
		return t.Add(s.every)
	}
	if s.minute == 0 {
		return time.Time{}
	}
	loc := t.Location()
	y, mo, d := t.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) // a civil date, no zone
	first := true
	for i := 0; i < searchDays; i++ {
		if s.matchDay(day) {
			if r, ok := s.nextInDay(day, t, loc, first); ok {
				return r
			}
		}
		first = false
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

func (s *Schedule) matchDay(day time.Time) bool {
	if s.month&(1<<uint(day.Month())) == 0 {
		return false
	}
	dom := s.dom&(1<<uint(day.Day())) != 0
	dow := s.dow&(1<<uint(day.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// nextInDay returns the earliest run after t among the matching times of
// the civil date day in loc.
func (s *Schedule) nextInDay(day, t time.Time, loc *time.Location, first bool) (time.Time, bool) {
	y, mo, d := day.Date()
	start := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	end := time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
	_, off0 := start.Zone()
	_, off1 := end.Zone()
	steady := off0 == off1 && sameZoneThrough(start, end)

	// On a day without a transition wall-clock order is time order, so the
	// scan may start at t's wall clock and stop at the first hit.
	fromMin := 0
	if first && steady {
		lt := t.In(loc)
		fromMin = lt.Hour()*60 + lt.Minute()
	}
	var best time.Time
	found := false
	for h := fromMin / 60; h < 24; h++ {
		if s.hour&(1<<uint(h)) == 0 {
			continue
		}
		m0 := 0
		if h == fromMin/60 {
			m0 = fromMin % 60
		}
		for m := m0; m < 60; m++ {
			if s.minute&(1<<uint(m)) == 0 {
				continue
			}
			for _, c := range s.instants(y, mo, d, h, m, loc) {
				if c.After(t) && (!found || c.Before(best)) {
					best, found = c, true
				}
			}
			if found && steady {
				return best, true
			}
		}
	}
	return best, found
}

// sameZoneThrough reports whether one zone period covers [start, end).
func sameZoneThrough(start, end time.Time) bool {
	_, zend := start.ZoneBounds()
	return zend.IsZero() || !zend.Before(end)
}

// instants maps a matching wall-clock time to the instants at which the job
// runs (at most two), following the DST rules in the package comment.
func (s *Schedule) instants(y int, mo time.Month, d, h, m int, loc *time.Location) []time.Time {
	c := time.Date(y, mo, d, h, m, 0, 0, loc)
	cy, cmo, cd := c.Date()
	if cy != y || cmo != mo || cd != d || c.Hour() != h || c.Minute() != m {
		// The wall-clock time was skipped. A fixed-time job runs once when
		// the clock jumps, the start of the zone period c normalized into.
		if !s.fixed {
			return nil
		}
		// time.Date may have used either offset: c lies just before or just
		// after the gap, and the jump is the zone boundary between.
		zstart, zend := c.ZoneBounds()
		jump := zstart
		if wallBefore(c, y, mo, d, h, m) {
			jump = zend
		}
		if jump.IsZero() {
			return nil
		}
		return []time.Time{jump}
	}
	// The same wall clock may also occur in the neighbouring zone period
	// (fall back). Collect both copies in time order.
	out := []time.Time{c}
	_, off := c.Zone()
	zstart, zend := c.ZoneBounds()
	if !zstart.IsZero() {
		_, poff := zstart.Add(-time.Second).Zone()
		if alt := c.Add(time.Duration(off-poff) * time.Second); alt.Before(zstart) && sameWall(alt, c) {
			out = []time.Time{alt, c}
		}
	}
	if !zend.IsZero() {
		_, noff := zend.Zone()
		if alt := c.Add(time.Duration(off-noff) * time.Second); !alt.Before(zend) && sameWall(alt, c) {
			out = append(out, alt)
		}
	}
	if s.fixed {
		return out[:1]
	}
	return out
}

func sameWall(a, b time.Time) bool {
	ay, amo, ad := a.Date()
	by, bmo, bd := b.Date()
	return ay == by && amo == bmo && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// wallBefore reports whether c's wall clock is earlier than the given one.
func wallBefore(c time.Time, y int, mo time.Month, d, h, m int) bool {
	w := time.Date(y, mo, d, h, m, 0, 0, time.UTC)
	cy, cmo, cd := c.Date()
	return time.Date(cy, cmo, cd, c.Hour(), c.Minute(), 0, 0, time.UTC).Before(w)
}
