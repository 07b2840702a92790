package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sys/unix"
)

// A scrape is one GET answered with Connection: close, so this is all the
// HTTP supervise needs; net/http would add about 4 MB to the binary and so
// to supervise's resident memory.
const (
	maxHead      = 8 << 10 // request line and headers
	maxScrapes   = 8       // connections served at once; more are closed at once
	exchangeTime = 10 * time.Second
)

// Server is the HTTP endpoint; Close stops it.
type Server struct {
	ln  net.Listener
	col *collector

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool

	done chan struct{}  // closed by Close: stops the accept loop's backoff
	wg   sync.WaitGroup // the accept loop and every connection's goroutine
	once sync.Once
}

// Serve listens on addr (HOST:PORT; an empty HOST means 127.0.0.1, so
// metrics are not exposed beyond the container unless the config says
// 0.0.0.0) and serves /metrics from src until Close.
func Serve(addr string, src Source) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{
		ln:    ln,
		col:   &collector{src: src, statfs: unix.Statfs, proc: procReader{proc: "/proc", pid: "self"}},
		conns: map[net.Conn]struct{}{},
		done:  make(chan struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the address actually listened on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops listening, cuts the connections still open and waits for
// their goroutines, so no scrape reads the supervisor after Close returns.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		close(s.done)
		if e := s.ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = fmt.Errorf("metrics: close: %w", e)
		}
		s.wg.Wait()
	})
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, most likely: back off as net/http
			// does rather than spin, and keep serving afterwards.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
				continue
			case <-s.done:
				return
			}
		}
		delay = 0
		if !s.track(c) {
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serve(c)
		}()
	}
}

// track registers a connection, unless the server is closing or already
// serving maxScrapes.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= maxScrapes {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// request is what serve needs of an HTTP request.
type request struct {
	method, path string
	gzip         bool
}

// serve answers one request on c. A client too slow to send its request or
// read the answer is cut at exchangeTime.
func (s *Server) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(exchangeTime))
	req, status := readRequest(bufio.NewReaderSize(c, 4096))
	switch {
	case status != 0:
	case req.method != "GET" && req.method != "HEAD":
		status = 405
	case req.path == "/metrics":
		s.reply(c, req, 200, contentType, s.col.collect())
		return
	case req.path == "/":
		s.reply(c, req, 200, "text/plain; charset=utf-8", []byte("supervise: metrics at /metrics\n"))
		return
	default:
		status = 404
	}
	s.reply(c, req, status, "text/plain; charset=utf-8", []byte(statusText[status]+"\n"))
}

var statusText = map[int]string{
	200: "OK",
	400: "Bad Request",
	404: "Not Found",
	405: "Method Not Allowed",
	431: "Request Header Fields Too Large",
	505: "HTTP Version Not Supported",
}

func (s *Server) reply(w io.Writer, req request, status int, ctype string, body []byte) {
	var head strings.Builder
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nConnection: close\r\n", status, statusText[status], ctype)
	if status == 405 {
		head.WriteString("Allow: GET, HEAD\r\n")
	}
	if req.gzip && status == 200 {
		// Stateless: a default gzip.Writer allocates about 1 MB of
		// tables per scrape, and that garbage showed up as resident
		// memory; a page of metrics text compresses nearly as well
		// without them.
		var zb bytes.Buffer
		if zw, err := gzip.NewWriterLevel(&zb, gzip.StatelessCompression); err == nil && writeAll(zw, body) == nil {
			body = zb.Bytes()
			head.WriteString("Content-Encoding: gzip\r\n")
		}
	}
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(body))
	if _, err := io.WriteString(w, head.String()); err != nil || req.method == "HEAD" {
		return // the scraper went away: nothing to tell it
	}
	_, _ = w.Write(body)
}

func writeAll(zw *gzip.Writer, b []byte) error {
	if _, err := zw.Write(b); err != nil {
		return err
	}
	return zw.Close()
}

// readRequest reads the request line and headers (up to maxHead bytes). It
// returns an HTTP error status, or 0 with the request.
func readRequest(r *bufio.Reader) (request, int) {
	var req request
	total := 0
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		total += len(line)
		if total > maxHead || errors.Is(err, bufio.ErrBufferFull) {
			return req, 431
		}
		if err != nil {
			return req, 400
		}
		text := strings.TrimRight(string(line), "\r\n")
		if first {
			parts := strings.Split(text, " ")
			if len(parts) != 3 || parts[0] == "" || !strings.HasPrefix(parts[1], "/") {
				return req, 400
			}
			if parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0" {
				return req, 505
			}
			req.method = parts[0]
			req.path, _, _ = strings.Cut(parts[1], "?")
			continue
		}
		if text == "" {
			return req, 0
		}
		name, value, ok := strings.Cut(text, ":")
		if !ok {
			return req, 400
		}
		if strings.EqualFold(strings.TrimSpace(name), "Accept-Encoding") && acceptsGzip(value) {
			req.gzip = true
		}
	}
}

// acceptsGzip: the list names gzip without `q=0`.
func acceptsGzip(list string) bool {
	for _, item := range strings.Split(list, ",") {
		coding, params, _ := strings.Cut(item, ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
