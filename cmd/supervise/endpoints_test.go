package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/internal/control/controltest"
	"github.com/supervise/supervise/internal/metrics"
	"github.com/supervise/supervise/pkg/procs"
)

func metricsUp(addr string) bool {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func TestMetricsEndpointReload(t *testing.T) {
	m := &metricsEndpoint{src: controltest.New(procs.Status{Name: "a", State: procs.StateRunning})}
	defer m.close()
	if err := m.apply("127.0.0.2:0"); err != nil {
		t.Fatal(err)
	}
	first := m.srv.Addr()
	if !metricsUp(first) {
		t.Fatal("not serving")
	}
	if err := m.apply("127.0.0.2:0"); err != nil || m.srv.Addr() != first {
		t.Fatalf("unchanged address re-bound: %v, %s", err, m.srv.Addr())
	}

	// A bad address keeps the old endpoint.
	err := m.apply("no-port")
	if err == nil || !strings.Contains(err.Error(), "still serving "+first) {
		t.Fatalf("bad address: %v", err)
	}
	if !metricsUp(first) {
		t.Fatal("old endpoint down after a failed reload")
	}

	// A new address: served there, the old one closed.
	if err := m.apply("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	second := m.srv.Addr()
	if !metricsUp(second) || metricsUp(first) {
		t.Fatalf("after moving: new %s up %v, old %s up %v", second, metricsUp(second), first, metricsUp(first))
	}

	// The same port under another spelling: the old listener holds it,
	// so it is freed first.
	_, port, _ := net.SplitHostPort(second)
	if err := m.apply(":" + port); err != nil {
		t.Fatal(err)
	}
	if m.srv.Addr() != second || !metricsUp(second) {
		t.Fatalf("same port: serving %s, up %v", m.srv.Addr(), metricsUp(second))
	}

	// Unset: metrics off.
	if err := m.apply(""); err != nil || m.srv != nil || metricsUp(second) {
		t.Fatalf("unset: %v, server %v, up %v", err, m.srv, metricsUp(second))
	}
}

// TestMetricsEndpointFallsBack: when the old port was freed for the new
// address and the new one fails anyway, the old address is served again.
func TestMetricsEndpointFallsBack(t *testing.T) {
	m := &metricsEndpoint{src: controltest.New()}
	m.serve = func(addr string, src metrics.Source) (*metrics.Server, error) {
		if addr == "busy:1" {
			return nil, fmt.Errorf("metrics: listen: %w", syscall.EADDRINUSE)
		}
		return metrics.Serve(addr, src)
	}
	defer m.close()
	if err := m.apply("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	err := m.apply("busy:1")
	if err == nil || !strings.Contains(err.Error(), "still serving") {
		t.Fatalf("apply: %v", err)
	}
	if m.addr != "127.0.0.1:0" || m.srv == nil || !metricsUp(m.srv.Addr()) {
		t.Fatalf("not back on the old address: %q %v", m.addr, m.srv)
	}
}

func TestEndpointsReloadControlChange(t *testing.T) {
	e := &endpoints{control: "/run/a.sock", controlGID: -1, metrics: metricsEndpoint{src: controltest.New()}}
	defer e.close()
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	cfg := &config.Config{Supervise: config.Supervise{Control: "/run/a.sock", ControlGID: -1}}
	if err := e.reload(cfg, logf); err != nil || len(lines) != 0 {
		t.Fatalf("unchanged: %v %q", err, lines)
	}
	cfg.Supervise.Control = "/run/b.sock"
	if err := e.reload(cfg, logf); err != nil || len(lines) != 1 || !strings.Contains(lines[0], "restarts; the socket stays /run/a.sock") {
		t.Fatalf("changed control: %v %q", err, lines)
	}
}
