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
	DrainS    float64 `json:"drain_s"`     // last fork until no zombie is left
	TotalS    float64 `json:"total_s"`     // first fork until no zombie is left
	MaxZombie int     `json:"max_zombies"` // most zombies seen at once after the forks
}

// makeOrphans double-forks n children that exit at once, so n zombies are
// re-parented to PID 1, then watches /proc until PID 1 has reaped them all.
// It must run where /proc is the PID namespace's own (unshare --mount-proc).
func makeOrphans(n int, result string, stdout io.Writer) error {
	start := time.Now()
	for i := 0; i < n; i++ {
		pid, errno := doubleFork()
		if errno != 0 {
			return fmt.Errorf("fork %d: %w", i, errno)
		}
		// Reap the middle child ourselves, as a daemonizing program does;
		// its child is then an orphan of PID 1.
		for {
			_, err := unix.Wait4(int(pid), nil, 0, nil)
			if err != unix.EINTR {
				if err != nil {
					return fmt.Errorf("wait for middle child %d: %w", pid, err)
				}
				break
			}
		}
	}
	forked := time.Now()
	maxZ := 0
	for deadline := forked.Add(60 * time.Second); ; {
		z, err := zombiesOfInit()
		if err != nil {
			return err
		}
		maxZ = max(maxZ, z)
		if z == 0 {
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

// zombiesOfInit counts zombies whose parent is PID 1.
func zombiesOfInit() (int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, fmt.Errorf("list /proc: %w", err)
	}
	n := 0
	for _, name := range names {
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
		if len(f) >= 2 && f[0] == "Z" {
			if ppid, _ := strconv.Atoi(f[1]); ppid == 1 {
				n++
			}
		}
	}
	return n, nil
}
