package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/control/controltest"
	"github.com/supervise/supervise/pkg/procs"
)

func intp(n int) *int { return &n }

// services is the fake supervisor's initial state.
func services(logDir string) []procs.Status {
	return []procs.Status{
		{Name: "web", State: procs.StateRunning, PID: 101, Uptime: 3*time.Hour + 12*time.Minute + 5*time.Second, Healthy: true,
			LogPath: filepath.Join(logDir, "web.log"), LogBytes: 5 << 20, Rotations: 2},
		{Name: "worker", State: procs.StateBackoff, Restarts: 3, ExitCode: intp(2), Healthy: false,
			LogPath: filepath.Join(logDir, "worker.log"), LogBytes: 512, DroppedBytes: 10},
		{Name: "backup", State: procs.StateScheduled, Healthy: true, ExitCode: intp(0),
			NextRun: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)},
	}
}

type harness struct {
	t      testing.TB
	fake   *controltest.Fake
	srv    *Server
	path   string
	dir    string
	served chan error
	events chan string
}

// start serves a fake backend on a real socket in a fresh directory;
// configure runs before Serve.
func start(t testing.TB, configure func(*Server)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, path: filepath.Join(dir, "s.sock"), served: make(chan error, 1), events: make(chan string, 100)}
	h.fake = controltest.New(services(dir)...)
	srv, err := NewServer(h.path, -1, h.fake)
	if err != nil {
		t.Fatal(err)
	}
	srv.TailPoll = 5 * time.Millisecond
	srv.Logf = func(format string, args ...any) {
		select {
		case h.events <- fmt.Sprintf(format, args...):
		default:
		}
	}
	if configure != nil {
		configure(srv)
	}
	h.srv = srv
	go func() { h.served <- srv.Serve() }()
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if err := h.srv.Close(); err != nil {
		h.t.Errorf("Close: %v", err)
	}
	select {
	case err := <-h.served:
		if err != nil {
			h.t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("Serve did not return after Close")
	}
}

// ctl runs `supervise ctl ARGS` against the harness.
func (h *harness) ctl(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	req, err := ParseArgs(args, &out)
	if err != nil {
		if errors.Is(err, ErrHelp) {
			return 0, out.String(), ""
		}
		return ExitUsage, "", err.Error()
	}
	code = Run(context.Background(), h.path, req, &out, &errb)
	return code, out.String(), errb.String()
}

