//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This file is the harness: a "box" is one supervise running as PID 1 of a
// new PID namespace with docker/services.conf, its ${VAR:-default}s pointed
// at a temp dir and loopback ports. The tests drive it only from outside:
// signals to the namespace's PID 1, `supervise ctl`, ssh and HTTP, and /proc.
// The test process runs no reaper, so os/exec's Wait is fine here.

var binFlag = flag.String("bin", os.Getenv("SUPERVISE_BIN"), "supervise binary under test")

var (
	bin      string // absolute path of the binary under test
	repoRoot string
	confPath string // docker/services.conf, the file users copy
)

// Python with torch, tqdm and Jupyter: Debian's, never whatever python3 is first on PATH.
const sysPython = "/usr/bin/python3"

// cleanPath keeps pyenv and friends out of the services' way.
const cleanPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func TestMain(m *testing.M) {
	flag.Parse()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		fmt.Println("e2e: SKIP: needs root on Linux (PID namespaces, sshd, a jupyter user)")
		os.Exit(0)
	}
	if *binFlag == "" {
		fmt.Fprintln(os.Stderr, "e2e: no binary: pass -bin PATH or set SUPERVISE_BIN")
		os.Exit(2)
	}
	var err error
	// /proc/PID/exe shows the resolved path; compare like with like.
	if bin, err = filepath.Abs(*binFlag); err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	wd, err := os.Getwd() // go test runs in the package directory, e2e/
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	repoRoot = filepath.Dir(wd)
	confPath = filepath.Join(repoRoot, "docker", "services.conf")
	var missing []string
	for _, p := range []string{bin, confPath, "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen",
		"/usr/bin/jupyter", sysPython, "/usr/bin/unshare", "/usr/bin/gzip", "/usr/bin/curl"} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if _, err := user.Lookup("jupyter"); err != nil {
		missing = append(missing, "user jupyter (useradd --create-home --user-group jupyter)")
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: missing prerequisites (e2e/run.sh installs them): %s\n", strings.Join(missing, ", "))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// box is one supervise under test.
type box struct {
	owner  *testing.T // the test that started it; its Cleanup stops it
	dir    string     // everything the box writes lives here
	env    map[string]string
	sock   string
	logDir string

	sshPort, jupyterPort, metricsPort int
	jupyterToken                      string

	cmd     *exec.Cmd     // unshare, the parent of PID 1
	done    chan struct{} // closed when unshare has exited
	state   *os.ProcessState
	pid1    int    // host pid of supervise, PID 1 inside
	pidNS   string // "pid:[inode]" of the namespace
	started time.Time
}

// startBox runs supervise on docker/services.conf. overrides adds or replaces
// environment variables (the config's ${VAR:-default}s).
func startBox(t *testing.T, overrides map[string]string) *box {
	t.Helper()
	return startBoxWith(t, overrides, nil)
}

// startBoxWith is startBox with prepare run on the box's directory (for
// example to mount a filesystem for the logs) before supervise starts.
func startBoxWith(t *testing.T, overrides map[string]string, prepare func(b *box)) *box {
	t.Helper()
	dir, err := os.MkdirTemp("", "supervise-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	// The jupyter user must reach its directories under here.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &box{owner: t, dir: dir, done: make(chan struct{}),
		sock: filepath.Join(dir, "supervise.sock"), logDir: filepath.Join(dir, "log"),
		sshPort: freePort(t), jupyterPort: freePort(t), metricsPort: freePort(t), jupyterToken: randomToken(t)}
	t.Cleanup(b.cleanup)

	ju, err := user.Lookup("jupyter")
	if err != nil {
		t.Fatal(err)
	}
	juid, _ := strconv.Atoi(ju.Uid)
	jgid, _ := strconv.Atoi(ju.Gid)
	jdir := filepath.Join(dir, "jupyter")
	for _, d := range []string{"", "nb", "runtime", "data", "config", "ipython"} {
		p := filepath.Join(jdir, d)
		mkdir(t, p, 0o700)
		if err := os.Chown(p, juid, jgid); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(t, filepath.Join(dir, "sshroot", "etc", "ssh"), 0o755)
	mkdir(t, filepath.Join(dir, "ws"), 0o755)
	b.writeSSHDConfig()
	if prepare != nil {
		prepare(b)
	}

	b.env = map[string]string{
		"PATH": cleanPath, "HOME": "/root", "LANG": "C.UTF-8", "TZ": "UTC",
		"SUPERVISE_SOCKET": b.sock,
		"LOG_DIR":          b.logDir,
		"SHUTDOWN_TIMEOUT": "20s",
		"ALERT_COMMAND":    filepath.Join(repoRoot, "docker", "alert.sh"),
		"ALERT_LOG":        filepath.Join(dir, "alerts.log"),
		"METRICS_ADDR":     fmt.Sprintf("127.0.0.1:%d", b.metricsPort),

		"SSH_ROOT":    filepath.Join(dir, "sshroot"),
		"SSH_PORT":    strconv.Itoa(b.sshPort),
		"SSHD_CONFIG": filepath.Join(dir, "sshd_config"),

		"JUPYTER":             "/usr/bin/jupyter",
		"JUPYTER_APP":         "notebook", // Debian ships Notebook 6; the image runs lab
		"JUPYTER_IP":          "127.0.0.1",
		"JUPYTER_PORT":        strconv.Itoa(b.jupyterPort),
		"JUPYTER_DIR":         filepath.Join(jdir, "nb"),
		"JUPYTER_TOKEN":       b.jupyterToken,
		"JUPYTER_RUNTIME_DIR": filepath.Join(jdir, "runtime"),
		"JUPYTER_DATA_DIR":    filepath.Join(jdir, "data"),
		"JUPYTER_CONFIG_DIR":  filepath.Join(jdir, "config"),
		"IPYTHONDIR":          filepath.Join(jdir, "ipython"),

		"PYTHON":                sysPython,
		"TRAIN_SCRIPT":          filepath.Join(repoRoot, "docker", "train.py"),
		"WORKSPACE":             filepath.Join(dir, "ws"),
		"CKPT_DIR":              filepath.Join(dir, "ws", "checkpoints"),
		"TRAIN_GPUS":            "0",
		"TRAIN_START_SECS":      "2s", // health waits for it; TestTrainFailure raises it
		"TRAIN_THREADS":         "1",
		"OMP_NUM_THREADS":       "1",
		"TRAIN_WIDTH":           "64",
		"TRAIN_BATCH":           "64",
		"PROGRESS_INTERVAL":     "1s",
		"TRAIN_BAR_MININTERVAL": "0", // every step redraws: collapse has work to do
	}
	for k, v := range overrides {
		b.env[k] = v
	}

	stdout, err := os.Create(filepath.Join(dir, "supervise.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "supervise.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	// --kill-child: if the test dies, the namespace dies with it.
	b.cmd = exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", bin, "-c", confPath)
	b.cmd.Dir = dir
	b.cmd.Env = b.environ()
	b.cmd.Stdout, b.cmd.Stderr = stdout, stderr
	b.started = time.Now()
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start unshare: %v", err)
	}
	go func() {
		_ = b.cmd.Wait() // the exit status is read from ProcessState
		b.state = b.cmd.ProcessState
		stdout.Close()
		stderr.Close()
		close(b.done)
	}()

	waitFor(t, 10*time.Second, "supervise to be PID 1 of its namespace", func() (bool, string) {
		select {
		case <-b.done:
			t.Fatalf("unshare exited early: %v\n%s", b.state, b.tail("supervise.stderr", 30))
		default:
		}
		kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", b.cmd.Process.Pid, b.cmd.Process.Pid))
		if err != nil {
			return false, err.Error()
		}
		f := strings.Fields(string(kids))
		if len(f) == 0 {
			return false, "no child yet"
		}
		b.pid1, _ = strconv.Atoi(f[0])
		b.pidNS, err = os.Readlink(fmt.Sprintf("/proc/%d/ns/pid_for_children", b.cmd.Process.Pid))
		if err != nil {
			return false, err.Error()
		}
		// The child has exec'd supervise once its nspid is 1 and its exe is the binary.
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", b.pid1))
		return exe == bin, "exe " + exe
	})
	t.Logf("box %s: supervise host pid %d, ssh :%d, jupyter :%d", dir, b.pid1, b.sshPort, b.jupyterPort)
	return b
}

func (b *box) environ() []string {
	var env []string
	for k, v := range b.env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

func (b *box) writeSSHDConfig() {
	keys := filepath.Join(b.dir, "sshroot", "etc", "ssh")
	conf := fmt.Sprintf(`# sshd for the e2e suite: loopback, keys under the box, nothing of the host's.
ListenAddress 127.0.0.1
HostKey %[1]s/ssh_host_ed25519_key
HostKey %[1]s/ssh_host_ecdsa_key
HostKey %[1]s/ssh_host_rsa_key
PidFile %[2]s/sshd.pid
AuthorizedKeysFile %[2]s/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
`, keys, b.dir)
	if err := os.WriteFile(filepath.Join(b.dir, "sshd_config"), []byte(conf), 0o644); err != nil {
		b.owner.Fatal(err)
	}
}

// cleanup kills what is left (SIGKILL to unshare takes the namespace with it
// through --kill-child), dumps diagnostics on failure and removes the dir.
func (b *box) cleanup() {
	if b.cmd != nil && b.cmd.Process != nil {
		select {
		case <-b.done:
		default:
			_ = b.cmd.Process.Kill()
			select {
			case <-b.done:
			case <-time.After(10 * time.Second):
				b.owner.Errorf("unshare %d did not exit after SIGKILL", b.cmd.Process.Pid)
			}
		}
	}
	if b.owner.Failed() {
		b.owner.Logf("--- supervise stderr (tail) ---\n%s", b.tail("supervise.stderr", 60))
		b.owner.Logf("--- supervise stdout (tail) ---\n%s", b.tail("supervise.stdout", 20))
		logs, _ := filepath.Glob(filepath.Join(b.logDir, "*.log"))
		for _, l := range logs {
			rel, _ := filepath.Rel(b.dir, l)
			b.owner.Logf("--- %s (tail) ---\n%s", rel, b.tail(rel, 25))
		}
	}
	// E2E_KEEP=1 keeps the dir of a failed box, E2E_KEEP=all of every box.
	if keep := os.Getenv("E2E_KEEP"); keep == "all" || (keep != "" && b.owner.Failed()) {
		b.owner.Logf("E2E_KEEP: leaving %s", b.dir)
		return
	}
	_ = os.RemoveAll(b.dir)
}

// tail returns the last n lines of a file under the box dir, \r shown as \r.
func (b *box) tail(rel string, n int) string {
	data, err := os.ReadFile(filepath.Join(b.dir, rel))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.ReplaceAll(strings.Join(lines, "\n"), "\r", `\r`)
}

func (b *box) logPath(name string) string { return filepath.Join(b.logDir, name+".log") }

func (b *box) readLog(t *testing.T, name string) string {
	data, err := os.ReadFile(b.logPath(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(data)
}

// exited reports whether supervise (and so unshare) has exited.
func (b *box) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// wait waits for supervise to exit and returns unshare's exit code, which is
// supervise's (unshare re-raises a fatal signal, which shows as -1 here).
func (b *box) wait(t *testing.T, timeout time.Duration) (code int, elapsed time.Duration) {
	t.Helper()
	t0 := time.Now()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("supervise still running after %v", timeout)
	}
	return b.state.ExitCode(), time.Since(t0)
}

// signal sends sig to PID 1 of the namespace from the host, as docker stop does.
func (b *box) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(b.pid1, sig); err != nil {
		t.Fatalf("kill %d %v: %v", b.pid1, sig, err)
	}
}

// ctlResult is one `supervise ctl` run.
type ctlResult struct {
	stdout, stderr string
	code           int
}

func (b *box) ctl(t *testing.T, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"ctl", "--socket", b.sock}, args...)...)
	cmd.Env = []string{"PATH=" + cleanPath}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := ctlResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.code = ee.ExitCode()
	default:
		t.Fatalf("supervise ctl %s: %v (stderr %q)", strings.Join(args, " "), err, r.stderr)
	}
	return r
}

