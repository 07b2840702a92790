package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/supervise/supervise/internal/logread"
	"github.com/supervise/supervise/pkg/signals"
)

// dispatch runs one validated request and writes its response(s). An
// error means the connection is unusable.
func (s *Server) dispatch(conn net.Conn, req Request) error {
	b := s.backend
	var err error
	switch req.Verb {
	case "status":
		sts, serr := b.Status(req.Args)
		if serr != nil {
			return s.fail(conn, serr)
		}
		rows := make([]StatusRow, 0, len(sts))
		for _, st := range sts {
			rows = append(rows, Row(st))
		}
		return s.send(conn, Response{Status: rows})
	case "health":
		return s.health(conn)
	case "start":
		err = b.Start(req.Args)
	case "stop":
		err = b.Stop(req.Args)
	case "restart":
		err = b.Restart(req.Args)
	case "signal":
		sig, perr := signals.Parse(req.Args[0])
		if perr != nil {
			return s.fail(conn, &UsageError{Msg: perr.Error()})
		}
		err = b.Signal(sig, req.Args[1:])
	case "rotate":
		err = b.Rotate(req.Args)
	case "reload":
		err = b.Reload(req.Args)
	case "tail":
		return s.tail(conn, req)
	case "shutdown":
		// Answer before starting: the shutdown closes this server.
		werr := s.send(conn, Response{Text: "shutting down"})
		b.Shutdown()
		if werr != nil {
			return werr
		}
		return nil
	default:
		return s.fail(conn, usagef("unknown verb %q", req.Verb))
	}
	if err != nil {
		return s.fail(conn, err)
	}
	return s.send(conn, Response{})
}

func (s *Server) fail(conn net.Conn, err error) error {
	return s.send(conn, Response{Exit: exitFor(err), Error: err.Error()})
}

// health answers exit 0 when every service the backend counts is healthy.
func (s *Server) health(conn net.Conn) error {
	sts, err := s.backend.Status(nil)
	if err != nil {
		return s.fail(conn, err)
	}
	var bad []string
	for _, st := range sts {
		if !st.Healthy {
			bad = append(bad, fmt.Sprintf("%s (%s)", st.Name, st.State))
		}
	}
	if len(bad) > 0 {
		return s.send(conn, Response{Exit: ExitFailed, Error: "unhealthy: " + strings.Join(bad, ", ")})
	}
	return s.send(conn, Response{Text: fmt.Sprintf("healthy: %d services", len(sts))})
}

// tail sends the last lines of a service's live log and, with follow,
// every line after, across rotations, until the client hangs up or the
// server closes.
func (s *Server) tail(conn net.Conn, req Request) error {
	name := req.Args[0]
	sts, err := s.backend.Status([]string{name})
	if err != nil {
		return s.fail(conn, err)
	}
	if len(sts) != 1 || sts[0].LogPath == "" {
		return s.fail(conn, fmt.Errorf("tail %s: the service has no log file (log = off or console)", name))
	}
	path := sts[0].LogPath
	n := req.Flags.Lines
	f, err := os.Open(path)
	if err != nil && !(errors.Is(err, os.ErrNotExist) && req.Flags.Follow) {
		if errors.Is(err, os.ErrNotExist) {
			return s.send(conn, Response{}) // nothing logged yet
		}
		return s.fail(conn, fmt.Errorf("tail %s: %w", name, err))
	}
	if f != nil {
		data, err := logread.LastLines(f, n, maxTailBytes)
		if err != nil {
			f.Close()
			return s.fail(conn, err)
		}
		if short := n - bytes.Count(data, []byte{'\n'}); short > 0 {
			// Just after a rotation the live file is nearly empty: the
			// rest of the last n lines is in the newest archives.
			data = append(archiveTail(path, short, maxTailBytes-int64(len(data))), data...)
		}
		if err := s.sendData(conn, data); err != nil {
			f.Close()
			return err
		}
	}
	if !req.Flags.Follow {
		f.Close()
		return s.send(conn, Response{})
	}

	// The client sends nothing more; a read returning means it hung up.
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		var b [1]byte
		conn.Read(b[:])
		cancel()
	}()
	fl := logread.NewFollower(path, f)
	fl.Poll = s.TailPoll
	err = fl.Run(ctx, func(chunk []byte) error { return s.sendData(conn, chunk) })
	// Wake the reader goroutine and wait for it, so none outlives us.
	conn.Close()
	<-gone
	if err != nil {
		return err
	}
	return errors.New("tail ended")
}

// sendData sends log bytes in responses of at most tailChunk bytes.
func (s *Server) sendData(conn net.Conn, data []byte) error {
	for len(data) > 0 {
		n := min(len(data), tailChunk)
		if err := s.send(conn, Response{Data: data[:n], More: true}); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// archiveTail returns the last n lines of a log's newest archive, at most
// maxBytes of them. Older archives are not read: decompressing a whole
// history for one request would take the supervisor's CPU. An archive that
// cannot be read contributes nothing.
func archiveTail(live string, n int, maxBytes int64) []byte {
	segs, err := logread.Segments(live)
	if err != nil || maxBytes <= 0 {
		return nil
	}
	if len(segs) > 0 && segs[len(segs)-1].Live {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	logread.Read(&buf, segs[len(segs)-1:], logread.Query{Lines: n}, func(error) {})
	data := buf.Bytes()
	for int64(len(data)) > maxBytes {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
	}
	return data
}