// raw sends bytes and returns the lines the server answers until it
// closes the connection or the deadline passes.
func (h *harness) raw(payload []byte) (lines []string, closed bool) {
	h.t.Helper()
	conn, err := net.Dial("unix", h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		// The server may stop reading early; then the write fails.
		if _, err := conn.Write(payload); err == nil {
			conn.(*net.UnixConn).CloseWrite()
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	sc := bufio.NewScanner(conn)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	var ne net.Error
	timedOut := errors.As(sc.Err(), &ne) && ne.Timeout()
	return lines, !timedOut
}

func TestVerbs(t *testing.T) {
	h := start(t, nil)
	cases := []struct {
		args      []string
		code      int
		stdout    []string // substrings
		stderr    string
		wantCalls []string
	}{
		{[]string{"status"}, 0, []string{"NAME", "STATE", "web", "running", "101", "3h12m", "5.0M", "worker", "backoff", "backup", "scheduled (next 2026-11-29T03:00:00Z)"}, "", nil},
		{[]string{"status", "web"}, 0, []string{"web"}, "", nil},
		{[]string{"status", "nope"}, 1, nil, `unknown service "nope"`, nil},
		{[]string{"health"}, 1, nil, "unhealthy: worker (backoff)", nil},
		{[]string{"start", "worker"}, 0, nil, "", []string{"start worker"}},
		{[]string{"health"}, 0, []string{"healthy: 3 services"}, "", nil},
		{[]string{"stop", "all"}, 0, nil, "", []string{"stop all"}},
		{[]string{"restart", "web", "worker"}, 0, nil, "", []string{"restart web worker"}},
		{[]string{"restart", "ghost"}, 1, nil, `unknown service "ghost"`, nil},
		{[]string{"signal", "USR1", "web"}, 0, nil, "", []string{"signal USR1 web"}},
		{[]string{"signal", "SIGUSR2", "web"}, 0, nil, "", []string{"signal USR2 web"}},
		{[]string{"signal", "10", "web", "worker"}, 0, nil, "", []string{"signal USR1 web worker"}},
		{[]string{"signal", "BOGUS", "web"}, 2, nil, "unknown signal", nil},
		{[]string{"signal", "TERM"}, 2, nil, "at least one service", nil},
		{[]string{"rotate"}, 0, nil, "", []string{"rotate"}},
		{[]string{"rotate", "web"}, 0, nil, "", []string{"rotate web"}},
		{[]string{"reload"}, 0, nil, "", []string{"reload"}},
		{[]string{"reload", "web"}, 0, nil, "", []string{"reload web"}},
		{[]string{"start"}, 2, nil, "at least one service", nil},
		{[]string{"frobnicate"}, 2, nil, `unknown verb "frobnicate"`, nil},
		{[]string{}, 2, nil, "missing verb", nil},
		{[]string{"status", "--bogus"}, 2, nil, "unknown flag", nil},
		{[]string{"health", "x"}, 2, nil, "no arguments", nil},
		{[]string{"tail"}, 2, nil, "exactly one", nil},
		{[]string{"tail", "-n", "-3", "web"}, 2, nil, "negative", nil},
		{[]string{"tail", "-n", "100001", "web"}, 2, nil, "supervise logs", nil},
		{[]string{"status", "bad/name"}, 2, nil, "invalid name", nil},
		{[]string{"tail", "-h"}, 0, []string{"Usage: supervise ctl tail", "--follow"}, "", nil},
	}
	for _, c := range cases {
		before := len(h.fake.Calls())
		code, out, errs := h.ctl(c.args...)
		if code != c.code {
			t.Errorf("ctl %v: exit %d, want %d (stdout %q stderr %q)", c.args, code, c.code, out, errs)
			continue
		}
		for _, s := range c.stdout {
			if !strings.Contains(out, s) {
				t.Errorf("ctl %v: stdout %q lacks %q", c.args, out, s)
			}
		}
		if !strings.Contains(errs, c.stderr) || (c.stderr == "" && errs != "") {
			t.Errorf("ctl %v: stderr %q, want %q", c.args, errs, c.stderr)
		}
		if got := h.fake.Calls()[before:]; !slices.Equal(got, c.wantCalls) && !(len(got) == 0 && c.wantCalls == nil) {
			t.Errorf("ctl %v: backend calls %q, want %q", c.args, got, c.wantCalls)
		}
	}
}

func TestStatusTable(t *testing.T) {
	h := start(t, nil)
	code, out, _ := h.ctl("status")
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("table:\n%s", out)
	}
	// Columns are aligned: every row has STATE where the header has it.
	col := strings.Index(lines[0], "STATE")
	for _, l := range lines[1:] {
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned row %q (STATE at %d)", l, col)
		}
	}
	worker := lines[2]
	for _, f := range []string{"worker", "backoff", "-", "3", "2", filepath.Join(h.dir, "worker.log") + " (512B)"} {
		if !strings.Contains(worker, f) {
			t.Errorf("worker row %q lacks %q", worker, f)
		}
	}
	if f := strings.Fields(lines[3]); f[len(f)-1] != "-" {
		t.Errorf("a service without a log shows LOG -: %q", lines[3])
	}
}

