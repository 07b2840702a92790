package main

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/metrics"
)

// endpoints follows `metrics` and `control` across config reloads.
type endpoints struct {
	// control and controlGID are what the control socket was opened with.
	// It is not re-bound on reload: `ctl reload` itself arrives on it,
	// and closing a server waits for its requests.
	control    string
	controlGID int

	metrics metricsEndpoint
}

// reload moves the metrics endpoint to cfg's address and says which
// changes wait for a restart. An error leaves the old endpoint serving.
func (e *endpoints) reload(cfg *config.Config, logf func(string, ...any)) error {
	if cfg.Supervise.Control != e.control || cfg.Supervise.ControlGID != e.controlGID {
		logf("reload: control and control_group changes take effect when supervise restarts; the socket stays %s", e.control)
	}
	return e.metrics.apply(cfg.Supervise.Metrics)
}

func (e *endpoints) close() error { return e.metrics.close() }

// metricsEndpoint owns the metrics server; apply opens the new address
// before closing the old, so a bad address never leaves metrics down.
type metricsEndpoint struct {
	src   metrics.Source
	serve func(addr string, src metrics.Source) (*metrics.Server, error) // metrics.Serve; tests replace it

	mu   sync.Mutex // guards addr and srv: a HUP and a `ctl reload` may overlap
	addr string
	srv  *metrics.Server // nil when metrics is unset
}

// apply serves metrics at addr ("" turns them off). On failure the old
// server keeps serving and the error says so.
func (m *metricsEndpoint) apply(addr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr == m.addr {
		return nil
	}
	serve := m.serve
	if serve == nil {
		serve = metrics.Serve
	}
	old := m.srv
	var srv *metrics.Server
	if addr != "" {
		var err error
		srv, err = serve(addr, m.src)
		if err != nil && old != nil && errors.Is(err, syscall.EADDRINUSE) {
			// Likely the old server's own port (127.0.0.1:9100 to
			// 0.0.0.0:9100): free it and try again, and come back to it
			// if the new address still fails.
			_ = old.Close()
			if srv, err = serve(addr, m.src); err != nil {
				back, berr := serve(m.addr, m.src)
				if berr != nil {
					m.srv, m.addr = nil, ""
					return fmt.Errorf("metrics: %w; and the old address %s could not be served again: %w", err, old.Addr(), berr)
				}
				m.srv = back
				return fmt.Errorf("%w; still serving %s", err, back.Addr())
			}
			old = nil
		}
		if err != nil {
			if old != nil {
				return fmt.Errorf("%w; still serving %s", err, old.Addr())
			}
			return err
		}
	}
	m.srv, m.addr = srv, addr
	if old != nil {
		if err := old.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (m *metricsEndpoint) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv == nil {
		return nil
	}
	err := m.srv.Close()
	m.srv, m.addr = nil, ""
	return err
}
