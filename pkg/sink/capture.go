package sink

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/internal/config"
)

// pipeSize is requested for each capture pipe so that a burst survives a
// short stall of the reader (a rotation, a slow disk) without blocking the
// service; the kernel may grant less.
const pipeSize = 1 << 20

// Capture is one run of a service: the child's stdout and stderr, and the
// goroutines reading the other ends into the log.
type Capture struct {
	Stdout, Stderr *os.File // the child's ends; the same tty file when tty

	log     *Log
	readers []*reader
	wg      sync.WaitGroup // one per reader
	done    chan struct{}  // closed when every reader has finished

	childOnce sync.Once
	stopOnce  sync.Once
	// Close sets stopping, interrupts a reader parked in the netpoller
	// and makes wake readable, which ends a reader's wait in poll(2). wake
	// is closed once every reader has finished.
	stopping atomic.Bool
	wake     *os.File
	wakeFd   int
}

// Attach creates fresh pipes, or a pty, for one run of the service and
// starts reading them. With tty the child gets the pty's tty side as both
// stdout and stderr (the caller sets Setsid and Setctty), in the window size
// of supervise's terminal, or 80x24.
func (l *Log) Attach(tty bool) (*Capture, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("sink %s: attach: %w", l.name, err)
	}
	c := &Capture{log: l, done: make(chan struct{}), wake: os.NewFile(uintptr(wfd), "wake"), wakeFd: wfd}
	if err := c.open(tty); err != nil {
		c.wake.Close()
		return nil, fmt.Errorf("sink %s: attach: %w", l.name, err)
	}
	l.captures[c] = struct{}{}
	c.wg.Add(len(c.readers))
	for _, r := range c.readers {
		r.fr.name = l.name
		r.fr.sink = r.flush
		go r.run()
	}
	go func() {
		c.wg.Wait()
		c.wake.Close()
		l.mu.Lock()
		delete(l.captures, c)
		l.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// open makes the streams: two pipes, or one pty.
func (c *Capture) open(tty bool) error {
	if tty {
		master, t, err := openPTY()
		if err != nil {
			return err
		}
		c.Stdout, c.Stderr = t, t
		c.readers = []*reader{{c: c, fd: master}}
		return nil
	}
	or, ow, err := capturePipe(c, false)
	if err != nil {
		return err
	}
	er, ew, err := capturePipe(c, true)
	if err != nil {
		unix.Close(or.fd)
		ow.Close()
		return err
	}
	c.Stdout, c.Stderr = ow, ew
	c.readers = []*reader{or, er}
	return nil
}

// openPTY opens a pty pair, sized like supervise's terminal (80x24 when
// stdout is not one), with ONLCR off so that lines keep "\n" endings.
func openPTY() (int, *os.File, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return -1, nil, err
	}
	ws := &pty.Winsize{Rows: 24, Cols: 80}
	if w, err := unix.IoctlGetWinsize(1, unix.TIOCGWINSZ); err == nil && w.Row > 0 && w.Col > 0 {
		ws = &pty.Winsize{Rows: w.Row, Cols: w.Col}
	}
	fail := func(err error) (int, *os.File, error) {
		master.Close()
		tty.Close()
		return -1, nil, err
	}
	if err := pty.Setsize(tty, ws); err != nil {
		return fail(err)
	}
	fd := int(tty.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fail(err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fail(err)
	}
	// The master is read like a capture pipe: a raw non-blocking
	// descriptor outside the netpoller.
	mfd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	master.Close()
	if err := unix.SetNonblock(mfd, true); err != nil {
		unix.Close(mfd)
		tty.Close()
		return -1, nil, err
	}
	return mfd, tty, nil
}

// CloseChildEnds closes supervise's copies of the child's ends; procs
// calls it right after the child started, so that EOF comes when the child
// (and whatever it forked) has closed them.
func (c *Capture) CloseChildEnds() {
	c.childOnce.Do(func() {
		c.Stdout.Close()
		if c.Stderr != c.Stdout {
			c.Stderr.Close()
		}
	})
}

// Done is closed when every stream reached EOF (EIO on a pty master counts
// as EOF) and all lines were written.
func (c *Capture) Done() <-chan struct{} { return c.done }

// Close is for when the drain deadline passed (a grandchild still holds the
// pipe) or the log closes: stop reading, write any partial line with a
// newline added, close the pipes, and return when that is done.
func (c *Capture) Close() {
	c.stopOnce.Do(func() {
		c.CloseChildEnds()
		c.stopping.Store(true)
		for _, r := range c.readers {
			r.interrupt()
		}
		// Ends every reader's wait in poll(2); after the last reader the
		// file is closed and this write fails harmlessly.
		one := [8]byte{1}
		_, _ = c.wake.Write(one[:])
	})
	<-c.done
}

func (r *reader) run() {
	defer r.c.wg.Done()
	defer unix.Close(r.fd)
	defer r.unpark()
	n := 0
	var yielded time.Time
	for {
		k, err := r.read(r.room(n))
		if k > 0 {
			n = r.consume(n, n+k)
			r.account(k)
		}
		if r.busy.Load() && r.now.Sub(yielded) >= yieldEvery {
			// Not every chunk: Gosched wakes an idle thread each time.
			runtime.Gosched()
			yielded = r.now
		}
		if err != nil {
			// io.EOF, EIO from a pty master whose tty side is closed,
			// or Close: the stream is over either way. A partial last
			// line is written with a newline.
			if err == errStopped {
				n = r.drain(n)
			}
			if n > 0 {
				r.buf[n] = '\n'
				r.consume(n, n+1)
			}
			return
		}
	}
}

// minChunk is the first read size of a stream; it doubles with every read
// that fills it and is readSize once the stream is busy, so a quiet
// service's buffer stays a few KiB (each stream could need readSize +
// max_line, 128 KiB by default).
const minChunk = 4 << 10

// room returns where the next read goes: after the n bytes of a pending
// partial line, at most readSize, since the fast path relies on every line
// that starts inside one read being shorter than max_line. The buffer keeps
// one byte more, for the newline added to a last partial line.
func (r *reader) room(n int) []byte {
	if r.chunk == 0 {
		r.chunk = minChunk
	}
	if need := n + r.chunk + 1; len(r.buf) < need {
		nb := make([]byte, max(need, min(2*len(r.buf), readSize+maxLineOf(r.c.log.route.Load().pol)+1)))
		copy(nb, r.buf[:n])
		r.buf = nb
	}
	return r.buf[n : n+r.chunk]
}

// consume handles buf[:end], of which buf[old:end] was just read, and
// returns the length of the partial line it moved to the front of buf.
func (r *reader) consume(old, end int) int {
	rt := r.c.log.route.Load()
	pol := rt.pol
	if pol.Mode != config.LogFile && pol.Mode != config.LogConsole && !pol.Console {
		return 0 // log = off: drain and discard
	}
	r.now = r.c.log.m.now()
	data := r.buf[:end]
	if plain(pol) {
		// Fast path: one write up to the last newline, no copy, no
		// per-line work. Only the first line can be longer than max_line
		// (it continues the pending partial line), so only it is checked.
		last := bytes.LastIndexByte(data[old:], '\n')
		if last < 0 {
			if end <= maxLineOf(pol) {
				return end
			}
		} else if first := old + bytes.IndexByte(data[old:], '\n'); first <= maxLineOf(pol) {
			last += old
			r.write(data[:last+1])
			return copy(r.buf, data[last+1:])
		}
	}
	r.fr.begin(pol, r.now)
	rest := r.fr.frame(data)
	return copy(r.buf, rest)
}

// flush is the framer's sink.
func (r *reader) flush(out, console []byte) {
	if len(out) > 0 {
		r.write(out)
	}
	if len(console) > 0 {
		r.c.log.m.console.push(slices.Clone(console))
	}
}

// write hands whole lines to the stream's output. If Update replaced the
// output meanwhile, the lines go to the new one.
func (r *reader) write(p []byte) {
	for try := 0; try < 3; try++ {
		rt := r.c.log.route.Load()
		o := rt.out
		if r.stderr {
			o = rt.err
		}
		if o == nil || o.write(p, r.now) != errClosed {
			return
		}
	}
}
