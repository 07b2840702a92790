package sink

import (
	"time"

	"github.com/supervise/supervise/internal/config"
)

// nextBoundary is the first period boundary after t, in t's location (local
// time for the real clock), or the zero time for PeriodNever. Boundaries are
// built with time.Date rather than Truncate so that zones with a non-hour
// offset and DST days still rotate at local midnight. Weeks start on Monday.
func nextBoundary(p config.Period, t time.Time) time.Time {
	y, mo, d := t.Date()
	loc := t.Location()
	switch p {
	case config.PeriodHourly:
		return time.Date(y, mo, d, t.Hour()+1, 0, 0, 0, loc)
	case config.PeriodDaily:
		return time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
	case config.PeriodWeekly:
		days := (8 - int(t.Weekday())) % 7 // days until next Monday
		if days == 0 {
			days = 7
		}
		return time.Date(y, mo, d+days, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}
