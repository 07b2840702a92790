package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procEntry is one process of /proc.
type procEntry struct {
	PID, PPID int
	Comm      string
	State     byte
}

// processes lists every process in /proc. This kernel has no
// /proc/PID/task/TID/children, so parentage comes from each stat file.
func processes() []procEntry {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var ps []procEntry
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ps = append(ps, procEntry{PID: pid, PPID: ppid, Comm: s[open+1 : end], State: f[0][0]})
	}
	return ps
}

// children counts live children of pid named comm.
func children(pid int, comm string) int {
	n := 0
	for _, p := range processes() {
		if p.PPID == pid && p.Comm == comm && p.State != 'Z' {
			n++
		}
	}
	return n
}

// killTree SIGKILLs pid and all its descendants (a run past its timeout).
func killTree(pid int) {
	ps := processes()
	kids := map[int][]int{}
	for _, p := range ps {
		kids[p.PPID] = append(kids[p.PPID], p.PID)
	}
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		syscall.Kill(p, syscall.SIGKILL)
		todo = append(todo, kids[p]...)
	}
}
