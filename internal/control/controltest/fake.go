// Package controltest provides a scripted control.Backend for tests of the
// socket, the ctl client and the metrics endpoint.
package controltest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/supervise/supervise/pkg/procs"
	"github.com/supervise/supervise/pkg/signals"
)

// Fake is an in-memory supervisor. Its zero value has no services; use
// Add. Every method is safe for concurrent use.
type Fake struct {
	// mu guards every field below.
	mu        sync.Mutex
	services  []procs.Status
	calls     []string
	reloadErr error
	nextPID   int

	orphans  atomic.Int64
	shutOnce sync.Once
	shut     chan struct{}
}

// New returns a fake with the given services.
func New(services ...procs.Status) *Fake {
	return &Fake{services: services, nextPID: 1000, shut: make(chan struct{})}
}

// Set replaces (or adds) a service's status.
func (f *Fake) Set(st procs.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.services {
		if f.services[i].Name == st.Name {
			f.services[i] = st
			return
		}
	}
	f.services = append(f.services, st)
}

// SetReloadError makes a config reload fail with err.
func (f *Fake) SetReloadError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloadErr = err
}

// SetOrphans sets the reaped-orphan count.
func (f *Fake) SetOrphans(n int64) { f.orphans.Store(n) }

// Calls returns the backend calls so far, as "verb arg..." strings.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ShutdownCalled is closed by Shutdown.
func (f *Fake) ShutdownCalled() <-chan struct{} { return f.shut }

func (f *Fake) recordLocked(verb string, names []string) {
	f.calls = append(f.calls, strings.TrimSpace(verb+" "+strings.Join(names, " ")))
}

// resolveLocked returns the indexes of names ("all" means every service).
func (f *Fake) resolveLocked(names []string) ([]int, error) {
	var idx []int
	for _, n := range names {
		if n == "all" {
			idx = idx[:0]
			for i := range f.services {
				idx = append(idx, i)
			}
			return idx, nil
		}
		i := slices.IndexFunc(f.services, func(s procs.Status) bool { return s.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown service %q", n)
		}
		idx = append(idx, i)
	}
	return idx, nil
}

func (f *Fake) Status(names []string) ([]procs.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(names) == 0 {
		return slices.Clone(f.services), nil
	}
	idx, err := f.resolveLocked(names)
	if err != nil {
		return nil, err
	}
	out := make([]procs.Status, 0, len(idx))
	for _, i := range idx {
		out = append(out, f.services[i])
	}
	return out, nil
}

func (f *Fake) apply(verb string, names []string, change func(*procs.Status)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx, err := f.resolveLocked(names)
	if err != nil {
		return err
	}
	f.recordLocked(verb, names)
	for _, i := range idx {
		change(&f.services[i])
	}
	return nil
}

func (f *Fake) Start(names []string) error {
	return f.apply("start", names, func(s *procs.Status) {
		if s.State != procs.StateRunning {
			f.nextPID++
			s.State, s.PID, s.Started, s.Healthy = procs.StateRunning, f.nextPID, time.Now(), true
		}
	})
}

func (f *Fake) Stop(names []string) error {
	return f.apply("stop", names, func(s *procs.Status) {
		s.State, s.PID, s.Uptime = procs.StateStopped, 0, 0
	})
}

func (f *Fake) Restart(names []string) error {
	return f.apply("restart", names, func(s *procs.Status) {
		f.nextPID++
		s.State, s.PID, s.Uptime, s.Healthy = procs.StateRunning, f.nextPID, 0, true
		s.Restarts++
	})
}

func (f *Fake) Signal(sig syscall.Signal, names []string) error {
	return f.apply("signal "+signals.Name(sig), names, func(*procs.Status) {})
}

func (f *Fake) Rotate(names []string) error {
	return f.apply("rotate", names, func(s *procs.Status) { s.Rotations++ })
}

func (f *Fake) Reload(names []string) error {
	f.mu.Lock()
	err := f.reloadErr
	f.mu.Unlock()
	if len(names) == 0 && err != nil {
		return err
	}
	return f.apply("reload", names, func(*procs.Status) {})
}

func (f *Fake) Shutdown() {
	f.mu.Lock()
	f.recordLocked("shutdown", nil)
	f.mu.Unlock()
	f.shutOnce.Do(func() { close(f.shut) })
}

func (f *Fake) Orphans() int64 { return f.orphans.Load() }
