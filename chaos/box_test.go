//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// box is one supervise running as PID 1 of a new PID namespace (and mount
// namespace, with its own /proc), driven only from outside: signals to its
// host pid, `supervise ctl`, the metrics endpoint and /proc.
type box struct {
	t       *testing.T
	dir     string // everything the box writes lives here
	logDir  string
	sock    string
	conf    string // services.conf path
	metrics string // host:port of the metrics endpoint

	cmd   *exec.Cmd // unshare, the parent of PID 1
	done  chan struct{}
	state *os.ProcessState
	pid1  int    // host pid of supervise
	pidNS string // "pid:[inode]" of the namespace
}

// service is one [service] section of a generated config.
type service struct {
	name string
	keys [][2]string // in order; "command" first
}

// helperCmd is the command of a service running this binary as a helper;
// the helper is chosen by CHAOS_HELPER in the service's env.
func helperCmd(args ...string) string {
	return strings.Join(append([]string{selfExe}, args...), " ")
}

// genService is a numbered-line writer (genMain) called name.
func (b *box) genService(name string, count, size, rate int, extra ...[2]string) service {
	s := service{name: name, keys: [][2]string{
		{"command", helperCmd(name, strconv.Itoa(count), strconv.Itoa(size), strconv.Itoa(rate), filepath.Join(b.dir, name+".done"))},
		{"env", "CHAOS_HELPER=gen"},
		{"restart", "always"},
	}}
	s.keys = append(s.keys, extra...)
	return s
}

// newBox prepares a box directory; logDir may be a mount point made by the
// caller before start.
func newBox(t *testing.T) *box {
	t.Helper()
	dir, err := os.MkdirTemp("", "supervise-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	b := &box{t: t, dir: dir, logDir: filepath.Join(dir, "log"), sock: filepath.Join(dir, "supervise.sock"),
		conf: filepath.Join(dir, "services.conf"), done: make(chan struct{})}
	b.metrics = "127.0.0.1:" + strconv.Itoa(freePort(t))
	if err := os.MkdirAll(b.logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cleanup)
	return b
}

// config renders services.conf: the [supervise] section of the box, the
// given [defaults] keys and services.
func (b *box) config(defaults [][2]string, svcs []service, supervise ...[2]string) string {
	var w strings.Builder
	fmt.Fprintf(&w, "[supervise]\ncontrol = %s\nlog_dir = %s\nshutdown_timeout = 20s\nmetrics = %s\n", b.sock, b.logDir, b.metrics)
	for _, kv := range supervise {
		fmt.Fprintf(&w, "%s = %s\n", kv[0], kv[1])
	}
	// The suite's defaults keep every archive (so the checker can see
	// every line); a scenario's own keys replace them.
	def := [][2]string{{"rotate_every", "never"}, {"rotate_size", "0"}, {"keep", "100000"}, {"compress", "gzip"}, {"stop_timeout", "5s"}}
	for _, kv := range defaults {
		i := slices.IndexFunc(def, func(d [2]string) bool { return d[0] == kv[0] })
		if i >= 0 {
			def[i] = kv
		} else {
			def = append(def, kv)
		}
	}
	w.WriteString("\n[defaults]\n")
	for _, kv := range def {
		fmt.Fprintf(&w, "%s = %s\n", kv[0], kv[1])
	}
	for _, s := range svcs {
		fmt.Fprintf(&w, "\n[service %s]\n", s.name)
		for _, kv := range s.keys {
			fmt.Fprintf(&w, "%s = %s\n", kv[0], kv[1])
		}
	}
	return w.String()
}

func (b *box) writeConfig(text string) {
	b.t.Helper()
	if err := os.WriteFile(b.conf+".tmp", []byte(text), 0o644); err != nil {
		b.t.Fatal(err)
	}
	if err := os.Rename(b.conf+".tmp", b.conf); err != nil {
		b.t.Fatal(err)
	}
}

