package signals

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestReaperAllExitCodes(t *testing.T) {
	r := newTestReaper(t)
	children := make([]*Child, 256)
	for code := range children {
		c, err := r.Start(exec.Command("/bin/sh", "-c", fmt.Sprintf("exit %d", code)))
		if err != nil {
			t.Fatal(err)
		}
		children[code] = c
	}
	for code, c := range children {
		e := waitExit(t, c, 20*time.Second)
		if e.Code() != code || e.PID != c.PID {
			t.Errorf("exit %d: got code %d pid %d (want pid %d)", code, e.Code(), e.PID, c.PID)
		}
	}
	if n := r.Orphans(); n != 0 {
		t.Errorf("Orphans = %d, want 0: registered children were miscounted", n)
	}
}

func TestReaperSignalDeaths(t *testing.T) {
	r := newTestReaper(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGINT, syscall.SIGUSR1} {
		c, err := r.Start(exec.Command("/bin/sh", "-c", fmt.Sprintf("kill -%d $$", sig)))
		if err != nil {
			t.Fatal(err)
		}
		e := waitExit(t, c, 10*time.Second)
		if e.Signaled() != sig || e.Code() != 128+int(sig) {
			t.Errorf("kill -%d: got %s", sig, e)
		}
	}
}

// TestReaperFastExit starts children that exit before Start can return:
// holding the registry lock across Start is what keeps their exits.
func TestReaperFastExit(t *testing.T) {
	r := newTestReaper(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				c, err := r.Start(exec.Command("/bin/true"))
				if err != nil {
					errs <- err
					return
				}
				select {
				case e := <-c.Exit():
					if e.Code() != 0 {
						errs <- fmt.Errorf("pid %d: %s", c.PID, e)
						return
					}
				case <-time.After(10 * time.Second):
					errs <- fmt.Errorf("pid %d: exit lost", c.PID)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestChildSignal(t *testing.T) {
	r := newTestReaper(t)
	cmd := exec.Command("/bin/sleep", "100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if e := waitExit(t, c, 10*time.Second); e.Code() != 143 {
		t.Fatalf("got %s, want killed by TERM", e)
	}
	if err := c.Signal(syscall.SIGTERM); !errors.Is(err, ErrFinished) {
		t.Errorf("Signal after exit: %v, want ErrFinished", err)
	}
	// The group is empty now: the kernel says ESRCH, reported as finished.
	if err := c.SignalGroup(syscall.SIGTERM); !errors.Is(err, ErrFinished) {
		t.Errorf("SignalGroup of an empty group: %v, want ErrFinished", err)
	}
	c.Finish()
	if err := c.SignalGroup(syscall.SIGKILL); !errors.Is(err, ErrFinished) {
		t.Errorf("SignalGroup after Finish: %v, want ErrFinished", err)
	}
}

func TestSignalGroupNeedsOwnGroup(t *testing.T) {
	r := newTestReaper(t)
	c, err := r.Start(exec.Command("/bin/sleep", "100"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignalGroup(syscall.SIGKILL); !errors.Is(err, ErrNoGroup) {
		t.Errorf("SignalGroup without Setpgid: %v, want ErrNoGroup", err)
	}
	if err := c.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, c, 10*time.Second)
}

// TestSignalGroupKillsGrandchildren: the grandchildren share the group, die
// with it, and come back to us as orphans because we are a subreaper.
func TestSignalGroupKillsGrandchildren(t *testing.T) {
	orphans := make(chan string, 16)
	r, err := NewReaper(ReaperOptions{Debugf: func(f string, a ...any) { orphans <- fmt.Sprintf(f, a...) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	cmd := exec.Command("/bin/sh", "-c", "sleep 100 & sleep 100 & echo ready; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	c, err := r.Start(cmd)
	pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, _ := pr.Read(buf); !strings.HasPrefix(string(buf[:n]), "ready") {
		t.Fatalf("helper said %q", buf[:n])
	}
	pr.Close()
	if err := c.SignalGroup(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e := waitExit(t, c, 10*time.Second); e.Code() != 137 {
		t.Errorf("leader: %s", e)
	}
	for i := 0; i < 2; i++ {
		select {
		case line := <-orphans:
			if !strings.Contains(line, "killed by KILL") {
				t.Errorf("orphan: %s", line)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("grandchild %d not reaped", i+1)
		}
	}
	c.Finish()
}

func TestSubreaperWhenNotPID1(t *testing.T) {
	if os.Getpid() == 1 {
		t.Skip("running as PID 1")
	}
	var notices []string
	orphans := make(chan string, 4)
	r, err := NewReaper(ReaperOptions{
		Logf:   func(f string, a ...any) { notices = append(notices, fmt.Sprintf(f, a...)) },
		Debugf: func(f string, a ...any) { orphans <- fmt.Sprintf(f, a...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if len(notices) != 1 || !strings.Contains(notices[0], "subreaper") {
		t.Errorf("notices = %q, want one about the subreaper", notices)
	}
	on, err := IsSubreaper()
	if err != nil || !on {
		t.Fatalf("IsSubreaper = %v, %v", on, err)
	}
	// A double fork: the intermediate shell exits, its child is re-parented
	// to us rather than to the real init, and we reap it.
	c, err := r.Start(exec.Command("/bin/sh", "-c", "(sh -c 'exit 7' &); exit 0"))
	if err != nil {
		t.Fatal(err)
	}
	waitExit(t, c, 10*time.Second)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line := <-orphans:
			if strings.Contains(line, "exit 7") {
				return
			}
		case <-deadline:
			t.Fatal("the double-forked grandchild was not reaped here")
		}
	}
}

// TestExecFailuresAreNotOrphans: the syscall package reaps a child that
// failed to exec itself, and the reaper may get to it first; either way it
// is not an orphan.
func TestExecFailuresAreNotOrphans(t *testing.T) {
	r := newTestReaper(t)
	for i := 0; i < 200; i++ {
		if _, err := r.Start(exec.Command("/etc/hostname")); err == nil {
			t.Fatal("a non-executable file started")
		}
	}
	// One registered child after them: once its exit is in, every earlier
	// zombie has been drained too (they exited before it was forked).
	c, err := r.Start(exec.Command("/bin/true"))
	if err != nil {
		t.Fatal(err)
	}
	waitExit(t, c, 10*time.Second)
	if n := r.Orphans(); n != 0 {
		t.Errorf("Orphans = %d after exec failures, want 0", n)
	}
}
