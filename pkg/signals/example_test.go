package signals_test

import (
	"fmt"
	"os/exec"
	"syscall"

	"github.com/supervise/supervise/pkg/signals"
)

// A child is started through the reaper, never waited for directly: its
// exit arrives on a channel, exactly once.
func ExampleReaper() {
	r, err := signals.NewReaper(signals.ReaperOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", "kill -TERM $$")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c, err := r.Start(cmd)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := <-c.Exit()
	c.Finish()
	fmt.Println(e, e.Code())
	// Output: killed by TERM (143) 143
}

func ExampleClassify() {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGWINCH} {
		fmt.Println(signals.Name(sig), signals.Classify(sig))
	}
	// Output:
	// TERM shutdown
	// HUP reload
	// USR1 rotate
	// WINCH forward
}

// A command that cannot be started is reported with a shell's code.
func ExampleStartCode() {
	r, err := signals.NewReaper(signals.ReaperOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	_, err = r.Start(exec.Command("/nonexistent/program"))
	fmt.Println(signals.StartCode(err))
	_, err = r.Start(exec.Command("/etc/hostname"))
	fmt.Println(signals.StartCode(err))
	// Output:
	// 127
	// 126
}
