package metrics

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The Go runtime and process metrics of supervise itself, under the names
// client_golang's default collectors use, so dashboards built for any Go
// program work.

var (
	famGoroutines = &family{"go_goroutines", "Number of goroutines that currently exist.", gauge, nil}
	famThreads    = &family{"go_threads", "Number of OS threads the Go runtime owns.", gauge, nil}
	famHeapAlloc  = &family{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", gauge, nil}
	famSys        = &family{"go_memstats_sys_bytes", "Number of bytes obtained from system.", gauge, nil}
	famNextGC     = &family{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", gauge, nil}
	famGCCycles   = &family{"go_gc_cycles_total", "Completed GC cycles.", counter, nil}
	famGoInfo     = &family{"go_info", "Information about the Go environment.", gauge, []string{"version"}}

	famCPU      = &family{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", counter, nil}
	famRSS      = &family{"process_resident_memory_bytes", "Resident memory size in bytes.", gauge, nil}
	famVirt     = &family{"process_virtual_memory_bytes", "Virtual memory size in bytes.", gauge, nil}
	famStart    = &family{"process_start_time_seconds", "Start time of the process since unix epoch in seconds.", gauge, nil}
	famOpenFDs  = &family{"process_open_fds", "Number of open file descriptors.", gauge, nil}
	famMaxFDs   = &family{"process_max_fds", "Maximum number of open file descriptors.", gauge, nil}
	runtimeKeys = []string{
		"/sched/goroutines:goroutines",
		"/sched/threads/total:threads",
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/total:bytes",
		"/gc/heap/goal:bytes",
		"/gc/cycles/total:gc-cycles",
	}
	runtimeFams = []*family{famGoroutines, famThreads, famHeapAlloc, famSys, famNextGC, famGCCycles}
)

// collectRuntime reads the Go runtime's own metrics (runtime/metrics, which
// does not stop the world as ReadMemStats does).
func collectRuntime(e *exposition) {
	samples := make([]metrics.Sample, len(runtimeKeys))
	for i, k := range runtimeKeys {
		samples[i].Name = k
	}
	metrics.Read(samples)
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			e.add(runtimeFams[i], float64(s.Value.Uint64()))
		}
	}
	e.add(famGoInfo, 1, runtime.Version())
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture Go supports (prometheus/procfs assumes the same).
const userHZ = 100

// procReader reads process metrics from a /proc directory.
type procReader struct {
	proc string // "/proc"
	pid  string // "self"
}

// collect adds what it can read; a field /proc lacks is left out rather
// than reported as 0.
func (p procReader) collect(e *exposition) {
	dir := filepath.Join(p.proc, p.pid)
	if st, err := readStat(filepath.Join(dir, "stat")); err == nil {
		e.add(famCPU, float64(st.utime+st.stime)/userHZ)
		e.add(famRSS, float64(st.rssPages)*float64(os.Getpagesize()))
		e.add(famVirt, float64(st.vsize))
		if btime, err := bootTime(filepath.Join(p.proc, "stat")); err == nil {
			e.add(famStart, float64(btime)+float64(st.startTicks)/userHZ)
		}
	}
	if fds, err := os.ReadDir(filepath.Join(dir, "fd")); err == nil {
		e.add(famOpenFDs, float64(len(fds)))
	}
	var lim unix.Rlimit
	if p.pid == "self" && unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		e.add(famMaxFDs, float64(lim.Cur))
	}
}

type procStat struct {
	utime, stime, startTicks, vsize, rssPages uint64
}

// readStat parses /proc/PID/stat. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so fields are
// counted from the last ')'.
func readStat(path string) (procStat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("%s: no command field", path)
	}
	// f[0] is field 3 (state) of proc(5).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("%s: %d fields", path, len(f)+2)
	}
	var st procStat
	for _, x := range []struct {
		field int
		dst   *uint64
	}{{14, &st.utime}, {15, &st.stime}, {22, &st.startTicks}, {23, &st.vsize}, {24, &st.rssPages}} {
		v, err := strconv.ParseUint(f[x.field-3], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("%s: field %d: %w", path, x.field, err)
		}
		*x.dst = v
	}
	return st, nil
}

// bootTime is the `btime` line of /proc/stat: the boot time in Unix seconds.
func bootTime(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			return strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no btime", path)
}
