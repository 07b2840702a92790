package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// idleResult is one supervisor holding n idle services.
type idleResult struct {
	Supervisor string  `json:"supervisor"`
	Services   int     `json:"services"`
	ReadyS     float64 `json:"ready_s"`      // exec until every service's process runs (median)
	RSS        int64   `json:"rss"`          // VmRSS once settled, bytes (median)
	HWM        int64   `json:"hwm"`          // VmHWM, bytes (highest)
	Anon       int64   `json:"anon"`         // RssAnon once settled, bytes (median)
	IdleCPUPct float64 `json:"idle_cpu_pct"` // CPU while idle, % of one core (median)
	StopS      float64 `json:"stop_s"`       // SIGTERM until exit (median)
	Err        string  `json:"err,omitempty"`
}

const (
	idleReps    = 3
	idleSettle  = 500 * time.Millisecond
	idleMeasure = 2 * time.Second
)

// idle measures start-up, memory, idle CPU and shutdown of supervise and
// supervisord with 3 and 100 `sleep infinity` services.
func (b *bench) idle() []idleResult {
	var out []idleResult
	for _, n := range []int{3, 100} {
		for _, who := range []string{"supervise", "supervisord"} {
			res := idleResult{Supervisor: who, Services: n}
			var ready, rss, anon, cpu, stop []float64
			reps := idleReps
			if who == "supervisord" {
				reps = 1 // stopping 100 programs takes it about 20 s
			}
			for rep := 0; rep < reps; rep++ {
				r, err := b.idleOnce(who, n, rep)
				if err != nil {
					res.Err = err.Error()
					break
				}
				ready = append(ready, r.ReadyS)
				rss = append(rss, float64(r.RSS))
				anon = append(anon, float64(r.Anon))
				cpu = append(cpu, r.IdleCPUPct)
				stop = append(stop, r.StopS)
				res.HWM = max(res.HWM, r.HWM)
			}
			if res.Err == "" {
				res.ReadyS, res.RSS, res.IdleCPUPct, res.StopS = median(ready), int64(median(rss)), median(cpu), median(stop)
				res.Anon = int64(median(anon))
			}
			fmt.Fprintf(b.progress, "idle %-11s %3d services: ready %.3fs rss %.1f MiB idle cpu %.2f%% stop %.3fs %s\n",
				who, n, res.ReadyS, float64(res.RSS)/(1<<20), res.IdleCPUPct, res.StopS, res.Err)
			out = append(out, res)
		}
	}
	return out
}