func TestStatusJSON(t *testing.T) {
	h := start(t, nil)
	code, out, errs := h.ctl("status", "--json")
	if code != 0 {
		t.Fatal(code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	wantKeys := []string{"dropped_bytes", "exit_code", "log_bytes", "log_path", "name", "next_run", "pid", "restarts", "rotations", "state", "uptime_s"}
	for _, r := range rows {
		var keys []string
		for k := range r {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("keys %v, want exactly %v", keys, wantKeys)
		}
	}
	web, worker, backup := rows[0], rows[1], rows[2]
	if web["pid"] != 101.0 || web["uptime_s"] != 11525.0 || web["exit_code"] != nil || web["next_run"] != nil || web["rotations"] != 2.0 {
		t.Errorf("web row %v", web)
	}
	if worker["pid"] != nil || worker["exit_code"] != 2.0 || worker["restarts"] != 3.0 || worker["dropped_bytes"] != 10.0 || worker["state"] != "backoff" {
		t.Errorf("worker row %v", worker)
	}
	if backup["next_run"] != "2026-11-29T03:00:00Z" || backup["log_path"] != "" {
		t.Errorf("backup row %v", backup)
	}
	// An empty selection is [], not null.
	h.fake.Stop([]string{"all"})
	var buf bytes.Buffer
	WriteJSON(&buf, nil)
	if strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty JSON %q", buf.String())
	}
}

func TestReloadErrorAndShutdown(t *testing.T) {
	h := start(t, nil)
	h.fake.SetReloadError(errors.New("services.conf:3: unknown key \"comand\"; did you mean \"command\"?\nservices.conf:9: bad size"))
	code, _, errs := h.ctl("reload")
	if code != 1 || !strings.Contains(errs, "services.conf:3: unknown key") || !strings.Contains(errs, "services.conf:9") {
		t.Fatalf("reload: exit %d stderr %q", code, errs)
	}
	code, out, _ := h.ctl("shutdown")
	if code != 0 || !strings.Contains(out, "shutting down") {
		t.Fatalf("shutdown: %d %q", code, out)
	}
	select {
	case <-h.fake.ShutdownCalled():
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown not called")
	}
}

func TestNoSupervisor(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.sock")
	req, _ := ParseArgs([]string{"status"}, nil)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), missing, req, &out, &errb); code != ExitNoSupervisor {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "no supervisor is listening on "+missing) {
		t.Fatalf("message %q does not name the socket", errb.String())
	}
	// A socket left behind by a dead supervisor: connection refused.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	errb.Reset()
	if code := Run(context.Background(), stale, req, &out, &errb); code != ExitNoSupervisor || !strings.Contains(errb.String(), stale) {
		t.Fatalf("stale socket: exit %d %q", code, errb.String())
	}
	long := filepath.Join(dir, strings.Repeat("x", 100)+".sock")
	if _, err := NewServer(long, -1, controltest.New()); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("long path: %v", err)
	}
	// A missing directory is created.
	deep, err := NewServer(filepath.Join(dir, "run", "supervise", "s.sock"), -1, controltest.New())
	if err != nil {
		t.Fatal(err)
	}
	deep.Close()
	// A supervisor can then start there.
	srv, err := NewServer(stale, -1, controltest.New())
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	srv.Close()
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Fatalf("Close left the socket: %v", err)
	}
}

func TestNewServerRefusesLiveSocketAndFiles(t *testing.T) {
	h := start(t, nil)
	if _, err := NewServer(h.path, -1, controltest.New()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second server on a live socket: %v", err)
	}
	file := filepath.Join(h.dir, "plain")
	os.WriteFile(file, []byte("precious"), 0o644)
	if _, err := NewServer(file, -1, controltest.New()); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "precious" {
		t.Fatal("file clobbered")
	}
	// The first server still answers.
	if code, _, _ := h.ctl("status"); code != 0 {
		t.Fatal(code)
	}
}