// mustCtl runs a ctl verb that must succeed.
func (b *box) mustCtl(t *testing.T, args ...string) string {
	t.Helper()
	r := b.ctl(t, args...)
	if r.code != 0 {
		t.Fatalf("supervise ctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// svcStatus is one object of `ctl status --json` (SPEC §5).
type svcStatus struct {
	Name         string  `json:"name"`
	State        string  `json:"state"`
	PID          *int    `json:"pid"`
	UptimeS      float64 `json:"uptime_s"`
	Restarts     int     `json:"restarts"`
	ExitCode     *int    `json:"exit_code"`
	LogPath      string  `json:"log_path"`
	LogBytes     int64   `json:"log_bytes"`
	Rotations    int64   `json:"rotations"`
	DroppedBytes int64   `json:"dropped_bytes"`
	NextRun      *string `json:"next_run"`
}

func (b *box) status(t *testing.T) map[string]svcStatus {
	t.Helper()
	out := b.mustCtl(t, "status", "--json")
	var rows []svcStatus
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("ctl status --json: %v\n%s", err, out)
	}
	m := make(map[string]svcStatus, len(rows))
	for _, r := range rows {
		m[r.Name] = r
	}
	return m
}

// waitState waits until service name is in state (and, for running, has a pid).
func (b *box) waitState(t *testing.T, name, state string, timeout time.Duration) svcStatus {
	t.Helper()
	var last svcStatus
	waitFor(t, timeout, name+" "+state, func() (bool, string) {
		last = b.status(t)[name]
		ok := last.State == state && (state != "running" || last.PID != nil)
		return ok, fmt.Sprintf("%+v", last)
	})
	return last
}

// waitHealthy waits for `ctl health` to answer 0.
func (b *box) waitHealthy(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "ctl health = 0", func() (bool, string) {
		r := b.ctl(t, "health")
		return r.code == 0, fmt.Sprintf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	})
}

// proc is one process of the box's PID namespace, seen from the host.
type proc struct {
	hostPID, nsPID, ppid int
	state                byte // R S D Z T ...
	comm, cmdline        string
}

// procs lists every process in the box's PID namespace by namespace
// membership, so it sees orphans and zombies that ctl status cannot.
func (b *box) procs(t *testing.T) []proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var ps []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if err != nil || ns != b.pidNS {
			continue // gone, or not ours
		}
		p, ok := readProc(pid)
		if ok {
			ps = append(ps, p)
		}
	}
	return ps
}

