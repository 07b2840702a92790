package procs

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/supervise/supervise/internal/config"
)

// Reload applies a new, already validated config: added services start,
// removed ones stop, services whose process keys changed restart, and a
// change only to log keys is applied to the log in place. If a new log
// cannot be opened, nothing changes.
func (s *Supervisor) Reload(cfg *config.Config) error {
	return s.call(func(reply chan<- error) {
		if s.shutdown != nil {
			reply <- ErrShutdown
			return
		}
		reply <- s.reload(cfg)
	})
}

func (s *Supervisor) reload(cfg *config.Config) error {
	next := make(map[string]*config.Service, len(cfg.Services))
	for _, c := range cfg.Services {
		next[c.Name] = c
	}
	// Open the logs of added services first: a failure leaves everything
	// as it was.
	added := map[string]*service{}
	for _, c := range cfg.Services {
		if old, ok := s.svcs[c.Name]; ok && !old.removed {
			continue
		}
		svc, err := s.newService(c)
		if err != nil {
			for _, a := range added {
				_ = a.log.Close()
			}
			return err
		}
		added[c.Name] = svc
	}
	var errs []error
	var restart, start []*service
	// Stopping a service that has no process forgets it at once, which
	// edits s.order: walk a copy.
	for _, svc := range slices.Clone(s.order) {
		c, keep := next[svc.cfg.Name]
		if !keep || svc.removed {
			if !svc.removed {
				svc.removed = true
				s.notice("reload", svc.cfg.Name, "removed: stopping")
				s.stop(svc)
			}
			continue
		}
		logChanged := !reflect.DeepEqual(svc.cfg.Log, c.Log)
		procChanged := processChanged(svc.cfg, c)
		if logChanged {
			if err := svc.log.Update(c.Log); err != nil {
				errs = append(errs, fmt.Errorf("service %s: update log: %w", c.Name, err))
			}
		}
		svc.cfg = c
		if !procChanged {
			continue
		}
		switch {
		case svc.run != nil || svc.pending || svc.state == StateBackoff || svc.state == StateScheduled:
			s.notice("reload", c.Name, "changed: restarting")
			restart = append(restart, svc)
		case c.Autostart && (svc.state == StateStopped && svc.lastExit == nil || svc.state == StateExited || svc.state == StateFatal):
			// A service that ended (or gave up) under its old definition
			// runs again under the new one: "changed ones restart".
			s.notice("reload", c.Name, "changed: starting")
			start = append(start, svc)
		}
	}
	// The new order: every kept or added service in the new start order,
	// then the removed ones still stopping.
	var order []*service
	for _, c := range cfg.StartOrder() {
		if svc, ok := added[c.Name]; ok {
			s.svcs[c.Name] = svc
			order = append(order, svc)
			if c.Autostart {
				s.notice("reload", c.Name, "added: starting")
				start = append(start, svc)
			}
			continue
		}
		order = append(order, s.svcs[c.Name])
	}
	for _, svc := range s.order {
		if svc.removed {
			order = append(order, svc)
		}
	}
	s.order = order
	s.cfg = cfg
	for _, svc := range restart {
		s.restart(svc)
	}
	for _, svc := range start {
		s.requestStart(svc, false)
	}
	s.changed()
	return errors.Join(errs...)
}

// processChanged reports a change to anything but the log keys.
func processChanged(a, b *config.Service) bool {
	x, y := *a, *b
	x.Log, y.Log = config.LogPolicy{}, config.LogPolicy{}
	x.Line, y.Line = 0, 0
	if (x.Schedule == nil) != (y.Schedule == nil) {
		return true
	}
	if x.Schedule != nil && x.Schedule.Spec != y.Schedule.Spec {
		return true
	}
	x.Schedule, y.Schedule = nil, nil
	return !reflect.DeepEqual(x, y)
}
