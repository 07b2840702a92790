package sink

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// How a capture stream is read. At full rate the Go netpoller is the
// expensive part: once a pipe has been polled, Linux wakes its pollers on
// every write, so a thread parked in epoll_wait wakes for each of the
// writer's chunks only to find nothing to run. A busy stream is therefore
// read by its goroutine's own thread, which waits in poll(2) between
// chunks. Every other stream waits in the netpoller, so that quiet services
// hold no thread (Go never ends a thread it made).

// A stream is busy once it delivered busyBytes within busyWindow; it stays
// busy until it was quiet for busyWait, which its thread spends in poll(2).
const (
	busyBytes  = 256 << 10
	busyWindow = 100 * time.Millisecond
	busyWait   = 50 * time.Millisecond
)

// yieldEvery is how often a busy reader passes through the scheduler: a
// goroutine that never parks looks to sysmon like one running for 10ms,
// whose P it then takes away in the middle of a syscall, after which sysmon
// polls every 20µs for a while, a context switch each time.
const yieldEvery = 4 * time.Millisecond

// errStopped: Close stopped the reader.
var errStopped = errors.New("capture closed")

// reader reads one stream of a capture.
type reader struct {
	c       *Capture
	fd      int // supervise's end: pipe read end or pty master, non-blocking
	stderr  bool
	drained bool         // the last read emptied the stream: wait before reading
	busy    atomic.Bool  // wait in poll(2), not in the netpoller; atomic for the tests
	turns   atomic.Int32 // times the stream turned busy, for the tests
	winFrom time.Time
	winSize int    // bytes read since winFrom
	buf     []byte // pending partial line at the front, then room to read
	chunk   int    // the next read's size (room)
	fr      framer
	now     time.Time

	mu     sync.Mutex
	parked *os.File // the duplicate registered in the netpoller while the stream is quiet
}

// capturePipe makes one capture pipe: supervise's read end is a raw
// non-blocking descriptor outside the netpoller, and the child's end is a
// blocking file (Python fails on an O_NONBLOCK stdout).
func capturePipe(c *Capture, stderr bool) (*reader, *os.File, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, err
	}
	// A burst survives a short stall of the reader (a rotation, a slow
	// disk) without blocking the service; the kernel may grant less.
	_, _ = unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, pipeSize)
	return &reader{c: c, fd: p[0], stderr: stderr}, os.NewFile(uintptr(p[1]), "|1"), nil
}

// read returns the next chunk. While the stream holds more than a chunk it
// reads back to back; after a short read (the stream ran dry) it waits for
// data first.
func (r *reader) read(p []byte) (int, error) {
	for {
		if r.c.stopping.Load() {
			return 0, errStopped
		}
		var k int
		var err error
		if r.drained {
			k, err = r.wait(p)
		} else {
			k, err = unix.Read(r.fd, p)
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			r.drained = true
			continue
		case err != nil:
			return 0, err // EIO: the pty's tty side is closed; errStopped
		case k == 0:
			return 0, io.EOF
		}
		r.drained = k < len(p)
		return k, nil
	}
}

// account sets the next read's size and tells whether the stream is busy,
// from the k bytes just read at r.now.
func (r *reader) account(k int) {
	if k == r.chunk && r.chunk < readSize {
		r.chunk *= 2
	}
	if r.now.Sub(r.winFrom) > busyWindow {
		r.winFrom, r.winSize = r.now, 0
	}
	r.winSize += k
	if r.winSize >= busyBytes && !r.busy.Load() {
		r.busy.Store(true)
		r.turns.Add(1)
		r.chunk = readSize
		r.unpark()
	}
}

// wait waits for the stream to be readable, or for Close, and reads: a busy
// stream in poll(2) for up to busyWait, any other in the netpoller.
func (r *reader) wait(p []byte) (int, error) {
	if !r.busy.Load() {
		return r.park(p)
	}
	fds := [2]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.c.wakeFd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds[:], int(busyWait/time.Millisecond))
	switch {
	case err != nil:
		return 0, err // EINTR: read again
	case fds[1].Revents != 0:
		return 0, errStopped
	case n == 0:
		// Quiet: a new window starts, or the bytes that made the stream
		// busy would make its next line do so again.
		r.busy.Store(false)
		r.winSize = 0
		return r.park(p)
	}
	return unix.Read(r.fd, p)
}

// park waits in the netpoller, holding no thread, then reads. It goes
// through a duplicate of the descriptor that stays registered while the
// stream is quiet (so a quiet service's line costs no dup, epoll_ctl or
// allocation) and is closed when the stream turns busy (unpark), so that a
// busy stream is never in epoll.
func (r *reader) park(p []byte) (int, error) {
	r.mu.Lock()
	f := r.parked
	r.mu.Unlock()
	if f == nil {
		dup, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return 0, err
		}
		f = os.NewFile(uintptr(dup), "capture") // non-blocking: the netpoller takes it
		r.mu.Lock()
		if r.c.stopping.Load() {
			r.mu.Unlock()
			f.Close()
			return 0, errStopped
		}
		r.parked = f
		r.mu.Unlock()
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var k int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		k, rerr = unix.Read(int(fd), p)
		return rerr != unix.EAGAIN
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, errStopped
	}
	if err != nil {
		return 0, err
	}
	return k, rerr
}

// unpark takes the stream out of the netpoller: it turned busy, or ended.
func (r *reader) unpark() {
	r.mu.Lock()
	f := r.parked
	r.parked = nil
	r.mu.Unlock()
	if f != nil {
		f.Close()
	}
}

// interrupt wakes a reader parked in the netpoller, and fails its next
// park at once; Close has set stopping.
func (r *reader) interrupt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parked != nil {
		_ = r.parked.SetReadDeadline(time.Unix(1, 0))
	}
}

// drainLimit bounds the final drain at Close: what the pipe held then,
// not whatever a grandchild keeps writing.
const drainLimit = 2 * pipeSize

// drain reads what is already in the stream when Close stopped the reader,
// so that lines written before the service exited are not lost at
// shutdown. The loop ends at EAGAIN.
func (r *reader) drain(n int) int {
	for total := 0; total < drainLimit; {
		k, err := unix.Read(r.fd, r.room(n))
		if k <= 0 || err != nil {
			return n
		}
		total += k
		n = r.consume(n, n+k)
	}
	return n
}
