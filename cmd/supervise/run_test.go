package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/control"
	"github.com/supervise/supervise/pkg/signals"
)

// These tests run the real supervise binary as PID 1 of a new pid
// namespace (unshare --pid --fork --mount-proc). This test process runs no
// reaper, so it may wait for unshare with exec.Cmd as usual.

const recorderEnv = "SUPERVISE_TEST_RECORDER"

// TestHelperSignalRecorder is not a test: supervise runs the test binary
// with recorderEnv set as its main service, which writes one line per
// signal it gets and exits 0 on TERM.
func TestHelperSignalRecorder(t *testing.T) {
	if os.Getenv(recorderEnv) == "" {
		t.Skip("helper process for TestPID1ForwardsSignals")
	}
	ch := make(chan os.Signal, 128)
	var all []os.Signal
	for n := 1; n <= 64; n++ {
		switch syscall.Signal(n) {
		case syscall.SIGKILL, syscall.SIGSTOP, 32, 33, 34:
			continue
		}
		all = append(all, syscall.Signal(n))
	}
	// GODEBUG=asyncpreemptoff=1 (set by the test) keeps our own runtime
	// from sending us SIGURG, so any SIGURG seen came from outside.
	signal.Notify(ch, all...)
	fmt.Println("ready")
	for s := range ch {
		fmt.Printf("got %d\n", s.(syscall.Signal))
		if s == syscall.SIGTERM {
			os.Exit(0)
		}
	}
}

var builtBinary string

// supervise builds the binary once per test process.
func superviseBinary(t testing.TB) string {
	t.Helper()
	if builtBinary != "" {
		return builtBinary
	}
	dir, err := os.MkdirTemp("", "supervise-bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "supervise")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	builtBinary = bin
	return bin
}

func requireUnshare(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root for unshare --pid")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build supervise")
	}
}

// pid1 is supervise running as PID 1 of its own namespace.
type pid1 struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string
	host int // supervise's pid as seen from here; see hostPID
	errf string
	done chan struct{}
	code int
}

func startPID1(t *testing.T, conf string) *pid1 {
	t.Helper()
	requireUnshare(t)
	bin := superviseBinary(t)
	dir := t.TempDir()
	conf = strings.ReplaceAll(conf, "DIR", dir)
	path := filepath.Join(dir, "services.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &pid1{t: t, dir: dir, errf: filepath.Join(dir, "stderr"), done: make(chan struct{})}
	errf, err := os.Create(p.errf)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	p.cmd = exec.Command("unshare", "--pid", "--fork", "--kill-child", "--mount-proc", bin, "-c", path)
	p.cmd.Stdout, p.cmd.Stderr = errf, errf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// hostPID is supervise's pid as seen from here: unshare --fork's only
// child. Tests that signal it call this while it surely runs.
func (p *pid1) hostPID() int {
	p.t.Helper()
	if p.host == 0 {
		p.host = p.waitFor(func() (int, bool) {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.cmd.Process.Pid, p.cmd.Process.Pid))
			if err != nil {
				return 0, false
			}
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			return n, err == nil && n > 0
		})
	}
	return p.host
}

// waitFor polls cond until it holds (a verdict on another process's
// progress, with a deadline).
func (p *pid1) waitFor(cond func() (int, bool)) int {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v, ok := cond(); ok {
			return v
		}
		select {
		case <-p.done:
			p.t.Fatalf("supervise exited (%d):\n%s", p.code, p.stderr())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out; supervise stderr:\n%s", p.stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *pid1) stderr() string {
	b, _ := os.ReadFile(p.errf)
	return string(b)
}

func (p *pid1) waitLog(name, s string) {
	p.t.Helper()
	p.waitFor(func() (int, bool) {
		b, _ := os.ReadFile(filepath.Join(p.dir, "log", name+".log"))
		return 0, strings.Contains(string(b), s)
	})
}

func (p *pid1) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(30 * time.Second):
		p.t.Fatalf("supervise did not exit:\n%s", p.stderr())
		return -1
	}
}

const pid1Header = `[supervise]
control = DIR/run/sock
log_dir = DIR/log
shutdown_timeout = 10s
`

func TestPID1ForwardsSignals(t *testing.T) {
	requireUnshare(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := startPID1(t, pid1Header+fmt.Sprintf(`
[service rec]
command = %s -test.run=^TestHelperSignalRecorder$
env = %s=1
env = GODEBUG=asyncpreemptoff=1
main = true

[service bystander]
command = sleep 1000
`, exe, recorderEnv))
	p.waitLog("rec", "ready")
	for _, sig := range signals.Forwardable() {
		if err := syscall.Kill(p.hostPID(), syscall.SIGURG); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(p.hostPID(), sig); err != nil {
			t.Fatal(err)
		}
		p.waitLog("rec", fmt.Sprintf("got %d\n", sig))
	}
	if err := syscall.Kill(p.hostPID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Errorf("exit %d, want main's 0", code)
	}
	b, _ := os.ReadFile(filepath.Join(p.dir, "log", "rec.log"))
	if strings.Contains(string(b), fmt.Sprintf("got %d\n", syscall.SIGURG)) {
		t.Errorf("SIGURG reached main:\n%s", b)
	}
	if strings.Contains(string(b), fmt.Sprintf("got %d\n", syscall.SIGCHLD)) {
		t.Errorf("SIGCHLD reached main:\n%s", b)
	}
}

// TestPID1MainExitCodes: supervise exits with main's code, 128+N if killed.
func TestPID1MainExitCodes(t *testing.T) {
	for _, tt := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 42", 42},
		{"kill -9 $$", 137},
	} {
		p := startPID1(t, pid1Header+fmt.Sprintf(`
[service main]
command = sh -c '%s'
main = true
restart = never

[service other]
command = sleep 1000
`, tt.script))
		if code := p.wait(); code != tt.want {
			t.Errorf("main %q: supervise exit %d, want %d\n%s", tt.script, code, tt.want, p.stderr())
		}
	}
}

