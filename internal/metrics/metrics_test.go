package metrics

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/supervise/supervise/internal/control/controltest"
	"github.com/supervise/supervise/pkg/procs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestScrape(t *testing.T) {
	dir := t.TempDir()
	code := 137
	fake := controltest.New(
		procs.Status{Name: "web", State: procs.StateRunning, PID: 10, Uptime: 90 * time.Second, Restarts: 4, ExitCode: &code, Healthy: true,
			LogPath: filepath.Join(dir, "web.log"), LogBytes: 1234, BytesWritten: 56789, Rotations: 3, DroppedBytes: 77, ArchiveBytes: 999},
		procs.Status{Name: "nightly", State: procs.StateScheduled, Healthy: true, NextRun: time.Unix(1795902300, 0)},
	)
	fake.SetOrphans(5)
	s, err := Serve("127.0.0.1:0", fake)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fams := scrape(t, s.Addr())

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"supervise_service_state", map[string]string{"service": "web", "state": "running"}, 1},
		{"supervise_service_state", map[string]string{"service": "web", "state": "backoff"}, 0},
		{"supervise_service_state", map[string]string{"service": "nightly", "state": "scheduled"}, 1},
		{"supervise_service_healthy", map[string]string{"service": "web"}, 1},
		{"supervise_service_restarts_total", map[string]string{"service": "web"}, 4},
		{"supervise_service_exit_code", map[string]string{"service": "web"}, 137},
		{"supervise_service_uptime_seconds", map[string]string{"service": "web"}, 90},
		{"supervise_service_next_run_timestamp_seconds", map[string]string{"service": "nightly"}, 1795902300},
		{"supervise_log_bytes", map[string]string{"service": "web", "path": filepath.Join(dir, "web.log")}, 1234},
		{"supervise_log_written_bytes_total", map[string]string{"service": "web", "path": filepath.Join(dir, "web.log")}, 56789},
		{"supervise_log_rotations_total", map[string]string{"service": "web"}, 3},
		{"supervise_log_dropped_bytes_total", map[string]string{"service": "web"}, 77},
		{"supervise_log_archive_bytes", map[string]string{"service": "web"}, 999},
		{"supervise_orphans_reaped_total", nil, 5},
		{"supervise_status_up", nil, 1},
	}
	for _, c := range checks {
		got, ok := value(t, fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// One state series per state per service.
	if n := len(fams["supervise_service_state"].Metric); n != 16 {
		t.Errorf("%d state series, want 16", n)
	}
	if _, ok := value(t, fams, "supervise_service_exit_code", map[string]string{"service": "nightly"}); ok {
		t.Error("exit code reported for a service that never exited")
	}
	for _, name := range []string{"supervise_service_restarts_total", "supervise_log_written_bytes_total", "supervise_log_rotations_total"} {
		if fams[name].GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s is not a counter", name)
		}
	}
	if fams["supervise_log_bytes"].GetType() != dto.MetricType_GAUGE {
		t.Error("supervise_log_bytes is not a gauge")
	}
	// A service without a log file has no log series.
	if _, ok := value(t, fams, "supervise_log_written_bytes_total", map[string]string{"service": "nightly"}); ok {
		t.Error("written bytes reported for a service without a log file")
	}
	free, ok := value(t, fams, "supervise_log_filesystem_free_bytes", map[string]string{"directory": dir})
	size, _ := value(t, fams, "supervise_log_filesystem_size_bytes", map[string]string{"directory": dir})
	if !ok || free <= 0 || size < free {
		t.Errorf("filesystem free %v size %v", free, size)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("Go runtime metrics missing")
	}
	// Metrics are read at scrape time.
	fake.Restart([]string{"web"})
	if got, _ := value(t, scrape(t, s.Addr()), "supervise_service_restarts_total", map[string]string{"service": "web"}); got != 5 {
		t.Errorf("after a restart: %v", got)
	}
}

type failing struct{}

func (failing) Status([]string) ([]procs.Status, error) { return nil, errors.New("supervisor busy") }
func (failing) Orphans() int64                          { return 1 }

func TestScrapeWhenStatusFails(t *testing.T) {
	s, err := Serve("127.0.0.1:0", failing{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fams := scrape(t, s.Addr())
	if v, ok := value(t, fams, "supervise_orphans_reaped_total", nil); !ok || v != 1 {
		t.Errorf("orphans %v %v", v, ok)
	}
	if v, ok := value(t, fams, "supervise_status_up", nil); !ok || v != 0 {
		t.Errorf("status_up %v %v, want 0", v, ok)
	}
	if _, ok := fams["supervise_service_state"]; ok {
		t.Error("service metrics without a status")
	}
}

func TestLoopbackByDefaultAndClose(t *testing.T) {
	s, err := Serve(":0", failing{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("empty host listened on %s, want loopback", s.Addr())
	}
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("still serving after Close")
	}
	if _, err := Serve("no-port", failing{}); err == nil {
		t.Error("bad address accepted")
	}
}
