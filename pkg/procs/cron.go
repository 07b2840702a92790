package procs

import "fmt"

// armCron schedules the next tick of a cron job from now. A tick runs the
// command unless the previous run is still going: that tick is skipped and
// logged, never queued. Cron jobs do not wait for `after`; they are never
// restarted.
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
		svc.skipped++
		s.notice("skipped", svc.cfg.Name, fmt.Sprintf("tick skipped: the previous run (pid %d) is still going (%d skipped so far)", svc.run.child.PID, svc.skipped))
		return
	}
	s.launch(svc)
}