// TestPID1NoMainTermIsZero: without main, a TERM shutdown exits 0.
func TestPID1NoMainTermIsZero(t *testing.T) {
	p := startPID1(t, pid1Header+`
[service a]
command = sh -c 'echo up; exec sleep 1000'
`)
	p.waitLog("a", "up")
	if err := syscall.Kill(p.hostPID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Errorf("exit %d, want 0\n%s", code, p.stderr())
	}
	if !strings.Contains(p.stderr(), "exited a") {
		t.Errorf("no exit event:\n%s", p.stderr())
	}
}

func TestInvalidConfigExitsOneStartingNothing(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	path := filepath.Join(dir, "bad.conf")
	conf := fmt.Sprintf("[supervise]\nlog_dir = %s/log\n\n[service a]\ncommand = touch %s\nrestrat = always\n", dir, marker)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := run([]string{"-c", path}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), path+":6:") {
		t.Errorf("stderr lacks %s:6: ...:\n%s", path, stderr.String())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a service ran although the config is invalid")
	}
}

func ctlDo(t *testing.T, sock, verb string, args ...string) control.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := control.Do(ctx, sock, control.Request{Verb: verb, Args: args}, nil)
	if err != nil {
		t.Fatalf("ctl %s %v: %v", verb, args, err)
	}
	return resp
}

// TestPID1ControlReloadTTY drives the wired backend through the control
// socket: status, a tty service, reload with an added service and an
// invalid file, rotate, stop, shutdown.
func TestPID1ControlReloadTTY(t *testing.T) {
	conf := pid1Header + `
[service term]
command = sh -c 'if [ -t 1 ]; then echo "on a tty"; fi; exec sleep 1000'
tty = true

[service plain]
command = sh -c 'echo up; exec sleep 1000'
start_secs = 0
`
	p := startPID1(t, conf)
	sock := filepath.Join(p.dir, "run", "sock")
	p.waitLog("term", "on a tty")
	p.waitLog("plain", "up")
	p.waitFor(func() (int, bool) { _, err := os.Stat(sock); return 0, err == nil })

	resp := ctlDo(t, sock, "status")
	if !resp.OK || len(resp.Status) != 2 {
		t.Fatalf("status: %+v", resp)
	}
	// An invalid file changes nothing and says FILE:LINE.
	path := filepath.Join(p.dir, "services.conf")
	good := strings.ReplaceAll(conf, "DIR", p.dir)
	if err := os.WriteFile(path, []byte(good+"\n[service bad]\nrestrat = x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if resp := ctlDo(t, sock, "reload"); resp.OK || !strings.Contains(resp.Error, path+":") {
		t.Errorf("invalid reload: %+v", resp)
	}
	if err := os.WriteFile(path, []byte(good+"\n[service added]\ncommand = sh -c 'echo added; exec sleep 1000'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if resp := ctlDo(t, sock, "reload"); !resp.OK {
		t.Fatalf("reload: %+v", resp)
	}
	p.waitLog("added", "added")
	if resp := ctlDo(t, sock, "rotate", "plain"); !resp.OK {
		t.Errorf("rotate: %+v", resp)
	}
	if resp := ctlDo(t, sock, "stop", "plain"); !resp.OK {
		t.Errorf("stop: %+v", resp)
	}
	resp = ctlDo(t, sock, "status", "plain")
	if len(resp.Status) != 1 || resp.Status[0].State != "stopped" {
		t.Errorf("after stop: %+v", resp.Status)
	}
	if resp := ctlDo(t, sock, "status", "nope"); resp.OK {
		t.Errorf("status of an unknown service succeeded")
	}
	ctlDo(t, sock, "shutdown")
	if code := p.wait(); code != 0 {
		t.Errorf("exit %d after ctl shutdown, want 0\n%s", code, p.stderr())
	}
}

// TestPID1HUPReload: HUP rereads the file; an invalid one changes nothing
// and its FILE:LINE errors go to stderr; a valid one starts what it adds.
// USR1 rotates every log.
func TestPID1HUPReload(t *testing.T) {
	conf := pid1Header + `
[service a]
command = sh -c 'echo up; exec sleep 1000'
`
	p := startPID1(t, conf)
	p.waitLog("a", "up")
	path := filepath.Join(p.dir, "services.conf")
	good := strings.ReplaceAll(conf, "DIR", p.dir)
	if err := os.WriteFile(path, []byte(good+"\n[service b]\ncommand = true\nrestrat = always\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.hostPID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitFor(func() (int, bool) { return 0, strings.Contains(p.stderr(), path+":11: unknown key \"restrat\"") })
	if !strings.Contains(p.stderr(), "reload refused, nothing changed") {
		t.Errorf("stderr:\n%s", p.stderr())
	}
	if err := os.WriteFile(path, []byte(good+"\n[service b]\ncommand = sh -c 'echo b up; exec sleep 1000'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.hostPID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("b", "b up")
	if err := syscall.Kill(p.hostPID(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	p.waitFor(func() (int, bool) {
		_, err := os.Stat(filepath.Join(p.dir, "log", "a.log.1"))
		_, errgz := os.Stat(filepath.Join(p.dir, "log", "a.log.1.gz"))
		return 0, err == nil || errgz == nil
	})
	if err := syscall.Kill(p.hostPID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