// start runs supervise on the box's config as PID 1 of a new namespace.
func (b *box) start(text string) {
	t := b.t
	t.Helper()
	b.writeConfig(text)
	stdout, err := os.Create(filepath.Join(b.dir, "supervise.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(b.dir, "supervise.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", bin, "-c", b.conf)
	b.cmd.Dir = b.dir
	b.cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TZ=UTC", "LANG=C.UTF-8"}
	b.cmd.Stdout, b.cmd.Stderr = stdout, stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start unshare: %v", err)
	}
	go func() {
		_ = b.cmd.Wait() // the status is read from ProcessState
		b.state = b.cmd.ProcessState
		stdout.Close()
		stderr.Close()
		close(b.done)
	}()
	waitFor(t, 15*time.Second, "supervise to be PID 1 and answer ctl status", func() (bool, string) {
		if b.exited() {
			t.Fatalf("supervise exited early: %v\n%s", b.state, b.tail("supervise.stderr", 40))
		}
		if b.pid1 == 0 {
			kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", b.cmd.Process.Pid, b.cmd.Process.Pid))
			if err != nil || len(strings.Fields(string(kids))) == 0 {
				return false, "no child of unshare yet"
			}
			pid, _ := strconv.Atoi(strings.Fields(string(kids))[0])
			exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
			if exe != bin {
				return false, "child exe " + exe
			}
			b.pid1 = pid
			b.pidNS, _ = os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
		}
		r := b.ctl("status")
		return r.code == 0, "ctl status: " + r.stderr
	})
	t.Logf("box %s: supervise host pid %d", b.dir, b.pid1)
}

func (b *box) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// stop shuts supervise down gracefully (SIGTERM) and waits for it; the
// logs are then complete on disk.
func (b *box) stop() int {
	b.t.Helper()
	if b.exited() {
		return b.state.ExitCode()
	}
	if err := syscall.Kill(b.pid1, syscall.SIGTERM); err != nil {
		b.t.Fatalf("kill -TERM supervise: %v", err)
	}
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		b.t.Fatalf("supervise still running 30s after SIGTERM\n%s", b.tail("supervise.stderr", 40))
	}
	return b.state.ExitCode()
}

// cleanup kills what is left (SIGKILL to unshare takes the namespace with
// it), keeps the box of a failed test under the out dir and removes it.
func (b *box) cleanup() {
	if b.cmd != nil && b.cmd.Process != nil && !b.exited() {
		_ = b.cmd.Process.Kill()
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			b.t.Errorf("unshare %d did not exit after SIGKILL", b.cmd.Process.Pid)
		}
	}
	// Unmount whatever a scenario mounted under the box (innermost first).
	for i := 0; i < 4; i++ {
		mounts, _ := os.ReadFile("/proc/self/mounts")
		found := false
		for _, l := range strings.Split(string(mounts), "\n") {
			f := strings.Fields(l)
			if len(f) > 1 && strings.HasPrefix(f[1], b.dir) {
				found = true
				_ = syscall.Unmount(f[1], syscall.MNT_DETACH)
			}
		}
		if !found {
			break
		}
	}
	if b.t.Failed() {
		b.t.Logf("--- supervise stderr (tail) ---\n%s", b.tail("supervise.stderr", 60))
		keep := filepath.Join(outDir, "failed", sanitize(b.t.Name()))
		_ = os.RemoveAll(keep)
		if err := os.MkdirAll(filepath.Dir(keep), 0o755); err == nil {
			if exec.Command("cp", "-a", b.dir, keep).Run() == nil {
				b.t.Logf("box kept in %s", keep)
			}
		}
	}
	_ = os.RemoveAll(b.dir)
}

func sanitize(s string) string { return regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(s, "_") }

func (b *box) tail(rel string, n int) string {
	data, err := os.ReadFile(filepath.Join(b.dir, rel))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type ctlResult struct {
	stdout, stderr string
	code           int
}

// ctl runs `supervise ctl` against the box, as a user would.
func (b *box) ctl(args ...string) ctlResult {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"ctl", "--socket", b.sock}, args...)...)
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
		r.code, r.stderr = -1, fmt.Sprintf("%v (ctx %v) %s", err, ctx.Err(), r.stderr)
	}
	return r
}

// svcStatus is one object of `ctl status --json` (SPEC §5).
type svcStatus struct {
	Name         string `json:"name"`
	State        string `json:"state"`
	PID          *int   `json:"pid"`
	Restarts     int    `json:"restarts"`
	LogPath      string `json:"log_path"`
	LogBytes     int64  `json:"log_bytes"`
	Rotations    int64  `json:"rotations"`
	DroppedBytes int64  `json:"dropped_bytes"`
}

func (b *box) status() map[string]svcStatus {
	b.t.Helper()
	r := b.ctl("status", "--json")
	if r.code != 0 {
		b.t.Fatalf("ctl status --json: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	var rows []svcStatus
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		b.t.Fatalf("ctl status --json: %v\n%s", err, r.stdout)
	}
	m := map[string]svcStatus{}
	for _, s := range rows {
		m[s.Name] = s
	}
	return m
}

// metric reads one unlabelled sample from the metrics endpoint.
func (b *box) metric(name string) (float64, error) {
	// No keep-alive: an idle connection would count as a supervise fd.
	c := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + b.metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// procProbe is what /proc says about supervise.
type procProbe struct {
	FDs        int
	Goroutines int
	RSSKiB     int64 // VmRSS
	HWMKiB     int64 // VmHWM, the peak
	Threads    int
}

func (b *box) probe() procProbe {
	b.t.Helper()
	var p procProbe
	g, err := b.metric("go_goroutines")
	if err != nil {
		b.t.Fatalf("metrics: %v", err)
	}
	p.Goroutines = int(g)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", b.pid1))
	if err != nil {
		b.t.Fatalf("list supervise fds: %v", err)
	}
	p.FDs = len(ents)
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid1))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			p.RSSKiB, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			p.HWMKiB, _ = strconv.ParseInt(f[1], 10, 64)
		case "Threads:":
			p.Threads, _ = strconv.Atoi(f[1])
		}
	}
	return p
}

