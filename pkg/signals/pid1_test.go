package signals

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests re-execute the test binary as PID 1 of a fresh pid namespace
// (unshare --pid --fork --mount-proc), where every orphan of the namespace
// comes to it, exactly as in a container.

func TestPID1DoubleForkOrphansLeaveNoZombie(t *testing.T) {
	code, out := runAsPID1(t, "orphans", time.Minute)
	if code != 0 {
		t.Fatalf("helper exit %d:\n%s", code, out)
	}
	t.Log(out)
}

func TestPID1RaceTorture(t *testing.T) {
	code, out := runAsPID1(t, "torture", 2*time.Minute)
	if code != 0 {
		t.Fatalf("helper exit %d:\n%s", code, out)
	}
	t.Log(out)
}

func runHelper(name string, args []string) int {
	if os.Getpid() != 1 {
		fmt.Printf("helper %s: pid %d, want 1\n", name, os.Getpid())
		return 2
	}
	var err error
	switch name {
	case "orphans":
		err = helperOrphans()
	case "torture":
		err = helperTorture()
	default:
		err = fmt.Errorf("unknown helper %q", name)
	}
	if err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	return 0
}

// procStates reads the state letter of every process in /proc but ours.
func procStates() (map[int]string, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) S ...: comm may hold spaces, so cut at the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
		if pid == os.Getpid() {
			continue
		}
		out[pid] = string(b[i+2])
	}
	return out, nil
}

// waitProcsGone waits until no other process is left in the namespace. It
// is a condition with a deadline; the reaper itself is event driven.
func waitProcsGone(d time.Duration) (map[int]string, error) {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := procStates()
		if err != nil || len(st) == 0 || time.Now().After(deadline) {
			return st, err
		}
		<-tick.C
	}
}

func zombies(st map[int]string) []int {
	var z []int
	for pid, s := range st {
		if s == "Z" {
			z = append(z, pid)
		}
	}
	return z
}

func helperOrphans() error {
	r, err := NewReaper(ReaperOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	const parents, perParent = 10, 5
	var kids []*Child
	for i := 0; i < parents; i++ {
		// Each ( ... &) subshell exits at once, so its background child is
		// re-parented to PID 1 and exits later, as an orphan.
		script := fmt.Sprintf(`for i in $(seq %d); do (sh -c "sleep 0.0$i; exit $i" &); done; exit 0`, perParent)
		c, err := r.Start(exec.Command("/bin/sh", "-c", script))
		if err != nil {
			return err
		}
		kids = append(kids, c)
	}
	for _, c := range kids {
		select {
		case e := <-c.Exit():
			if e.Code() != 0 {
				return fmt.Errorf("parent pid %d: %s", c.PID, e)
			}
		case <-time.After(20 * time.Second):
			return fmt.Errorf("parent pid %d: no exit", c.PID)
		}
	}
	st, err := waitProcsGone(20 * time.Second)
	if err != nil {
		return err
	}
	if z := zombies(st); len(z) > 0 {
		return fmt.Errorf("zombies left: %v", z)
	}
	if len(st) > 0 {
		return fmt.Errorf("processes left: %v", st)
	}
	// The last zombie leaves /proc inside wait4, a moment before the reaper
	// counts it: wait for the count rather than read it once.
	for deadline := time.Now().Add(5 * time.Second); r.Orphans() < parents*perParent && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := r.Orphans(); n < parents*perParent {
		return fmt.Errorf("reaped %d orphans, want at least %d", n, parents*perParent)
	}
	fmt.Printf("reaped %d orphans, %d processes in all, no zombie left\n", r.Orphans(), r.Reaped())
	return nil
}

// helperTorture starts 500 short children from 10 goroutines with random
// exit codes while a generator floods the reaper with orphans. Every child
// must get its own code; a lost or stolen exit (ECHILD in a second waiter)
// shows up as a missing or wrong code.
func helperTorture() error {
	r, err := NewReaper(ReaperOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	gen, err := r.Start(exec.Command("/bin/sh", "-c", `for i in $(seq 200); do (true &); done`))
	if err != nil {
		return err
	}
	const n, workers = 500, 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type started struct {
				c    *Child
				code int
			}
			var mine []started
			for i := 0; i < n/workers; i++ {
				code := rand.IntN(256)
				c, err := r.Start(exec.Command("/bin/sh", "-c", "exit "+strconv.Itoa(code)))
				if err != nil {
					errs <- fmt.Errorf("start: %w", err)
					return
				}
				mine = append(mine, started{c, code})
			}
			for _, s := range mine {
				select {
				case e := <-s.c.Exit():
					if e.Code() != s.code || e.PID != s.c.PID {
						errs <- fmt.Errorf("pid %d: got %s (pid %d), want exit %d", s.c.PID, e, e.PID, s.code)
					}
				case <-time.After(60 * time.Second):
					errs <- fmt.Errorf("pid %d: exit lost", s.c.PID)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var bad []string
	for err := range errs {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d failures:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	select {
	case <-gen.Exit():
	case <-time.After(30 * time.Second):
		return fmt.Errorf("orphan generator did not exit")
	}
	st, err := waitProcsGone(20 * time.Second)
	if err != nil {
		return err
	}
	if len(st) > 0 {
		return fmt.Errorf("processes left: %v", st)
	}
	fmt.Printf("%d children with their own codes; %d orphans reaped; %d reaped in all\n", n, r.Orphans(), r.Reaped())
	return nil
}