func TestOversizeAndMalformedRequests(t *testing.T) {
	h := start(t, nil)
	big := append(bytes.Repeat([]byte("x"), 1<<20), '\n')
	lines, closed := h.raw(big)
	if len(lines) != 1 || !strings.Contains(lines[0], "exceeds 65536 bytes") || !closed {
		t.Fatalf("1 MiB request: %q closed=%v", lines, closed)
	}
	for _, bad := range []string{"{bad json\n", "[1,2]\n", `{"v":1,"verb":"status"} trailing` + "\n", `{"v":9,"verb":"status"}` + "\n", `{"v":1,"verb":"status","args":"web"}` + "\n"} {
		lines, closed := h.raw([]byte(bad + `{"v":1,"verb":"status"}` + "\n"))
		if len(lines) != 1 || !closed {
			t.Fatalf("%q: answered %q closed=%v; want one error and a hang-up", bad, lines, closed)
		}
		var r Response
		json.Unmarshal([]byte(lines[0]), &r)
		if r.OK || r.Exit != ExitFailed || r.Error == "" {
			t.Fatalf("%q: response %+v", bad, r)
		}
	}
	// An unknown verb is a usage error and the connection stays usable.
	lines, _ = h.raw([]byte(`{"v":1,"verb":"dance"}` + "\n" + `{"v":1,"verb":"health"}` + "\n"))
	if len(lines) < 2 || !strings.Contains(lines[0], `"exit":2`) || !strings.Contains(lines[1], `unhealthy`) {
		t.Fatalf("unknown verb then health: %q", lines)
	}
	// The supervisor is unaffected.
	if code, _, _ := h.ctl("status"); code != 0 {
		t.Fatal("server broken after abuse")
	}
}

func TestIdleClientIsDisconnected(t *testing.T) {
	h := start(t, func(s *Server) { s.ReadTimeout = 50 * time.Millisecond })
	conn, err := net.Dial("unix", h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := conn.Read(b[:]); err == nil {
		t.Fatal("idle connection got data")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server kept an idle connection open")
	}
}

func TestConnectionLimit(t *testing.T) {
	h := start(t, func(s *Server) { s.MaxConns = 2; s.QueueWait = 20 * time.Millisecond })
	// Two clients hold their connections with tail -f.
	os.WriteFile(filepath.Join(h.dir, "web.log"), []byte("x\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		got := make(chan struct{}, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := ParseArgs([]string{"tail", "-f", "web"}, nil)
			Do(ctx, h.path, req, func(Response) error { got <- struct{}{}; return nil })
		}()
		<-got
	}
	code, _, errs := h.ctl("status")
	if code != 1 || !strings.Contains(errs, "too many control connections") {
		t.Fatalf("third client: exit %d %q", code, errs)
	}
	cancel()
	wg.Wait()
	// Slots come back when the holders leave.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _, _ := h.ctl("status"); code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slots never freed")
		}
	}
}

