package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/supervise/supervise/pkg/procs"
)

// Backend is what the control socket drives: the supervisor. Every method
// may be called from many connections at once.
type Backend interface {
	// Status returns the named services (every one when names is empty);
	// an unknown name is an error.
	Status(names []string) ([]procs.Status, error)
	// Start, Stop and Restart return when done or failed; "all" is
	// expanded by the backend.
	Start(names []string) error
	Stop(names []string) error
	Restart(names []string) error
	// Signal sends sig to each named service's process group.
	Signal(sig syscall.Signal, names []string) error
	// Rotate rotates the named logs (every log when empty) and returns
	// when the new live files are open.
	Rotate(names []string) error
	// Reload with no names reloads the config (the error lists FILE:LINE
	// errors); with names it sends each service's reload_signal.
	Reload(names []string) error
	// Shutdown starts a graceful shutdown and returns at once; the
	// supervisor calls Server.Close later, which waits for connections.
	Shutdown()
	// Orphans is the number of orphaned processes reaped so far.
	Orphans() int64
}

// Limits that keep clients from affecting the supervisor.
const (
	DefaultMaxConns     = 64
	DefaultQueueWait    = time.Second
	DefaultReadTimeout  = 10 * time.Second // to send a request after connecting or the previous response
	DefaultWriteTimeout = 10 * time.Second // for the client to take each response line
	tailChunk           = 256 << 10        // bytes of log per tail response
	maxTailLines        = 100000           // tail -n; `supervise logs` reads more without the supervisor
	maxTailBytes        = 16 << 20         // what one tail may hold in the supervisor's memory
	maxSockPath         = 107              // sun_path holds 108 bytes with the NUL
)

// Server serves the control socket. Set the exported fields, if at all,
// before Serve.
type Server struct {
	MaxConns     int
	QueueWait    time.Duration // how long a connection over MaxConns waits for a slot before it is refused
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	TailPoll     time.Duration                    // how often tail -f looks for new lines; 0: logread.DefaultPoll
	Logf         func(format string, args ...any) // refusals and abuse, one event line each; nil: discard

	path     string
	gid      int
	uid      int    // supervise's effective uid, always admitted
	procRoot string // where peers' supplementary groups are read
	backend  Backend
	ln       *net.UnixListener
	sock     os.FileInfo // the socket we created, so Close removes only ours
	ctx      context.Context
	cancel   context.CancelFunc
	sem      chan struct{}
	once     sync.Once

	now func() time.Time // clock for abuse rate limiting; injected in tests

	// abuseMu guards lastAbuse and suppressed.
	abuseMu    sync.Mutex
	lastAbuse  time.Time
	suppressed int

	// mu guards closed and conns; wg.Add happens under it, so Close's
	// wg.Wait cannot miss a connection accepted concurrently.
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// NewServer listens on path with mode 0600, or 0660 and group gid when gid
// >= 0. A stale socket left by a crashed run is replaced; a socket another
// live process listens on, or a file that is not a socket, is an error.
func NewServer(path string, gid int, b Backend) (*Server, error) {
	// A container's /run/supervise/ may not exist yet.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}
	// Listen on a temporary name and rename into place, so the socket is
	// never reachable with the wrong mode or group.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
	if len(tmp) > maxSockPath {
		return nil, fmt.Errorf("control: socket path %s is too long: unix sockets allow %d bytes, and %d of them are taken by a temporary suffix", path, maxSockPath, len(tmp)-len(path))
	}
	if err := removeSocket(tmp); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control: listen: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*Server, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control: %w", err)
	}
	mode := os.FileMode(0o600)
	if gid >= 0 {
		mode = 0o660
		if err := os.Chown(tmp, -1, gid); err != nil {
			return fail(err)
		}
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	sock, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		MaxConns:     DefaultMaxConns,
		QueueWait:    DefaultQueueWait,
		ReadTimeout:  DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout,
		path:         path,
		gid:          gid,
		uid:          os.Geteuid(),
		procRoot:     "/proc",
		now:          time.Now,
		backend:      b,
		ln:           ln,
		sock:         sock,
		ctx:          ctx,
		cancel:       cancel,
		conns:        map[net.Conn]struct{}{},
	}, nil
}

// clearStale removes a socket at path that nobody listens on.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("control: %s exists and is not a socket; refusing to replace it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("control: another process is serving %s (is supervise already running?)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control: probe %s: %w", path, err)
	}
	return removeSocket(path)
}

func removeSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("control: %s exists and is not a socket; refusing to replace it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control: remove stale socket: %w", err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// abuse reports a refused or misbehaving client at most once a second,
// counting the rest, so a flood of bad clients cannot flood supervise's
// stderr.
func (s *Server) abuse(format string, args ...any) {
	now := s.now()
	s.abuseMu.Lock()
	if !s.lastAbuse.IsZero() && now.Sub(s.lastAbuse) < time.Second {
		s.suppressed++
		s.abuseMu.Unlock()
		return
	}
	n := s.suppressed
	s.lastAbuse, s.suppressed = now, 0
	s.abuseMu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if n > 0 {
		msg += fmt.Sprintf(" (and %d similar in the last second)", n)
	}
	s.logf("%s", msg)
}

// Serve accepts connections until Close; it then returns nil.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.sem = make(chan struct{}, max(1, s.MaxConns))
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	delay := 5 * time.Millisecond
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			// EMFILE and friends: wait a little rather than spin, as
			// net/http does; Close interrupts the wait.
			s.logf("control: accept: %v", err)
			select {
			case <-s.ctx.Done():
				return nil
			case <-time.After(delay):
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if !s.acquire() {
			if s.isClosed() {
				conn.Close()
				return nil
			}
			s.reject(conn, fmt.Sprintf("too many control connections (limit %d); try again", cap(s.sem)))
			continue
		}
		if !s.track(conn) {
			<-s.sem
			conn.Close()
			return nil
		}
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.untrack(conn)
			s.handle(conn)
		}()
	}
}

// acquire takes a connection slot, waiting up to QueueWait: a burst of
// quick requests queues briefly, while clients that hold their connection
// (tail -f) cannot lock everyone else out.
func (s *Server) acquire() bool {
	select {
	case s.sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.QueueWait)
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-s.ctx.Done():
		return false
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers conn and its goroutine; false once Close has begun.
func (s *Server) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[conn] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	conn.Close()
}

// reject answers a connection the server will not serve, without a
// goroutine: the answer fits the socket buffer, and the deadline bounds the
// accept loop's stall if it somehow does not.
func (s *Server) reject(conn *net.UnixConn, msg string) {
	conn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	writeResponse(conn, Response{Exit: ExitFailed, Error: msg})
	conn.Close()
}

// Close stops accepting, ends every connection (a tail -f stops, a request
// in a backend call finishes first), waits for their goroutines and
// removes the socket if it is still ours.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := make([]net.Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		s.cancel()
		err = s.ln.Close()
		for _, c := range conns {
			// Wakes reads and writes; a goroutine inside a backend call
			// finds its connection closed when it returns.
			c.Close()
		}
		s.wg.Wait()
		if fi, lerr := os.Lstat(s.path); lerr == nil && os.SameFile(fi, s.sock) {
			os.Remove(s.path)
		}
	})
	return err
}

// handle serves one connection: authorize, then requests until EOF,
// an idle timeout or abuse.
func (s *Server) handle(conn *net.UnixConn) {
	cred, err := peerCred(conn)
	if err == nil {
		err = s.authorize(cred)
	}
	if err != nil {
		s.abuse("control: refused connection: %v", err)
		s.send(conn, Response{Exit: ExitFailed, Error: err.Error()})
		return
	}
	br := bufio.NewReaderSize(conn, 4096)
	for {
		conn.SetReadDeadline(time.Now().Add(s.ReadTimeout))
		line, err := readLine(br, MaxRequest)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				s.abuse("control: uid %d: request over %d bytes; connection closed", cred.Uid, MaxRequest)
				s.send(conn, Response{Exit: ExitFailed, Error: fmt.Sprintf("request exceeds %d bytes", MaxRequest)})
			}
			return // EOF, timeout, or a closed connection
		}
		req, err := DecodeRequest(line)
		if err != nil {
			var u *UsageError
			if !errors.As(err, &u) {
				// Not JSON of our protocol: answer once, then hang up.
				s.abuse("control: uid %d: %v; connection closed", cred.Uid, err)
				s.send(conn, Response{Exit: ExitFailed, Error: err.Error()})
				return
			}
			if s.send(conn, Response{Exit: ExitUsage, Error: err.Error()}) != nil {
				return
			}
			continue
		}
		conn.SetReadDeadline(time.Time{})
		if err := s.dispatch(conn, req); err != nil {
			return
		}
	}
}

var errTooLarge = errors.New("request too large")

// readLine reads one line of at most limit bytes, without its newline.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit+1 {
			return nil, errTooLarge
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return line[:len(line)-1], nil
	}
}

// send writes one response within the write timeout.
func (s *Server) send(conn net.Conn, r Response) error {
	conn.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
	return writeResponse(conn, r)
}

func writeResponse(w io.Writer, r Response) error {
	r.V = Version
	r.OK = r.Exit == ExitOK && r.Error == ""
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
