//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestStack runs the whole reference config (sshd, Jupyter, a training run
// that does not end by itself, the checkpoint-pruning cron job) and operates
// it as a user would, one step after another, ending with SIGTERM to PID 1.
func TestStack(t *testing.T) {
	hook := newWebhook(t)
	b := startBox(t, map[string]string{
		"ALERT_WEBHOOK":    hook.url,
		"TRAIN_STEPS":      "100000000",
		"TRAIN_STEP_DELAY": "0.02", // leave the CPU to Jupyter and sshd
		"CKPT_EVERY":       "20",
		"CKPT_KEEP":        "2",
		"PRUNE_SCHEDULE":   "@every 2s",
	})
	ssh := newSSHClient(t, b)
	b.waitHealthy(t, 90*time.Second)

	t.Run("status", func(t *testing.T) { testStatus(t, b) })
	t.Run("ssh-login", func(t *testing.T) { testSSHLogin(t, b, ssh) })
	t.Run("restart-sshd", func(t *testing.T) { testRestartSSHD(t, b, ssh) })
	t.Run("reload-unchanged", func(t *testing.T) { testReloadUnchanged(t, b) })
	t.Run("train-sees-gpus", func(t *testing.T) { testTrainGPUs(t, b) })
	t.Run("cron-prunes-checkpoints", func(t *testing.T) { testPrune(t, b) })
	t.Run("rotate-jupyter", func(t *testing.T) { testRotateJupyter(t, b) })
	t.Run("stop-jupyter-ends-kernel", func(t *testing.T) { testStopJupyterKernel(t, b) })
	t.Run("orphaned-kernel-reaped", func(t *testing.T) { testOrphanedKernel(t, b) })
	t.Run("metrics", func(t *testing.T) { testMetrics(t, b) })
	t.Run("events", func(t *testing.T) { testEvents(t, b, hook) })
	t.Run("sigterm-shutdown", func(t *testing.T) { testShutdown(t, b) })
}

