// Package cron parses schedule expressions (5-field cron, @hourly, @daily,
// @weekly, @every D) and computes their next run in a given location.
package cron

import "time"

// Schedule is a parsed schedule expression.
type Schedule struct {
	Spec string // as written
}

// Next returns the first run strictly after t, in t's location.
func (s *Schedule) Next(t time.Time) time.Time {
	panic("cron: Next not implemented yet")
}
