package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// proc is a child of the runner whose own CPU time and peak RSS we measure.
// The runner is not supervise, so it may wait for its children itself.
type proc struct {
	pid   int
	start time.Time

	mu      sync.Mutex // guards hwm and anon
	hwm     int64      // highest VmHWM sampled, bytes
	anon    int64      // highest RssAnon sampled, bytes
	stop    chan struct{}
	sampled chan struct{}
}

// spawn starts argv with the given stdin, stdout and stderr.
func spawn(argv []string, dir string, files [3]*os.File, env []string) (*proc, error) {
	fds := make([]uintptr, 3)
	for i, f := range files {
		fds[i] = f.Fd()
	}
	start := time.Now()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: fds,
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &proc{pid: pid, start: start, stop: make(chan struct{}), sampled: make(chan struct{})}
	go p.sample()
	return p, nil
}

// sample polls VmHWM, which only grows, so the last sample before exit is
// the peak up to the final interval. ru_maxrss is no use here: it covers
// reaped children (the generator, for supervisors), and it keeps the high
// water mark of the image before exec, which after Go's vfork-style
// ForkExec is the runner's own.
func (p *proc) sample() {
	defer close(p.sampled)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	path := "/proc/" + strconv.Itoa(p.pid) + "/status"
	for {
		if b, err := os.ReadFile(path); err == nil {
			hwm, ok1 := field(b, "VmHWM:")
			anon, ok2 := field(b, "RssAnon:")
			p.mu.Lock()
			if ok1 {
				p.hwm = max(p.hwm, hwm)
			}
			if ok2 {
				p.anon = max(p.anon, anon)
			}
			p.mu.Unlock()
		}
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

// exit is how a measured process ended.
type exit struct {
	At      time.Time
	Status  syscall.WaitStatus
	CPU     time.Duration // user+system of the process itself, not its children
	SysCPU  time.Duration // the system part of CPU
	PeakRSS int64         // sampled VmHWM, bytes
	// PeakAnon is the highest RssAnon sampled: the process's own memory,
	// without the pages of its executable and libraries that VmHWM counts.
	PeakAnon int64
}

func (e exit) err() error {
	switch {
	case e.Status.Exited() && e.Status.ExitStatus() == 0:
		return nil
	case e.Status.Exited():
		return fmt.Errorf("exit status %d", e.Status.ExitStatus())
	case e.Status.Signaled():
		return fmt.Errorf("killed by %v", e.Status.Signal())
	}
	return fmt.Errorf("wait status %#x", uint32(e.Status))
}

// wait waits for the process to end, reads its own CPU time while it is a
// zombie (utime and stime of /proc/PID/stat exclude its children), then
// reaps it.
func (p *proc) wait() (exit, error) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return exit{}, fmt.Errorf("waitid %d: %w", p.pid, err)
		}
	}
	e := exit{At: time.Now()}
	cpu, sys, statErr := statCPU(p.pid)
	close(p.stop)
	<-p.sampled
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return exit{}, fmt.Errorf("wait4 %d: %w", p.pid, err)
		}
	}
	e.Status = ws
	e.CPU, e.SysCPU = cpu, sys
	p.mu.Lock()
	e.PeakRSS, e.PeakAnon = p.hwm, p.anon
	p.mu.Unlock()
	if statErr != nil {
		return e, statErr
	}
	return e, nil
}

func (p *proc) signal(sig syscall.Signal) error {
	return syscall.Kill(p.pid, sig)
}

// statCPU reads utime+stime, and stime alone, of pid from /proc/PID/stat.
func statCPU(pid int) (total, sys time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("stat of %d: no command name", pid)
	}
	// After "pid (comm) ": state is field 3; utime and stime are 14 and 15.
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("stat of %d: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("stat of %d: bad utime/stime %q %q", pid, f[11], f[12])
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(ut + st), tick(st), nil
}

// statusField returns a "kB" field of /proc/PID/status in bytes.
func statusField(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return field(b, key)
}

// field returns a "kB" field of a /proc/PID/status text in bytes.
func field(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := b[i+len(key):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, false
	}
	return v * 1024, true
}