func TestManyClientsWhileBackendChurns(t *testing.T) {
	h := start(t, nil)
	h.fake.Set(procs.Status{Name: "churn", State: procs.StateStarting})
	stop := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h.fake.Set(procs.Status{Name: "churn", State: procs.StateRunning, PID: 5000 + i%100, Restarts: i, Healthy: true})
			h.fake.Restart([]string{"web"})
		}
	}()
	const n = 100
	errs := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := [][]string{{"status", "--json"}, {"status", "web", "churn"}, {"signal", "HUP", "web"}, {"rotate", "worker"}}[i%4]
			code, out, e := h.ctl(args...)
			if code != 0 {
				errs <- fmt.Sprintf("%v: exit %d %s", args, code, e)
				return
			}
			if args[0] == "status" && !strings.Contains(out, "web") {
				errs <- fmt.Sprintf("%v: %q", args, out)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-churned
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestTail(t *testing.T) {
	h := start(t, nil)
	log := filepath.Join(h.dir, "web.log")
	os.WriteFile(log, []byte("1\n2\n3\n4\n5\n"), 0o644)
	if code, out, _ := h.ctl("tail", "-n", "2", "web"); code != 0 || out != "4\n5\n" {
		t.Fatalf("tail -n 2: %d %q", code, out)
	}
	if code, out, _ := h.ctl("tail", "web"); code != 0 || out != "1\n2\n3\n4\n5\n" {
		t.Fatalf("tail: %d %q", code, out)
	}
	// Right after a rotation, the rest comes from the archives.
	// Only the newest archive is read, not the whole history.
	os.WriteFile(filepath.Join(h.dir, "worker.log.2"), []byte("w0\nw1\n"), 0o644)
	os.WriteFile(filepath.Join(h.dir, "worker.log.1"), []byte("w2\nw3\n"), 0o644)
	os.WriteFile(filepath.Join(h.dir, "worker.log"), []byte("w4\n"), 0o644)
	if code, out, _ := h.ctl("tail", "-n", "2", "worker"); code != 0 || out != "w3\nw4\n" {
		t.Fatalf("tail across the rotation: %d %q", code, out)
	}
	if code, out, _ := h.ctl("tail", "-n", "5", "worker"); code != 0 || out != "w2\nw3\nw4\n" {
		t.Fatalf("tail across the rotation: %d %q", code, out)
	}
	for _, f := range []string{"worker.log", "worker.log.1", "worker.log.2"} {
		os.Remove(filepath.Join(h.dir, f))
	}
	if code, _, errs := h.ctl("tail", "backup"); code != 1 || !strings.Contains(errs, "no log file") {
		t.Fatalf("tail of a service without a log: %d %q", code, errs)
	}
	if code, out, _ := h.ctl("tail", "worker"); code != 0 || out != "" {
		t.Fatalf("tail of a log not written yet: %d %q", code, out)
	}

	// -f follows across a rotation.
	chunks := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := ParseArgs([]string{"tail", "-f", "-n", "1", "web"}, nil)
		_, err := Do(ctx, h.path, req, func(r Response) error { chunks <- string(r.Data); return nil })
		done <- err
	}()
	expect := func(want string) {
		t.Helper()
		var got string
		for got != want {
			select {
			case c := <-chunks:
				got += c
			case <-time.After(10 * time.Second):
				t.Fatalf("tail -f got %q, want %q", got, want)
			}
		}
	}
	expect("5\n")
	appendTo(t, log, "6\n")
	expect("6\n")
	os.Rename(log, log+".1")
	appendTo(t, log+".1", "7\n")
	appendTo(t, log, "8\n")
	expect("7\n8\n")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("tail -f ended with %v", err)
	}
}

func TestCloseEndsFollowersAndIdleConnections(t *testing.T) {
	h := start(t, nil)
	os.WriteFile(filepath.Join(h.dir, "web.log"), []byte("x\n"), 0o644)
	started := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		req, _ := ParseArgs([]string{"tail", "-f", "web"}, nil)
		_, err := Do(context.Background(), h.path, req, func(Response) error { started <- struct{}{}; return nil })
		done <- err
	}()
	<-started
	idle, err := net.Dial("unix", h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "closed the connection") {
			t.Fatalf("follower after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end tail -f")
	}
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Fatal("idle connection still open")
	}
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

func TestAbuseReportsAreRateLimited(t *testing.T) {
	clock := time.Unix(1000, 0)
	var events []string
	s := &Server{now: func() time.Time { return clock }, Logf: func(f string, a ...any) { events = append(events, fmt.Sprintf(f, a...)) }}
	for range 3 {
		s.abuse("control: refused connection: %s", "x")
	}
	if len(events) != 1 {
		t.Fatalf("events %q", events)
	}
	clock = clock.Add(2 * time.Second)
	s.abuse("control: refused connection: %s", "y")
	if len(events) != 2 || !strings.Contains(events[1], "y (and 2 similar in the last second)") {
		t.Fatalf("events %q", events)
	}
}
