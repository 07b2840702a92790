package sink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// tqdmStream renders bars like tqdm does: every update rewrites the line
// after "\r", every `every` of stream time, and the bar ends with "\n".
// It returns the chunks (one update each) and their times.
func tqdmStream(bars, steps int, every time.Duration) ([]string, []time.Time) {
	var chunks []string
	var times []time.Time
	now := time.Unix(1795902300, 0)
	for b := 0; b < bars; b++ {
		chunks = append(chunks, fmt.Sprintf("epoch %d starting\n", b))
		times = append(times, now)
		for i := 0; i <= steps; i++ {
			pct := i * 100 / steps
			fill := pct / 10
			el := time.Duration(i) * every
			chunks = append(chunks, fmt.Sprintf("\rtrain %d: %3d%%|%s%s| %d/%d [%s<%s, %.2fit/s]",
				b, pct, strings.Repeat("█", fill), strings.Repeat(" ", 10-fill), i, steps,
				el.Round(time.Second), (time.Duration(steps-i)*every).Round(time.Second), float64(time.Second)/float64(every)))
			now = now.Add(every)
			times = append(times, now)
		}
		chunks = append(chunks, "\n")
		times = append(times, now)
	}
	return chunks, times
}

// TestCollapseShrink measures progress=collapse on a tqdm-like stream: 20
// bars of 1000 updates, 20 per second, progress_interval 10s. The number
// goes into docs/logs.md.
func TestCollapseShrink(t *testing.T) {
	chunks, times := tqdmStream(20, 1000, 50*time.Millisecond)
	in := 0
	for _, c := range chunks {
		in += len(c)
	}
	p := config.LogPolicy{Mode: config.LogFile, MaxLine: 64 << 10, CollapseProgress: true, ProgressInterval: 10 * time.Second}
	file, _ := runFramer(p, chunks, times)
	lines := strings.Count(file, "\n")
	t.Logf("tqdm-like stream: %d bytes in, %d bytes out (%d lines), shrink factor %.0fx", in, len(file), lines, float64(in)/float64(len(file)))
	// Each 50 s bar: its header, ~5 intermediate states (one per 10 s)
	// and its final state.
	if lines > 20*8 || lines < 20*3 {
		t.Fatalf("%d lines", lines)
	}
	for b := 0; b < 20; b++ {
		final := fmt.Sprintf("train %d: 100%%|██████████| 1000/1000", b)
		if !strings.Contains(file, final) {
			t.Fatalf("final state of bar %d missing", b)
		}
	}
	if strings.Contains(file, "\r") {
		t.Fatal("carriage return left in the output")
	}
}