// nsProcs lists the processes of the box's namespace (host pids) and the
// zombies among them.
func (b *box) nsProcs() (all int, zombies []string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if err != nil || ns != b.pidNS {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		all++
		// The state follows the last ')' (the command may contain one).
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			zombies = append(zombies, string(stat[:i+1]))
		}
	}
	return all, zombies
}

// baseline is taken once the box is up and settled.
type baseline struct {
	procProbe
	procs     int            // processes in the namespace
	fdTargets map[string]int // readlink of each fd, counted
}

// fdTargets lists what supervise's descriptors point at.
func (b *box) fdTargets() map[string]int {
	m := map[string]int{}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", b.pid1))
	for _, e := range ents {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", b.pid1, e.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(l, "socket:") || strings.HasPrefix(l, "pipe:") || strings.HasPrefix(l, "anon_inode:") {
			l = l[:strings.IndexAny(l, ":")+1] + "*" // numbered kinds: count by kind
		}
		m[l]++
	}
	return m
}

// fdGrowth describes the descriptors beyond the baseline.
func (b *box) fdGrowth(base baseline) string {
	var out []string
	for k, n := range b.fdTargets() {
		if n > base.fdTargets[k] {
			out = append(out, fmt.Sprintf("%s x%d", k, n-base.fdTargets[k]))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func (b *box) baseline() baseline {
	b.t.Helper()
	p := b.probe()
	b.t.Logf("baseline: fds=%d goroutines=%d rss=%dKiB threads=%d", p.FDs, p.Goroutines, p.RSSKiB, p.Threads)
	procs, _ := b.nsProcs()
	return baseline{procProbe: p, fdTargets: b.fdTargets(), procs: procs}
}

// healthy is the check after every scenario: supervise answers ctl status,
// there is no zombie in the namespace, and fds and goroutines come back to
// the baseline (within slack, for buffers that are legitimately open, such
// as a log reopened elsewhere). It returns the final probe.
func (b *box) healthy(base baseline, fdSlack, goSlack int, rssLimitMiB int64) procProbe {
	t := b.t
	t.Helper()
	if b.exited() {
		t.Fatalf("supervise exited: %v\n%s", b.state, b.tail("supervise.stderr", 40))
	}
	if r := b.ctl("status"); r.code != 0 {
		t.Fatalf("ctl status after the scenario: exit %d: %s", r.code, r.stderr)
	}
	var zs []string
	// The reaper sweeps at least once a second: give it a few sweeps.
	waitFor(t, 10*time.Second, "no zombie in the namespace", func() (bool, string) {
		_, zs = b.nsProcs()
		return len(zs) == 0, fmt.Sprintf("%d zombies: %.300s", len(zs), strings.Join(zs, " "))
	})
	var p procProbe
	waitFor(t, 20*time.Second, "fds and goroutines back to the baseline", func() (bool, string) {
		p = b.probe()
		procs, _ := b.nsProcs()
		return p.FDs <= base.FDs+fdSlack && p.Goroutines <= base.Goroutines+goSlack,
			fmt.Sprintf("fds %d (baseline %d +%d; new: %s), goroutines %d (baseline %d +%d), %d processes in the namespace (baseline %d)",
				p.FDs, base.FDs, fdSlack, b.fdGrowth(base), p.Goroutines, base.Goroutines, goSlack, procs, base.procs)
	})
	if p.HWMKiB > rssLimitMiB<<10 {
		t.Errorf("peak RSS (VmHWM) %d KiB above the bound of %d MiB", p.HWMKiB, rssLimitMiB)
	}
	t.Logf("after: fds=%d (before %d) goroutines=%d (before %d) rss=%dKiB peak=%dKiB", p.FDs, base.FDs, p.Goroutines, base.Goroutines, p.RSSKiB, p.HWMKiB)
	return p
}

// waitFor polls cond with a deadline: the supervisor is another process,
// so there is nothing to wait on but what it shows.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, detail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitDone waits for the done files of gen services and returns the
// expected line counts per stream.
func (b *box) waitDone(timeout time.Duration, names ...string) map[string]uint64 {
	b.t.Helper()
	expect := map[string]uint64{}
	waitFor(b.t, timeout, "generators to finish", func() (bool, string) {
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(b.dir, n+".done"))
			if err != nil {
				return false, n + " not done"
			}
			parseCounts(data, expect)
		}
		return true, ""
	})
	return expect
}

// parseCounts reads "STREAM COUNT" lines into m.
func parseCounts(data []byte, m map[string]uint64) {
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			m[f[0]] = n
		}
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

// report appends one scenario's figures to report.jsonl.
func report(t *testing.T, fig map[string]any) {
	fig["scenario"] = t.Name()
	fig["time"] = time.Now().UTC().Format(time.RFC3339)
	line, err := json.Marshal(fig)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(outDir, "report.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
	t.Logf("figures: %s", line)
}
