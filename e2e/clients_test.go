//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sshClient logs in to the box's sshd as root with a key made for the test,
// and trusts only the host key that the ssh-keygen oneshot generated.
type sshClient struct {
	key, knownHosts string
	port            int
}

func newSSHClient(t *testing.T, b *box) *sshClient {
	t.Helper()
	c := &sshClient{key: filepath.Join(b.dir, "client_key"), knownHosts: filepath.Join(b.dir, "known_hosts"), port: b.sshPort}
	if out, err := run(t, 30*time.Second, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f", c.key); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(c.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub := filepath.Join(b.dir, "sshroot", "etc", "ssh", "ssh_host_ed25519_key.pub")
	var host []byte
	waitFor(t, 30*time.Second, "the ssh-keygen oneshot to write host keys", func() (bool, string) {
		host, err = os.ReadFile(hostPub)
		return err == nil && len(host) > 0, fmt.Sprint(err)
	})
	f := strings.Fields(string(host))
	line := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", c.port, f[0], f[1])
	if err := os.WriteFile(c.knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs command over ssh and returns its output.
func (c *sshClient) run(t *testing.T, command string) (string, error) {
	t.Helper()
	return run(t, 30*time.Second, "ssh", "-F", "/dev/null", "-p", strconv.Itoa(c.port), "-i", c.key,
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+c.knownHosts, "-o", "HostKeyAlgorithms=ssh-ed25519",
		"-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
		"root@127.0.0.1", command)
}

// waitLogin retries a login until it succeeds: sshd listens a moment after
// supervise reports it started.
func (c *sshClient) waitLogin(t *testing.T, command string, timeout time.Duration) string {
	t.Helper()
	var out string
	waitFor(t, timeout, "an ssh login", func() (bool, string) {
		var err error
		out, err = c.run(t, command)
		return err == nil, fmt.Sprintf("%v: %s", err, out)
	})
	return out
}

// jupyter sends an authenticated request to the box's Jupyter. It may run
// on any goroutine: it reports every problem as an error.
func (b *box) jupyter(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", b.jupyterPort, path), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "token "+b.jupyterToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// waitJupyter waits until Jupyter's API answers with the test's token.
func (b *box) waitJupyter(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "Jupyter's API", func() (bool, string) {
		code, body, err := b.jupyter("GET", "/api/kernels", nil)
		return err == nil && code == 200, fmt.Sprintf("%d %v %.200s", code, err, body)
	})
}

// startKernel starts a python3 kernel through the REST API and returns the
// kernel's process as seen in the box.
func (b *box) startKernel(t *testing.T) (string, proc) {
	t.Helper()
	code, body, err := b.jupyter("POST", "/api/kernels", map[string]string{"name": "python3"})
	if err != nil || code != 201 {
		t.Fatalf("POST /api/kernels: %d %v %s", code, err, body)
	}
	var k struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &k); err != nil || k.ID == "" {
		t.Fatalf("POST /api/kernels: bad answer %s (%v)", body, err)
	}
	var kp proc
	waitFor(t, 30*time.Second, "kernel "+k.ID+" process", func() (bool, string) {
		for _, p := range b.procs(t) {
			if strings.Contains(p.cmdline, "kernel-"+k.ID) && p.state != 'Z' {
				kp = p
				return true, ""
			}
		}
		return false, "not in the box"
	})
	return k.ID, kp
}

// metrics scrapes supervise's /metrics.
func (b *box) metrics(t *testing.T) string {
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", b.metricsPort))
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

// alive reports whether host pid still names a process (zombie included)
// that was started with cmdline.
func alive(pid int, cmdline string) bool {
	p, ok := readProc(pid)
	return ok && p.cmdline == cmdline
}
