package procs

import "fmt"

// armCron schedules the next tick of a cron job from now. A tick runs the
// command unless the previous run is still going or a service it runs
// `after` is not up: that tick is skipped and logged, never queued (a job
// that waits for its database would otherwise run late, or pile up). Cron
// jobs are never restarted.
func (s *Supervisor) armCron(svc *service) {
	svc.stopCron()
	now := s.clock.Now()
	next := svc.cfg.Schedule.Next(now)
	if next.IsZero() || !next.After(now) {
		s.notice("cron", svc.cfg.Name, fmt.Sprintf("schedule %q has no next run", svc.cfg.Schedule.Spec))
		return
	}
	svc.nextRun = next
	seq := svc.cronSeq
	svc.cronT = s.after(next.Sub(now), func() {
		if svc.cronSeq == seq {
			s.cronTick(svc)
		}
	})
}

func (s *Supervisor) cronTick(svc *service) {
	if s.shutdown != nil || svc.removed {
		return
	}
	s.armCron(svc)
	if svc.run != nil {
		s.skipTick(svc, fmt.Sprintf("the previous run (pid %d) is still going", svc.run.child.PID))
		return
	}
	if why := s.unmetAfter(svc); why != "" {
		s.skipTick(svc, why)
		return
	}
	s.launch(svc)
}

// skipTick logs a tick that does not run.
func (s *Supervisor) skipTick(svc *service, why string) {
	svc.skipped++
	s.notice("skipped", svc.cfg.Name, fmt.Sprintf("tick skipped: %s (%d skipped so far)", why, svc.skipped))
}

// unmetAfter names the first service svc runs `after` that is not up (not
// running, or a oneshot that has not exited 0), "" when all are. A service
// a reload removed no longer counts, as for tryLaunch.
func (s *Supervisor) unmetAfter(svc *service) string {
	for _, dep := range svc.cfg.After {
		d, ok := s.svcs[dep]
		if !ok || d.removed || depSatisfied(d) {
			continue
		}
		if d.cfg.Oneshot && d.state != StateFatal {
			return fmt.Sprintf("%s, which it runs after, is %s (a oneshot must have exited 0)", dep, d.state)
		}
		return fmt.Sprintf("%s, which it runs after, is %s", dep, d.state)
	}
	return ""
}
