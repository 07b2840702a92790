package cron

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bruteNext is the obvious definition of Next in UTC: the first whole
// minute after t, within limit, whose fields match. ok is false when none
// does.
func bruteNext(s *Schedule, t time.Time, limit time.Duration) (time.Time, bool) {
	m := t.Truncate(time.Minute).Add(time.Minute)
	for end := t.Add(limit); !m.After(end); m = m.Add(time.Minute) {
		if s.minute&(1<<uint(m.Minute())) != 0 && s.hour&(1<<uint(m.Hour())) != 0 &&
			s.matchDay(time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, time.UTC)) {
			return m, true
		}
	}
	return time.Time{}, false
}

// randomField writes a random cron field over [lo, hi].
func randomField(r *rand.Rand, lo, hi int) string {
	var items []string
	for n := 1 + r.IntN(3); n > 0; n-- {
		a := lo + r.IntN(hi-lo+1)
		b := a + r.IntN(hi-a+1)
		switch r.IntN(6) {
		case 0:
			items = append(items, "*")
		case 1:
			items = append(items, "*/"+strconv.Itoa(1+r.IntN(hi-lo+1)))
		case 2:
			items = append(items, strconv.Itoa(a)+"-"+strconv.Itoa(b))
		case 3:
			items = append(items, strconv.Itoa(a)+"-"+strconv.Itoa(b)+"/"+strconv.Itoa(1+r.IntN(5)))
		default:
			items = append(items, strconv.Itoa(a))
		}
	}
	return strings.Join(items, ",")
}

// TestNextMatchesBruteForce compares Next with a minute-by-minute search
// for random schedules and times in UTC.
func TestNextMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const limit = 400 * 24 * time.Hour
	checked := 0
	for i := 0; i < 300; i++ {
		spec := strings.Join([]string{
			randomField(r, 0, 59), randomField(r, 0, 23), randomField(r, 1, 31),
			randomField(r, 1, 12), randomField(r, 0, 7),
		}, " ")
		s, err := Parse(spec)
		if err != nil {
			continue // e.g. 31 February
		}
		from := time.Date(2024+r.IntN(4), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
		want, ok := bruteNext(s, from, limit)
		got := s.Next(from)
		if ok && !got.Equal(want) || !ok && got.Sub(from) <= limit {
			t.Errorf("%q from %s: Next = %s, brute force = %s (found %v)", spec, from, got, want, ok)
		}
		checked++
	}
	if checked < 200 {
		t.Errorf("only %d random schedules were valid", checked)
	}
}