func testStatus(t *testing.T, b *box) {
	table := b.mustCtl(t, "status")
	head := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	if want := []string{"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "EXIT", "LOG"}; strings.Join(head, " ") != strings.Join(want, " ") {
		t.Errorf("status header = %q, want %q", head, want)
	}
	for _, name := range []string{"ssh-keygen", "sshd", "jupyter", "train", "prune-checkpoints"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s`).MatchString(table) {
			t.Errorf("status table has no row for %s:\n%s", name, table)
		}
	}

	st := b.status(t)
	for _, name := range []string{"sshd", "jupyter", "train"} {
		s := st[name]
		if s.State != "running" || s.PID == nil || *s.PID <= 1 {
			t.Errorf("%s: state %q pid %v, want running with a pid", name, s.State, s.PID)
		}
		if want := b.logPath(name); s.LogPath != want {
			t.Errorf("%s: log_path %q, want %q", name, s.LogPath, want)
		}
	}
	if k := st["ssh-keygen"]; k.State != "exited" || k.ExitCode == nil || *k.ExitCode != 0 || k.PID != nil {
		t.Errorf("ssh-keygen oneshot: %+v, want exited with exit_code 0 and pid null", k)
	}
	p := st["prune-checkpoints"]
	if p.State != "scheduled" && p.State != "running" {
		t.Errorf("prune-checkpoints: state %q, want scheduled (or running a tick)", p.State)
	}
	if p.NextRun == nil {
		t.Errorf("prune-checkpoints: next_run is null")
	} else if _, err := time.Parse(time.RFC3339, *p.NextRun); err != nil {
		t.Errorf("prune-checkpoints: next_run %q: %v", *p.NextRun, err)
	}
	// The HEALTHCHECK and the probes run plain `supervise ctl health`: the
	// socket then comes from SUPERVISE_SOCKET, as it does in services.conf.
	health := exec.Command(bin, "ctl", "health")
	health.Env = []string{"PATH=" + cleanPath, "SUPERVISE_SOCKET=" + b.sock}
	if out, err := health.CombinedOutput(); err != nil {
		t.Errorf("SUPERVISE_SOCKET=... supervise ctl health: %v %s", err, out)
	}
	// ctl tail: the last lines of the live log, as in the file.
	tail := b.mustCtl(t, "tail", "-n", "2", "ssh-keygen")
	if want := b.readLog(t, "ssh-keygen"); !strings.HasSuffix(want, tail) || tail == "" {
		t.Errorf("ctl tail -n 2 ssh-keygen = %q; the log ends %q", tail, want)
	}
	if r := b.ctl(t, "status", "no-such-service"); r.code == 0 {
		t.Errorf("status of an unknown service: exit 0, want non-zero\n%s", r.stdout)
	}
}

func testSSHLogin(t *testing.T, b *box, ssh *sshClient) {
	out := ssh.waitLogin(t, "echo login-ok; id -u; cat /proc/1/comm", 30*time.Second)
	// PID 1 of the session's namespace is supervise: sshd runs inside the box.
	if want := "login-ok\n0\nsupervise\n"; out != want {
		t.Errorf("ssh output %q, want %q", out, want)
	}
	waitFor(t, 10*time.Second, "sshd's log to record the login", func() (bool, string) {
		log := b.readLog(t, "sshd")
		return strings.Contains(log, "Accepted publickey for root"), b.tail("log/sshd.log", 5)
	})
	if strings.Contains(b.readLog(t, "sshd"), "\r") {
		t.Errorf("sshd's \\r\\n line ends reached sshd.log (progress = collapse should store plain lines)")
	}

	// A job left running by a session outlives its shell: it is re-parented
	// to PID 1, and when it ends supervise must reap it.
	if out, err := ssh.run(t, "setsid sleep 2.37 </dev/null >/dev/null 2>&1 & echo started"); err != nil || out != "started\n" {
		t.Fatalf("ssh background job: %v %q", err, out)
	}
	var orphan proc
	waitFor(t, 10*time.Second, "the session's job to be re-parented to PID 1", func() (bool, string) {
		for _, p := range b.procs(t) {
			if p.cmdline == "sleep 2.37" {
				orphan = p
				// The host's /proc shows host pids, ppid included.
				return p.ppid == b.pid1, fmt.Sprintf("ppid %d, supervise is %d", p.ppid, b.pid1)
			}
		}
		return false, "no sleep 2.37 in the box"
	})
	waitFor(t, 10*time.Second, "the orphan to be reaped", func() (bool, string) {
		_, exists := readProc(orphan.hostPID)
		return !exists, fmt.Sprintf("pid %d still in /proc", orphan.nsPID)
	})
}

func testRestartSSHD(t *testing.T, b *box, ssh *sshClient) {
	before := b.status(t)["sshd"]
	if before.PID == nil {
		t.Fatalf("sshd has no pid: %+v", before)
	}
	b.mustCtl(t, "restart", "sshd")
	after := b.waitState(t, "sshd", "running", 30*time.Second)
	if *after.PID == *before.PID {
		t.Errorf("ctl restart sshd: pid still %d", *before.PID)
	}
	for _, p := range b.procs(t) {
		if p.nsPID == *before.PID && p.comm == "sshd" {
			t.Errorf("old sshd %d still exists (state %c)", p.nsPID, p.state)
		}
	}
	if out := ssh.waitLogin(t, "echo again", 30*time.Second); out != "again\n" {
		t.Errorf("ssh after restart: %q", out)
	}
	b.waitHealthy(t, 30*time.Second)
}

// testReloadUnchanged: reloading the same file restarts nothing.
func testReloadUnchanged(t *testing.T, b *box) {
	before := b.status(t)
	b.mustCtl(t, "reload")
	after := b.status(t)
	for _, name := range []string{"sshd", "jupyter", "train"} {
		x, y := before[name], after[name]
		if x.PID == nil || y.PID == nil || *x.PID != *y.PID || y.Restarts != x.Restarts {
			t.Errorf("%s changed on a reload of the same config: %+v -> %+v", name, x, y)
		}
	}
}

func testTrainGPUs(t *testing.T, b *box) {
	var log string
	waitFor(t, 60*time.Second, "train.py to report its device", func() (bool, string) {
		log = b.readLog(t, "train")
		return strings.Contains(log, "device="), b.tail("log/train.log", 5)
	})
	// gpus = 0 in the config sets CUDA_VISIBLE_DEVICES (and NVIDIA_VISIBLE_DEVICES).
	if !regexp.MustCompile(`CUDA_VISIBLE_DEVICES=0(\s|$)`).MatchString(firstLine(log, "device=")) {
		t.Errorf("train.py did not see CUDA_VISIBLE_DEVICES=0:\n%s", firstLine(log, "device="))
	}
	if !strings.Contains(log, "device=cpu") {
		t.Errorf("train.py should fall back to the CPU here:\n%s", firstLine(log, "device="))
	}
	// The process itself carries both variables.
	st := b.status(t)["train"]
	if st.PID == nil {
		t.Fatalf("train not running: %+v", st)
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", b.hostPID(t, *st.PID)))
	if err != nil {
		t.Fatal(err)
	}
	vars := "\x00" + string(env)
	for _, kv := range []string{"CUDA_VISIBLE_DEVICES=0", "NVIDIA_VISIBLE_DEVICES=0"} {
		if !strings.Contains(vars, "\x00"+kv+"\x00") {
			t.Errorf("train's environment lacks %s", kv)
		}
	}
}

func firstLine(text, substr string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}

func testPrune(t *testing.T, b *box) {
	dir := b.env["CKPT_DIR"]
	first := filepath.Join(dir, "ckpt-00000020.pt")
	waitFor(t, 60*time.Second, "the cron job to prune old checkpoints", func() (bool, string) {
		log := b.readLog(t, "prune-checkpoints")
		_, err := os.Stat(first)
		return regexp.MustCompile(`deleted [1-9]`).MatchString(log) && os.IsNotExist(err),
			fmt.Sprintf("first checkpoint: %v; log: %q", err, log)
	})
	ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.pt"))
	if len(ckpts) == 0 {
		t.Errorf("pruning left no checkpoint at all")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) > 1 {
		t.Errorf("temp checkpoints pile up: %v", tmp)
	}
	if s := b.status(t)["prune-checkpoints"]; s.Restarts != 0 {
		t.Errorf("a cron job is never restarted; restarts = %d", s.Restarts)
	}
}

// testRotateJupyter writes numbered lines into Jupyter's own log (each 404
// it serves is one warning line naming the path) while `ctl rotate jupyter`
// runs twice, then reads the live log and both archives back: every number
// must be there once, in order, across a compressed and an uncompressed
// (delay_compress) archive.
func testRotateJupyter(t *testing.T, b *box) {
	b.waitJupyter(t, 60*time.Second)
	const n = 900
	var sent atomic.Int64
	errc := make(chan error, 1)
	go func() {
		for i := 1; i <= n; i++ {
			code, _, err := b.jupyter("GET", fmt.Sprintf("/e2e-line/%06d", i), nil)
			if err != nil || code != 404 {
				errc <- fmt.Errorf("request %d: %d %v", i, code, err)
				return
			}
			sent.Store(int64(i))
		}
		errc <- nil
	}()
	waitSent := func(k int64) {
		waitFor(t, 60*time.Second, fmt.Sprintf("%d numbered requests", k), func() (bool, string) {
			return sent.Load() >= k, fmt.Sprint(sent.Load())
		})
	}
	live := b.logPath("jupyter")
	waitSent(n / 3)
	b.mustCtl(t, "rotate", "jupyter")
	// ctl rotate returns once the new live file is open.
	if _, err := os.Stat(live + ".1"); err != nil {
		t.Errorf("right after ctl rotate: %v", err)
	}
	waitSent(2 * n / 3)
	b.mustCtl(t, "rotate", "jupyter")
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(120 * time.Second):
		t.Fatal("numbered requests did not finish")
	}

	last := fmt.Sprintf("/e2e-line/%06d", n)
	waitFor(t, 10*time.Second, "the last numbered line in the live log", func() (bool, string) {
		return strings.Contains(b.readLog(t, "jupyter"), last), b.tail("log/jupyter.log", 3)
	})
	// delay_compress: .1 stays plain, .2 is compressed in the background.
	waitFor(t, 30*time.Second, "jupyter.log.2.gz", func() (bool, string) {
		_, errGz := os.Stat(live + ".2.gz")
		_, errPlain := os.Stat(live + ".2")
		return errGz == nil && os.IsNotExist(errPlain), fmt.Sprintf("%v / %v", errGz, errPlain)
	})
	if _, err := os.Stat(live + ".1.gz"); err == nil {
		t.Errorf("delay_compress: the newest archive was compressed")
	}
	if out, err := run(t, 30*time.Second, "gzip", "-t", live+".2.gz"); err != nil {
		t.Fatalf("gzip -t %s.2.gz: %v %s", live, err, out)
	}
	gz, err := run(t, 30*time.Second, "gzip", "-dc", live+".2.gz")
	if err != nil {
		t.Fatal(err)
	}
	one, err := os.ReadFile(live + ".1")
	if err != nil {
		t.Fatal(err)
	}
	cur := b.readLog(t, "jupyter")

	num := regexp.MustCompile(`/e2e-line/(\d{6})`)
	var got []int
	for i, part := range []string{gz, string(one), cur} {
		found := num.FindAllStringSubmatch(part, -1)
		if len(found) == 0 {
			t.Errorf("part %d (of .2.gz, .1, live) holds no numbered line: rotation did not fall mid-stream", i)
		}
		for _, m := range found {
			v, _ := strconv.Atoi(m[1])
			got = append(got, v)
		}
	}
	if err := checkSequence(got, n); err != nil {
		t.Errorf("numbered lines across jupyter.log.2.gz, .1, live: %v", err)
	}

	// `supervise logs` reads the same three files, oldest first, with no
	// supervisor involved: the same sequence must come out.
	out, err := b.host(t, bin, "logs", "jupyter", "-c", confPath, "--grep", `/e2e-line/\d{6}`)
	if err != nil {
		t.Fatalf("supervise logs jupyter: %v\n%.500s", err, out)
	}
	got = got[:0]
	for _, m := range num.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[1])
		got = append(got, v)
	}
	if err := checkSequence(got, n); err != nil {
		t.Errorf("supervise logs jupyter --grep: %v", err)
	}

	ju, err := user.Lookup("jupyter")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(ju.Uid)
	for _, p := range []string{live, live + ".1", live + ".2.gz"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Error(err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != uid || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: owner %d mode %o, want jupyter (%d) 0644", filepath.Base(p), st.Uid, fi.Mode().Perm(), uid)
		}
	}
	if s := b.status(t)["jupyter"]; s.Rotations < 2 {
		t.Errorf("jupyter rotations = %d, want >= 2", s.Rotations)
	}
}

// checkSequence reports the first gap, duplicate or reordering in got, which
// must be exactly 1..n.
func checkSequence(got []int, n int) error {
	for i, v := range got {
		if v != i+1 {
			return fmt.Errorf("line %d of %d holds number %d (lost, duplicated or reordered); want %d", i+1, len(got), v, i+1)
		}
	}
	if len(got) != n {
		return fmt.Errorf("%d numbered lines, want %d", len(got), n)
	}
	return nil
}

func testStopJupyterKernel(t *testing.T, b *box) {
	b.waitJupyter(t, 60*time.Second)
	id, kernel := b.startKernel(t)
	t.Logf("kernel %s: pid %d in the box", id, kernel.nsPID)

	b.mustCtl(t, "stop", "jupyter")
	if s := b.status(t)["jupyter"]; s.State != "stopped" || s.PID != nil {
		t.Errorf("after ctl stop: jupyter %+v, want stopped with pid null", s)
	}
	waitFor(t, 15*time.Second, "the kernel to end with Jupyter", func() (bool, string) {
		return !alive(kernel.hostPID, kernel.cmdline), fmt.Sprintf("kernel pid %d still there", kernel.nsPID)
	})
	b.waitNoZombies(t, 5*time.Second)
	for _, p := range b.procs(t) {
		if strings.Contains(p.cmdline, "ipykernel") || strings.Contains(p.cmdline, "jupyter") {
			t.Errorf("left behind after ctl stop jupyter: pid %d %q", p.nsPID, p.cmdline)
		}
	}
	if r := b.ctl(t, "health"); r.code != 1 {
		t.Errorf("ctl health with jupyter stopped: exit %d, want 1", r.code)
	}
	b.mustCtl(t, "start", "jupyter")
	b.waitHealthy(t, 60*time.Second)
}

// testOrphanedKernel kills only Jupyter's server process (SIGKILL, no chance
// to shut its kernels down). jupyter_client starts kernels in their own
// session, so they survive, are re-parented to PID 1 (supervise), notice it
// and exit; supervise must reap them.
func testOrphanedKernel(t *testing.T, b *box) {
	b.waitJupyter(t, 60*time.Second)
	_, kernel := b.startKernel(t)
	server := b.status(t)["jupyter"]
	if server.PID == nil {
		t.Fatalf("jupyter not running: %+v", server)
	}
	if err := syscall.Kill(b.hostPID(t, *server.PID), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the orphaned kernel to exit", func() (bool, string) {
		return !alive(kernel.hostPID, kernel.cmdline), fmt.Sprintf("kernel pid %d still there", kernel.nsPID)
	})
	b.waitNoZombies(t, 5*time.Second)
	// restart = always brings Jupyter back.
	waitFor(t, 60*time.Second, "Jupyter restarted with a new pid", func() (bool, string) {
		s := b.status(t)["jupyter"]
		return s.State == "running" && s.PID != nil && *s.PID != *server.PID && s.Restarts >= 1, fmt.Sprintf("%+v", s)
	})
	b.waitJupyter(t, 60*time.Second)
}

// testMetrics reads /metrics after the steps above: Jupyter was restarted
// once (the SIGKILL) and rotated twice, and the orphaned kernel was reaped by
// supervise, which the orphan counter must show.
func testMetrics(t *testing.T, b *box) {
	text := b.metrics(t)
	for _, c := range []struct {
		series string
		min    float64
	}{
		{`supervise_service_restarts_total{service="jupyter"}`, 1},
		{`supervise_log_rotations_total{path="` + b.logPath("jupyter") + `",service="jupyter"}`, 2},
		{`supervise_orphans_reaped_total`, 1},
		{`supervise_service_state{service="sshd",state="running"}`, 1},
		{`supervise_service_healthy{service="train"}`, 1},
		{`supervise_status_up`, 1},
	} {
		v, ok := metricValue(text, c.series)
		if !ok {
			t.Errorf("/metrics has no %s", c.series)
		} else if v < c.min {
			t.Errorf("%s = %v, want >= %v", c.series, v, c.min)
		}
	}
}

// metricValue finds one series (name plus labels as Prometheus prints them)
// in a text exposition.
func metricValue(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// testEvents: supervise prints every event on its stderr, and runs
// event_command (docker/alert.sh, which appends to ALERT_LOG) for them. The
// runner queues an event that arrives while the previous run for its kind is
// still busy (pkg/procs/events.go), so the alert log may lag supervise's
// stderr; only events that were seconds apart are required from it.
func testEvents(t *testing.T, b *box, hook *webhook) {
	stderr, err := os.ReadFile(filepath.Join(b.dir, "supervise.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ssh-keygen", "sshd", "jupyter", "train"} {
		if !regexp.MustCompile(`(?m)^supervise: \S+ started ` + regexp.QuoteMeta(name) + `\b`).Match(stderr) {
			t.Errorf("supervise's stderr has no started line for %s", name)
		}
	}
	want := []string{"event=started service=", "event=rotated service=jupyter ", "event=exited service=jupyter "}
	waitFor(t, 10*time.Second, "events in the alert log", func() (bool, string) {
		data, _ := os.ReadFile(filepath.Join(b.dir, "alerts.log"))
		var missing []string
		for _, w := range want {
			if !strings.Contains(string(data), w) {
				missing = append(missing, w)
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %q in:\n%s", missing, data)
	})
	// alert.sh posts the events worth paging for; killing Jupyter made one
	// backoff, and nothing else posted (started, rotated, exited do not page).
	var posted []alertPost
	waitFor(t, 15*time.Second, "the webhook to get jupyter's backoff", func() (bool, string) {
		posted = hook.posts()
		for _, p := range posted {
			if p.Event == "backoff" && p.Service == "jupyter" && strings.Contains(p.Text, "backoff jupyter") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", posted)
	})
	for _, p := range posted {
		switch p.Event {
		case "fatal", "backoff", "disk_low", "disk_warn", "dropped":
		default:
			t.Errorf("webhook got a %q event; alert.sh should post only those worth paging for", p.Event)
		}
	}
}

func testShutdown(t *testing.T, b *box) {
	waitFor(t, 30*time.Second, "a training checkpoint", func() (bool, string) {
		c, _ := filepath.Glob(filepath.Join(b.env["CKPT_DIR"], "ckpt-*.pt"))
		return len(c) > 0, "none yet"
	})
	errPath := filepath.Join(b.dir, "supervise.stderr")
	before, _ := os.ReadFile(errPath)
	b.signal(t, syscall.SIGTERM)
	code, elapsed := b.wait(t, 60*time.Second)
	t.Logf("SIGTERM to PID 1: supervise exited %d after %v", code, elapsed.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit code %d, want 0 (train is main and exits 0 on SIGTERM)", code)
	}
	if timeout := 20 * time.Second; elapsed >= timeout {
		t.Errorf("shutdown took %v, shutdown_timeout is %v", elapsed, timeout)
	}
	if ps := b.procs(t); len(ps) != 0 {
		t.Errorf("processes left in the namespace: %v", ps)
	}
	if r := b.ctl(t, "status"); r.code != 3 {
		t.Errorf("ctl status with no supervisor: exit %d, want 3 (%s)", r.code, r.stderr)
	}

	m := regexp.MustCompile(`SIGTERM at step (\d+): checkpoint (\S+); exiting 0`).FindStringSubmatch(b.readLog(t, "train"))
	if m == nil {
		t.Errorf("train.py did not checkpoint on SIGTERM:\n%s", b.tail("log/train.log", 5))
	} else if _, err := os.Stat(m[2]); err != nil {
		t.Errorf("SIGTERM checkpoint: %v", err)
	}
	stderr, _ := os.ReadFile(errPath)
	stderr = stderr[min(len(before), len(stderr)):] // only what the shutdown printed
	for _, name := range []string{"sshd", "jupyter", "train"} {
		if !regexp.MustCompile(`(?m)^supervise: \S+ exited ` + name + `\b`).Match(stderr) {
			t.Errorf("supervise's stderr has no exited line for %s after SIGTERM", name)
		}
	}
	// Each service got its stop signal and logged it, rather than being killed
	// with the namespace; the logs were flushed before supervise exited.
	// (The last instance's lines: earlier ones stopped for ctl restart/stop.)
	if log := b.readLog(t, "sshd"); strings.LastIndex(log, "Received signal 15; terminating.") < strings.LastIndex(log, "Server listening") {
		t.Errorf("sshd.log lacks the last sshd's SIGTERM line:\n%s", b.tail("log/sshd.log", 5))
	}
	if log := b.readLog(t, "jupyter"); strings.LastIndex(log, "received signal 15, stopping") < strings.LastIndex(log, "is running at") {
		t.Errorf("jupyter.log lacks the last Jupyter's SIGTERM line:\n%s", b.tail("log/jupyter.log", 5))
	}
}
