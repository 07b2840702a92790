package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// orphanTimes is what the reaping benchmark reports.
type orphanTimes struct {
	Orphans   int     `json:"orphans"`
	CreateS   float64 `json:"create_s"`    // first fork to last fork
	DrainS    float64 `json:"drain_s"`     // last fork until every orphan is reaped
	TotalS    float64 `json:"total_s"`     // first fork until every orphan is reaped
	MaxZombie int     `json:"max_zombies"` // most zombies seen at once after the last fork
}

// makeOrphans double-forks n children that exit at once, so n zombies are
// re-parented to PID 1, then watches /proc until PID 1 has reaped them all
// (without wait: until they are all zombies, a control for a PID 1 that
// never reaps). Orphans that lived on until a release would hold thousands
// of pids of a shared machine at once, so they exit right away and the
// test measures whether zombies pile up. It must run where /proc is the PID
// namespace's own (unshare --mount-proc).
func makeOrphans(n int, wait bool, result string, stdout io.Writer) error {
	start := time.Now()
	// Reap the middle children ourselves, as a daemonizing program does;
	// their children are then orphans of PID 1. A window of unreaped
	// middles keeps scheduler latency out of the forking time without
	// thousands of them runnable at once.
	const window = 64
	reaped := 0
	reap := func() error {
		for {
			_, err := unix.Wait4(-1, nil, 0, nil)
			if err == nil {
				reaped++
				return nil
			}
			if err != unix.EINTR {
				return fmt.Errorf("wait for the middle children: %w", err)
			}
		}
	}
	for i := 0; i < n; i++ {
		if _, errno := doubleFork(); errno != 0 {
			return fmt.Errorf("fork %d: %w", i, errno)
		}
		if i+1-reaped >= window {
			if err := reap(); err != nil {
				return err
			}
		}
	}
	for reaped < n {
		if err := reap(); err != nil {
			return err
		}
	}
	forked := time.Now()
	maxZ := 0
	// An orphan that has not run its exit yet is alive, not a zombie: wait
	// for those too, or the last orphans would escape the count.
	for deadline := forked.Add(60 * time.Second); ; {
		z, alive, err := orphansOfInit()
		if err != nil {
			return err
		}
		maxZ = max(maxZ, z)
		if wait && z+alive == 0 {
			break
		}
		if !wait && alive == 0 && (z >= n || time.Since(forked) > 5*time.Second) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d zombies still unreaped after 60s", z)
		}
		time.Sleep(time.Millisecond)
	}
	done := time.Now()
	t := orphanTimes{
		Orphans:   n,
		CreateS:   forked.Sub(start).Seconds(),
		DrainS:    done.Sub(forked).Seconds(),
		TotalS:    done.Sub(start).Seconds(),
		MaxZombie: maxZ,
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	if result != "" {
		if err := os.WriteFile(result, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
	return nil
}

// doubleFork forks a child that forks a grandchild and exits; the grandchild
// exits at once too. After the clone only raw system calls run in the
// children (no allocation, no stack growth), as in syscall's own
// forkAndExecInChild, because the Go runtime is not usable there.
//
//go:nosplit
func doubleFork() (uintptr, syscall.Errno) {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	if errno != 0 || pid != 0 {
		return pid, errno
	}
	syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	return 0, 0
}

// orphansOfInit counts the zombies and the live processes, other than gen
// itself, whose parent is PID 1.
func orphansOfInit() (zombies, alive int, err error) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0, 0, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("list /proc: %w", err)
	}
	self := strconv.Itoa(os.Getpid())
	for _, name := range names {
		if name == self {
			continue
		}
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // reaped while we looked
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != 1 {
			continue
		}
		if f[0] == "Z" {
			zombies++
		} else {
			alive++
		}
	}
	return zombies, alive, nil
}
