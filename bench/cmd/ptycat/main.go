// Command ptycat is the limit of capturing through a pseudo-terminal: it
// runs a command on the tty side of a new pty (ONLCR off, as supervise sets
// it) and copies the master side to stdout in 128 KiB reads, doing nothing
// else. bench compares supervise's tty=true with it.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ptycat COMMAND [ARG...]")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	master, tty, err := pty.Open()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptycat: %v\n", err)
		return 1
	}
	t, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err == nil {
		t.Oflag &^= unix.ONLCR
		err = unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, t)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptycat: termios: %v\n", err)
		return 1
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptycat: %v\n", err)
		return 1
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{devnull.Fd(), tty.Fd(), os.Stderr.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1},
	})
	tty.Close()
	devnull.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptycat: start %s: %v\n", argv[0], err)
		return 1
	}
	buf := make([]byte, 128<<10)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			if _, werr := os.Stdout.Write(buf[:n]); werr != nil {
				fmt.Fprintf(os.Stderr, "ptycat: write: %v\n", werr)
				return 1
			}
		}
		// A master whose tty side is closed reports EIO, not EOF.
		if err != nil {
			if err != io.EOF && !errors.Is(err, syscall.EIO) {
				fmt.Fprintf(os.Stderr, "ptycat: read: %v\n", err)
				return 1
			}
			break
		}
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	return ws.ExitStatus()
}
