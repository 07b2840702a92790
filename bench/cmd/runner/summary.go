package main

import (
	"sort"

	"github.com/supervise/supervise/bench/internal/numbered"
)

// summary is one contestant over all rounds.
type summary struct {
	C    *contestant `json:"-"`
	Name string      `json:"name"`
	Runs []result    `json:"runs"`
	Err  string      `json:"err,omitempty"`

	Bytes   int64   `json:"bytes"`    // what gen wrote
	WallS   float64 `json:"wall_s"`   // median
	WriterS float64 `json:"writer_s"` // median
	StartS  float64 `json:"start_s"`  // median
	CPUS    float64 `json:"cpu_s"`    // median; -1 without a logger
	SysS    float64 `json:"sys_s"`    // median of the system part
	PeakRSS int64   `json:"peak_rss"` // highest of all rounds; -1 without a logger
	// PeakAnon is the highest RssAnon of all rounds: VmHWM without the
	// executable's own pages.
	PeakAnon int64 `json:"peak_anon"`
	// XRef is the median over rounds of this contestant's throughput
	// divided by its reference's (gen | cat) in the same round.
	XRef float64 `json:"x_ref"`
	XAlt float64 `json:"x_alt,omitempty"` // the same against C.Alt
	// Intact: every line exactly once, whole and in order, in every round.
	Intact bool `json:"intact"`
	// Worst is the check of the round with the most damage.
	Worst        numbered.Result `json:"worst"`
	Uncompressed int             `json:"uncompressed"` // most left by any round
}

// ok reports whether the contestant produced measurements.
func (s *summary) ok() bool { return s.Err == "" && len(s.Runs) > 0 }

func (s *summary) compute(b *bench, byName map[string]*summary) {
	s.Name = s.C.Name
	s.Bytes = int64(b.want(s.C)) * int64(len(numbered.NewStream(b.format, s.C.Tqdm).Group(0)))
	if !s.ok() {
		return
	}
	var wall, writer, start, cpu, sys, ratio, alt []float64
	s.Intact = true
	s.PeakRSS, s.PeakAnon = -1, -1
	ref, altRef := byName[s.C.Ref], byName[s.C.Alt]
	for _, r := range s.Runs {
		wall = append(wall, r.WallS)
		writer = append(writer, r.WriterS)
		start = append(start, r.StartS)
		cpu = append(cpu, r.CPUS)
		sys = append(sys, r.SysS)
		s.PeakRSS = max(s.PeakRSS, r.PeakRSS)
		s.PeakAnon = max(s.PeakAnon, r.PeakAnon)
		s.Uncompressed = max(s.Uncompressed, r.Uncompressed)
		if !r.Intact {
			s.Intact = false
		}
		if damage(r.Check) >= damage(s.Worst) {
			s.Worst = r.Check
		}
		if x, ok := s.xref(r, ref); ok {
			ratio = append(ratio, x)
		}
		if altRef != nil && altRef.Err == "" {
			if rr, ok := altRef.round(r.Round); ok && r.WallS > 0 {
				alt = append(alt, rr.WallS/r.WallS)
			}
		}
	}
	s.WallS, s.WriterS, s.StartS, s.CPUS, s.SysS = median(wall), median(writer), median(start), median(cpu), median(sys)
	s.XRef, s.XAlt = median(ratio), median(alt)
}

// xref is run r's throughput relative to its reference: against the
// reference run paired with it, else the reference's run in the same round.
func (s *summary) xref(r result, ref *summary) (float64, bool) {
	switch {
	case r.Err != "" || r.WallS <= 0:
		return 0, false
	case s.C != nil && s.C.Name == s.C.Ref:
		return 1, true
	case r.RefWallS > 0:
		return r.RefWallS / r.WallS, true
	case ref != nil && ref.Err == "":
		if rr, ok := ref.round(r.Round); ok {
			return rr.WallS / r.WallS, true
		}
	}
	return 0, false
}

func (s *summary) round(n int) (result, bool) {
	for _, r := range s.Runs {
		if r.Round == n && r.Err == "" {
			return r, true
		}
	}
	return result{}, false
}

// MiBps is the median end-to-end throughput.
func (s *summary) MiBps() float64 {
	if s.WallS <= 0 {
		return 0
	}
	return float64(s.Bytes) / (1 << 20) / s.WallS
}

// CPUPerGB is the logger's CPU seconds per GB (10^9 bytes, the issue's
// unit) written by gen.
func (s *summary) CPUPerGB() float64 {
	if s.CPUS < 0 {
		return -1
	}
	return s.CPUS / (float64(s.Bytes) / 1e9)
}

// versus is the median over rounds of a's throughput over b's, and of a's
// CPU time over b's. Throughputs are compared through each run's ratio to
// its paired reference run, so a change of load between the two runs
// cancels out.
func versus(a, b *summary) (thr, cpu float64, ok bool) {
	if !a.ok() || !b.ok() {
		return 0, 0, false
	}
	var t, c []float64
	for _, ra := range a.Runs {
		rb, found := b.round(ra.Round)
		if !found || ra.WallS <= 0 {
			continue
		}
		xa, oka := a.xref(ra, nil)
		xb, okb := b.xref(rb, nil)
		if oka && okb && xb > 0 {
			t = append(t, xa/xb)
		} else {
			t = append(t, rb.WallS/ra.WallS)
		}
		if rb.CPUS > 0 {
			c = append(c, ra.CPUS/rb.CPUS)
		}
	}
	if len(t) == 0 {
		return 0, 0, false
	}
	return median(t), median(c), true
}

func damage(r numbered.Result) uint64 {
	return r.Missing + r.OutOfOrder + r.Torn + r.Bad
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
