package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/supervise/supervise/internal/control/controltest"
	"github.com/supervise/supervise/pkg/procs"
)

// roundTrip sends raw bytes and returns the response (the server always
// closes the connection after one answer).
func roundTrip(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	method := "GET"
	if strings.HasPrefix(raw, "HEAD ") {
		method = "HEAD"
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return resp
}

func TestHTTP(t *testing.T) {
	s, err := Serve("127.0.0.1:0", failing{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		name, raw string
		status    int
	}{
		{"scrape", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200},
		{"query string", "GET /metrics?x=1 HTTP/1.0\r\n\r\n", 200},
		{"index", "GET / HTTP/1.1\r\n\r\n", 200},
		{"unknown path", "GET /nope HTTP/1.1\r\n\r\n", 404},
		{"method", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
		{"garbage", "hello\r\n\r\n", 400},
		{"header without colon", "GET /metrics HTTP/1.1\r\nbroken\r\n\r\n", 400},
		{"version", "GET /metrics HTTP/2.0\r\n\r\n", 505},
		{"huge header", "GET /metrics HTTP/1.1\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431},
		{"many headers", "GET /metrics HTTP/1.1\r\n" + strings.Repeat("X: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 300) + "\r\n", 431},
	} {
		resp := roundTrip(t, s.Addr(), c.raw)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.status, body)
		}
		if int64(len(body)) != resp.ContentLength {
			t.Errorf("%s: %d body bytes, Content-Length %d", c.name, len(body), resp.ContentLength)
		}
		if c.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("405 without Allow: %v", resp.Header)
		}
	}

	resp := roundTrip(t, s.Addr(), "GET /metrics HTTP/1.1\r\n\r\n")
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	plain, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(plain), "\nsupervise_status_up 0\n") {
		t.Errorf("scrape body:\n%s", plain)
	}

	resp = roundTrip(t, s.Addr(), "HEAD /metrics HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: %d, length %d", resp.StatusCode, resp.ContentLength)
	}

	// Prometheus asks for gzip; q=0 refuses it.
	resp = roundTrip(t, s.Addr(), "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(zr); err != nil {
		t.Errorf("gzipped exposition does not parse: %v", err)
	}
	resp = roundTrip(t, s.Addr(), "GET /metrics HTTP/1.1\r\naccept-encoding: identity, gzip;q=0\r\n\r\n")
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip despite q=0: %v", resp.Header)
	}
}

// TestConnectionLimitAndClose: idle connections hold at most maxScrapes
// slots, the next is closed at once, and Close cuts the idle ones.
func TestConnectionLimitAndClose(t *testing.T) {
	s, err := Serve("127.0.0.1:0", failing{})
	if err != nil {
		t.Fatal(err)
	}
	var idle []net.Conn
	for range maxScrapes {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The accept loop takes connections in order and tracks each before
	// accepting the next, and idle ones stay for exchangeTime: the next
	// connection finds every slot taken.
	extra, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("connection over the limit: read %d, %v; want EOF", n, err)
	}

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for idle connections")
	}
	for _, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("idle connection still open after Close")
		}
	}
}

// TestLabelEscaping: paths are free text; quotes, backslashes and
// newlines in them survive a parse.
func TestLabelEscaping(t *testing.T) {
	weird := "/var/log/a \"b\" \\c\nd.log"
	fake := controltest.New(procs.Status{Name: "w", State: procs.StateRunning, LogPath: weird, LogBytes: 1})
	s, err := Serve("127.0.0.1:0", fake)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fams := scrape(t, s.Addr())
	if v, ok := value(t, fams, "supervise_log_bytes", map[string]string{"path": weird}); !ok || v != 1 {
		t.Errorf("escaped path lost: %v %v", v, ok)
	}
}

func TestProcessMetrics(t *testing.T) {
	s, err := Serve("127.0.0.1:0", failing{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fams := scrape(t, s.Addr())
	now := float64(time.Now().Unix())
	for _, c := range []struct {
		name   string
		lo, hi float64
	}{
		{"process_resident_memory_bytes", 1 << 20, 1 << 40},
		{"process_virtual_memory_bytes", 1 << 20, 1 << 50},
		{"process_start_time_seconds", now - 86400, now + 1},
		{"process_open_fds", 3, 1 << 20},
		{"process_max_fds", 3, 1 << 40},
		{"process_cpu_seconds_total", 0, 1 << 20},
		{"go_goroutines", 2, 1 << 20},
		{"go_threads", 1, 1 << 20},
		{"go_memstats_heap_alloc_bytes", 1, 1 << 40},
		{"go_memstats_sys_bytes", 1 << 20, 1 << 40},
		{"go_memstats_next_gc_bytes", 1, 1 << 40},
		{"go_gc_cycles_total", 0, 1 << 40},
	} {
		v, ok := value(t, fams, c.name, nil)
		if !ok || v < c.lo || v > c.hi {
			t.Errorf("%s = %v (present %v), want in [%v, %v]", c.name, v, ok, c.lo, c.hi)
		}
	}
	if _, ok := value(t, fams, "go_info", map[string]string{"version": runtime.Version()}); !ok {
		t.Error("go_info missing")
	}
}

// TestReadStat: the command field may hold spaces and parentheses.
func TestReadStat(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "stat")
	line := "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 99999744 321 18446744073709551615\n"
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := readStat(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := (procStat{utime: 250, stime: 50, startTicks: 12345, vsize: 99999744, rssPages: 321}); st != want {
		t.Errorf("%+v, want %+v", st, want)
	}
	for _, bad := range []string{"42 no paren", "42 (x) S 1 2", "42 (x) S 1 42 42 0 -1 4194560 100 0 0 0 xx 50 0 0 20 0 7 0 12345 99999744 321"} {
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readStat(p); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzReadRequest: any bytes give a request or an HTTP error, never a
// panic, and never read past maxHead.
func FuzzReadRequest(f *testing.F) {
	f.Add("GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n")
	f.Add("HEAD / HTTP/1.0\r\n\r\n")
	f.Add("GET /x?y HTTP/1.1\r\nA: b\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n")
	f.Add("\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		req, status := readRequest(bufio.NewReaderSize(strings.NewReader(raw), 4096))
		switch status {
		case 0:
			if req.method == "" || !strings.HasPrefix(req.path, "/") || strings.Contains(req.path, "?") {
				t.Errorf("%q: accepted as %+v", raw, req)
			}
		case 400, 431, 505:
		default:
			t.Errorf("%q: status %d", raw, status)
		}
	})
}
