package procs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

func TestEnvironLayers(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte("# comment\n\nA=from-file\nexport B='quoted value'\nC=\"dq\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=/bin", "A=base", "HOME=/root", "CUDA_VISIBLE_DEVICES=3"}
	tests := []struct {
		gpus  string
		cuda  string // "-" means unset
		nvidi string
	}{
		{"", "3", "-"},
		{"all", "-", "all"},
		{"none", "", "void"},
		{"0,1", "0,1", "0,1"},
	}
	for _, tt := range tests {
		c := &config.Service{EnvFile: envFile, Env: []string{"C=from-env", "D=d"}, GPUs: tt.gpus,
			User: &config.User{UID: 1000, GID: 1000, Home: "/home/ml", Login: "ml"}}
		env, err := environ(base, c)
		if err != nil {
			t.Fatal(err)
		}
		get := func(k string) string {
			for _, kv := range env {
				if key, v, _ := strings.Cut(kv, "="); key == k {
					return v
				}
			}
			return "-"
		}
		for k, want := range map[string]string{
			"PATH": "/bin", "A": "from-file", "B": "quoted value", "C": "from-env", "D": "d",
			"HOME": "/home/ml", "USER": "ml", "LOGNAME": "ml",
			"CUDA_VISIBLE_DEVICES": tt.cuda, "NVIDIA_VISIBLE_DEVICES": tt.nvidi,
		} {
			if got := get(k); got != want {
				t.Errorf("gpus=%q: %s=%q, want %q", tt.gpus, k, got, want)
			}
		}
		// Overrides replace in place: one entry per key.
		seen := map[string]bool{}
		for _, kv := range env {
			k, _, _ := strings.Cut(kv, "=")
			if seen[k] {
				t.Errorf("gpus=%q: %s twice", tt.gpus, k)
			}
			seen[k] = true
		}
	}
}

func TestEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("A=1\nnot a pair\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := environ(nil, &config.Service{EnvFile: bad}); err == nil || !strings.Contains(err.Error(), bad+":2") {
		t.Errorf("bad env_file: %v, want an error naming %s:2", err, bad)
	}
	if _, err := environ(nil, &config.Service{EnvFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing env_file: no error")
	}
}

// TestChildSeesOnlyStdio: a service lists its own descriptors; only 0-2
// may be open (stdin /dev/null, stdout and stderr the capture).
func TestChildSeesOnlyStdio(t *testing.T) {
	// Keep an extra descriptor open in supervise to prove it is not leaked.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := svc("fds", "/bin/ls", "-l", "/proc/self/fd")
	c.Restart = config.RestartNever
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.next("exited", "fds")
	h.status("fds")
	out := h.logs.get("fds").String()
	// ls -l /proc/self/fd: "... 1 -> pipe:[…]"; its own fd 3 is the
	// directory it is reading.
	var fds []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[len(f)-2] == "->" && !strings.HasPrefix(f[len(f)-1], "/proc/") {
			fds = append(fds, f[len(f)-3]+"="+f[len(f)-1])
		}
	}
	if len(fds) != 3 || fds[0] != "0=/dev/null" || !strings.HasPrefix(fds[1], "1=pipe:") || !strings.HasPrefix(fds[2], "2=pipe:") {
		t.Errorf("child fds %v, want 0=/dev/null and pipes on 1 and 2 only; listing:\n%s", fds, out)
	}
}

// TestServiceEnvironmentReachesChild runs a real child with directory and
// env and reads back what it saw; env_file is re-read at each start.
func TestServiceEnvironmentReachesChild(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte("GEN=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := sh("env", `echo "dir=$(pwd) gen=$GEN x=$X gpu=[$CUDA_VISIBLE_DEVICES]"; exit 1`)
	c.Directory = dir
	c.EnvFile = envFile
	c.Env = []string{"X=y"}
	c.GPUs = "none"
	h := newHarness(t, conf(c))
	h.s.Boot()
	log := h.logs.get("env")
	log.waitFor(t, "dir="+dir+" gen=1 x=y gpu=[]", 10*time.Second)
	h.next("backoff", "env")
	if err := os.WriteFile(envFile, []byte("GEN=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	log.waitFor(t, "gen=2", 10*time.Second)
}

// TestUserCredentials runs a service as another user: uid, gid,
// supplementary groups and the login variables all change.
func TestUserCredentials(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to switch users")
	}
	c := sh("as", `echo "ids=$(id -u):$(id -g):$(id -G) home=$HOME user=$USER logname=$LOGNAME"`)
	c.Restart = config.RestartNever
	c.User = &config.User{Name: "nobody", UID: 65534, GID: 65534, Groups: []uint32{65534, 100}, Home: "/nonexistent", Login: "nobody"}
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.next("exited", "as")
	h.status("as")
	out := h.logs.get("as").String()
	if !strings.Contains(out, "ids=65534:65534:65534 100 home=/nonexistent user=nobody logname=nobody") {
		t.Errorf("as nobody: %q", out)
	}
}

// TestCommandSearchesServicePATH: a bare command name is looked up in the
// service's PATH (here set by env), not supervise's.
func TestCommandSearchesServicePATH(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "mytool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\necho from-venv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := svc("venv", "mytool")
	c.Restart = config.RestartNever
	c.Env = []string{"PATH=" + dir + ":/usr/bin:/bin"}
	missing := svc("missing", "no-such-tool-anywhere")
	missing.Restart = config.RestartNever
	h := newHarness(t, conf(c, missing))
	h.s.Boot()
	h.logs.get("venv").waitFor(t, "from-venv", 10*time.Second)
	h.next("exited", "missing")
	if code := exitCodeOf(t, h.wantState("missing", StateExited)); code != 127 {
		t.Errorf("unknown command: exit %d, want 127", code)
	}
}
