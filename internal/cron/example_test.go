package cron_test

import (
	"fmt"
	"time"

	"github.com/supervise/supervise/internal/cron"
)

func ExampleSchedule_Next() {
	s, err := cron.Parse("30 2 * * *")
	if err != nil {
		fmt.Println(err)
		return
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	// 2026-03-08 is the spring-forward day: 02:30 does not exist, so the
	// job runs once when the clock jumps to 03:00.
	t := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	for range 3 {
		t = s.Next(t)
		fmt.Println(t.Format("2006-01-02 15:04 MST"))
	}
	// Output:
	// 2026-03-08 03:00 EDT
	// 2026-03-09 02:30 EDT
	// 2026-03-10 02:30 EDT
}
