package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/supervise/supervise/internal/control"
	"github.com/supervise/supervise/internal/control/controltest"
	"github.com/supervise/supervise/pkg/procs"
)

func serveFake(t *testing.T) (path string, fake *controltest.Fake) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ctl.sock")
	fake = controltest.New(procs.Status{Name: "web", State: procs.StateRunning, PID: 7, Healthy: true})
	srv, err := control.NewServer(path, -1, fake)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return path, fake
}

func ctl(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"ctl"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCtlCommand(t *testing.T) {
	// Registered first, so it runs after the server's cleanup.
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	path, fake := serveFake(t)
	code, out, errs := ctl("--socket", path, "status", "--json")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["pid"] != 7.0 {
		t.Fatalf("status --json: %d %q %q", code, out, errs)
	}
	if code, _, _ := ctl("--socket", path, "restart", "web"); code != 0 || fake.Calls()[0] != "restart web" {
		t.Fatalf("restart: %d %v", code, fake.Calls())
	}
	if code, _, errs := ctl("--socket", path, "stop", "nope"); code != 1 || !strings.Contains(errs, "nope") {
		t.Fatalf("stop nope: %d %q", code, errs)
	}
	if code, _, errs := ctl("--socket", path, "launch"); code != 2 || !strings.Contains(errs, "unknown verb") {
		t.Fatalf("unknown verb: %d %q", code, errs)
	}
	if code, _, errs := ctl("--bogus", "status"); code != 2 || !strings.Contains(errs, "unknown flag") {
		t.Fatalf("unknown flag: %d %q", code, errs)
	}
	if code, _, errs := ctl(); code != 2 || !strings.Contains(errs, "Verbs:") {
		t.Fatalf("no verb: %d %q", code, errs)
	}
	if code, out, _ := ctl("-h"); code != 0 || !strings.Contains(out, "tail [-f] [-n N] NAME") || !strings.Contains(out, "--socket") {
		t.Fatalf("-h: %d %q", code, out)
	}
	if code, out, _ := ctl("--socket", path, "status", "-h"); code != 0 || !strings.Contains(out, "--json") {
		t.Fatalf("status -h: %d %q", code, out)
	}
}

func TestCtlSocketFromEnvironment(t *testing.T) {
	path, _ := serveFake(t)
	t.Setenv("SUPERVISE_SOCKET", path)
	if code, out, errs := ctl("status"); code != 0 || !strings.Contains(out, "web") {
		t.Fatalf("SUPERVISE_SOCKET: %d %q %q", code, out, errs)
	}
	// --socket wins over the environment.
	missing := filepath.Join(t.TempDir(), "none.sock")
	code, _, errs := ctl("--socket", missing, "health")
	if code != 3 || !strings.Contains(errs, "no supervisor is listening on "+missing) {
		t.Fatalf("no supervisor: %d %q", code, errs)
	}
}

func TestCtlNoSupervisorDefaultSocket(t *testing.T) {
	t.Setenv("SUPERVISE_SOCKET", filepath.Join(t.TempDir(), "x.sock"))
	code, _, errs := ctl("status")
	if code != 3 || !strings.Contains(errs, "x.sock") || !strings.Contains(errs, "is supervise running") {
		t.Fatalf("%d %q", code, errs)
	}
}