func (b *bench) idleOnce(who string, n, rep int) (idleResult, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("idle-%s-%d-%d", who, n, rep))
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return idleResult{}, err
	}
	var conf strings.Builder
	var argv []string
	sleep := b.tool("sleep")
	if who == "supervise" {
		fmt.Fprintf(&conf, "[supervise]\ncontrol = %s\nlog_dir = %s\ndisk_min_free = 0\n",
			filepath.Join(dir, "supervise.sock"), filepath.Join(dir, "log"))
		for i := 0; i < n; i++ {
			fmt.Fprintf(&conf, "\n[service idle%d]\ncommand = %s infinity\n", i, sleep)
		}
		argv = []string{b.bin, "-c", filepath.Join(dir, "services.conf")}
	} else {
		fmt.Fprintf(&conf, "[supervisord]\nnodaemon=true\nlogfile=%[1]s/supervisord.log\npidfile=%[1]s/supervisord.pid\nchildlogdir=%[1]s\nuser=root\n", dir)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&conf, "\n[program:idle%d]\ncommand=%s infinity\nstdout_logfile=%s/idle%d.log\nredirect_stderr=true\n", i, sleep, dir, i)
		}
		argv = []string{b.tool("supervisord"), "-n", "-c", filepath.Join(dir, "services.conf")}
	}
	if err := os.WriteFile(argv[len(argv)-1], []byte(conf.String()), 0o644); err != nil {
		return idleResult{}, err
	}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return idleResult{}, err
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return idleResult{}, err
	}
	defer devnull.Close()
	p, err := spawn(argv, dir, [3]*os.File{devnull, out, out}, os.Environ())
	if err != nil {
		return idleResult{}, err
	}
	r := idleResult{Supervisor: who, Services: n}
	fail := func(err error) (idleResult, error) {
		killTree(p.pid)
		p.wait()
		return r, fmt.Errorf("%s with %d services: %w%s", who, n, err, tail(filepath.Join(dir, "stderr")))
	}
	for children(p.pid, "sleep") < n {
		if time.Since(p.start) > 30*time.Second {
			return fail(fmt.Errorf("only %d services running after 30s", children(p.pid, "sleep")))
		}
		if gone(p.pid) {
			return fail(fmt.Errorf("exited before its services ran"))
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.ReadyS = time.Since(p.start).Seconds()
	time.Sleep(idleSettle)
	c0, _, err := statCPU(p.pid)
	if err != nil {
		return fail(err)
	}
	time.Sleep(idleMeasure)
	c1, _, err := statCPU(p.pid)
	if err != nil {
		return fail(err)
	}
	r.IdleCPUPct = 100 * (c1 - c0).Seconds() / idleMeasure.Seconds()
	status := "/proc/" + strconv.Itoa(p.pid) + "/status"
	r.RSS, _ = statusField(status, "VmRSS:")
	r.HWM, _ = statusField(status, "VmHWM:")
	r.Anon, _ = statusField(status, "RssAnon:")
	stopAt := time.Now()
	if err := p.signal(syscall.SIGTERM); err != nil {
		return fail(err)
	}
	e, err := b.waitFor(p, who, dir)
	if err != nil {
		return r, err
	}
	r.StopS = e.At.Sub(stopAt).Seconds()
	return r, nil
}

// gone reports whether pid has exited (gone or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}

// orphanResult is the median of the orphan-reaping runs.
type orphanResult struct {
	Orphans   int     `json:"orphans"`
	CreateS   float64 `json:"create_s"`
	DrainS    float64 `json:"drain_s"`
	TotalS    float64 `json:"total_s"`
	MaxZombie int     `json:"max_zombies"`
	Runs      int     `json:"runs"`
	Err       string  `json:"err,omitempty"`
}

const orphanCount = 10000

// orphans runs supervise as PID 1 of a new PID namespace with a main
// service that double-forks orphanCount children; gen itself watches /proc
// until PID 1 has reaped every zombie.
func (b *bench) orphans() orphanResult {
	res := orphanResult{Orphans: orphanCount}
	var create, drain, total []float64
	for rep := 0; rep < idleReps; rep++ {
		t, err := b.orphansOnce(rep)
		if err != nil {
			res.Err = err.Error()
			break
		}
		create = append(create, t.CreateS)
		drain = append(drain, t.DrainS)
		total = append(total, t.TotalS)
		res.MaxZombie = max(res.MaxZombie, t.MaxZombie)
		res.Runs++
	}
	res.CreateS, res.DrainS, res.TotalS = median(create), median(drain), median(total)
	fmt.Fprintf(b.progress, "orphans %d: created %.3fs, drained %.3fs after the last fork, total %.3fs %s\n",
		res.Orphans, res.CreateS, res.DrainS, res.TotalS, res.Err)
	return res
}

func (b *bench) orphansOnce(rep int) (orphanResult, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("orphans-%d", rep))
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return orphanResult{}, err
	}
	resultPath := filepath.Join(dir, "orphans.json")
	conf := fmt.Sprintf("[supervise]\ncontrol = %s\nlog_dir = %s\ndisk_min_free = 0\n\n[service orphans]\ncommand = %s --orphans %d --result %s\nrestart = never\nmain = true\n",
		filepath.Join(dir, "supervise.sock"), filepath.Join(dir, "log"), b.gen, orphanCount, resultPath)
	confPath := filepath.Join(dir, "services.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return orphanResult{}, err
	}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return orphanResult{}, err
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return orphanResult{}, err
	}
	defer devnull.Close()
	argv := []string{b.tool("unshare"), "--pid", "--fork", "--mount-proc", b.bin, "-c", confPath}
	p, err := spawn(argv, dir, [3]*os.File{devnull, out, out}, os.Environ())
	if err != nil {
		return orphanResult{}, err
	}
	if _, err := b.waitFor(p, "unshare supervise", dir); err != nil {
		return orphanResult{}, err
	}
	data, err := os.ReadFile(resultPath)
	if err != nil {
		return orphanResult{}, fmt.Errorf("orphans: no result: %w%s", err, tail(filepath.Join(dir, "log", "orphans.log")))
	}
	var r orphanResult
	if err := json.Unmarshal(data, &r); err != nil {
		return orphanResult{}, fmt.Errorf("orphans: %w", err)
	}
	return r, nil
}

// machineInfo describes where the numbers come from.
type machineInfo struct {
	CPUs       int               `json:"cpus"`
	CPUModel   string            `json:"cpu_model"`
	Kernel     string            `json:"kernel"`
	Go         string            `json:"go"`
	MemGiB     float64           `json:"mem_gib"`
	Filesystem string            `json:"filesystem"`
	Supervise  string            `json:"supervise"`
	Peers      map[string]string `json:"peers"`
	Load       string            `json:"load"`
}

func machine(b *bench) machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version(), Peers: map[string]string{}}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		m.MemGiB = float64(si.Totalram) * float64(si.Unit) / (1 << 30)
	}
	var st unix.Statfs_t
	if unix.Statfs(b.dir, &st) == nil {
		m.Filesystem = "other"
		if st.Type == unix.TMPFS_MAGIC {
			m.Filesystem = "tmpfs"
		}
	}
	if out, err := exec.Command(b.bin, "version").Output(); err == nil {
		m.Supervise = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	for _, pkg := range []string{"s6", "runit", "daemontools", "supervisor", "coreutils"} {
		if out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output(); err == nil {
			m.Peers[pkg] = string(out)
		}
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	return m
}
