package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// DefaultSocket is the control path when neither the config nor the
// environment names one.
const DefaultSocket = "/run/supervise.sock"

// maxResponse bounds one response line a client accepts: a status of many
// services, or a tail chunk in base64.
const maxResponse = 16 << 20

// NoSupervisorError means nothing listens on the socket: `ctl` exits 3.
type NoSupervisorError struct {
	Path string
	Err  error
}

func (e *NoSupervisorError) Error() string {
	return fmt.Sprintf("no supervisor is listening on %s (%v); is supervise running? Point --socket or SUPERVISE_SOCKET at its control socket", e.Path, e.Err)
}

func (e *NoSupervisorError) Unwrap() error { return e.Err }

// Do sends req to the supervisor at path and returns its final response.
// Streamed responses (tail) go to onMore as they arrive. Cancelling ctx
// hangs up.
func Do(ctx context.Context, path string, req Request, onMore func(Response) error) (Response, error) {
	req.V = Version
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTSOCK) {
			return Response{}, &NoSupervisorError{Path: path, Err: unwrapSyscall(err)}
		}
		return Response{}, fmt.Errorf("connect to %s: %w", path, unwrapSyscall(err))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		// The server may have refused us and hung up before reading:
		// its answer is still there to read.
		if resp, rerr := readResponse(bufio.NewReader(conn)); rerr == nil {
			return resp, nil
		}
		return Response{}, fmt.Errorf("send to %s: %w", path, err)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	for {
		resp, err := readResponse(br)
		if err != nil {
			if ctx.Err() != nil {
				return Response{}, ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return Response{}, fmt.Errorf("%s: the supervisor closed the connection without an answer", path)
			}
			return Response{}, fmt.Errorf("read from %s: %w", path, err)
		}
		if !resp.More {
			return resp, nil
		}
		if onMore != nil {
			if err := onMore(resp); err != nil {
				return Response{}, err
			}
		}
	}
}

func readResponse(br *bufio.Reader) (Response, error) {
	line, err := readLine(br, maxResponse)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return Response{}, err
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("malformed response: %w", err)
	}
	if resp.V != Version {
		return Response{}, fmt.Errorf("supervisor speaks protocol %d, this client %d", resp.V, Version)
	}
	return resp, nil
}

// unwrapSyscall shortens "dial unix /x: connect: no such file" to the
// errno, since the message names the path already.
func unwrapSyscall(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