func readProc(pid int) (proc, bool) {
	p := proc{hostPID: pid}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, false
	}
	// comm may hold spaces and parentheses: the state follows the last ')'.
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open || closing+4 > len(s) {
		return p, false
	}
	p.comm = s[open+1 : closing]
	rest := strings.Fields(s[closing+2:])
	if len(rest) < 2 {
		return p, false
	}
	p.state = rest[0][0]
	p.ppid, _ = strconv.Atoi(rest[1])
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			p.nsPID, _ = strconv.Atoi(f[len(f)-1])
		}
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	return p, true
}

// hostPID maps a pid seen inside the box (ctl status) to the host's.
func (b *box) hostPID(t *testing.T, nsPID int) int {
	t.Helper()
	for _, p := range b.procs(t) {
		if p.nsPID == nsPID {
			return p.hostPID
		}
	}
	t.Fatalf("no process with pid %d in the box", nsPID)
	return 0
}

// waitNoZombies waits until no process of the box is a zombie. A zombie may
// exist for a moment between an exit and the reaper's wait4, never longer.
func (b *box) waitNoZombies(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "no zombie in the box", func() (bool, string) {
		var z []string
		for _, p := range b.procs(t) {
			if p.state == 'Z' {
				z = append(z, fmt.Sprintf("pid %d (%s) ppid %d", p.nsPID, p.comm, p.ppid))
			}
		}
		return len(z) == 0, strings.Join(z, "; ")
	})
}

// waitFor polls cond until it holds or timeout passes; detail explains the last miss.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", timeout, what, detail)
		}
		<-tick.C
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomToken(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(buf)
}

func mkdir(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// host runs a command on the host with the box's environment, so that
// supervise's subcommands expand services.conf as the box's supervise did.
func (b *box) host(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = b.environ()
	out, err := cmd.Output()
	return string(out), err
}

// run runs a host command with a deadline and returns its combined output.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}
