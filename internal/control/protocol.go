// Package control is supervise's control socket (SPEC §5): a unix socket
// speaking newline-delimited JSON, one request and one response per line
// (`tail -f` streams several responses), the server that checks each peer
// and hands verbs to a Backend, and the client that `supervise ctl` uses.
package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/supervise/supervise/pkg/signals"
)

// Version is the protocol version. A request with a newer version is
// refused, so an old supervisor never half-understands a new client.
const Version = 1

// MaxRequest is the largest request line accepted (SPEC §5).
const MaxRequest = 64 << 10

// Request is one line from a client.
//
//	{"v":1,"verb":"tail","args":["web"],"flags":{"follow":true,"lines":20}}
type Request struct {
	V     int      `json:"v"`
	Verb  string   `json:"verb"`
	Args  []string `json:"args,omitempty"`
	Flags Flags    `json:"flags"`
}

// Flags are the verb options that are not names.
type Flags struct {
	JSON   bool `json:"json,omitempty"`   // status --json (rendered by the client)
	Follow bool `json:"follow,omitempty"` // tail -f
	Lines  int  `json:"lines,omitempty"`  // tail -n
}

// Response is one line from the server. Exit is the exit status that
// `supervise ctl` ends with. More means another response follows: only
// tail sends more than one.
type Response struct {
	V      int         `json:"v"`
	OK     bool        `json:"ok"`
	Exit   int         `json:"exit"`
	Error  string      `json:"error,omitempty"`
	Text   string      `json:"text,omitempty"`   // a line for the user (health)
	Status []StatusRow `json:"status,omitempty"` // status
	Data   []byte      `json:"data,omitempty"`   // tail: whole log lines, raw bytes
	More   bool        `json:"more,omitempty"`
}

// Exit statuses of `supervise ctl` (SPEC §1).
const (
	ExitOK           = 0
	ExitFailed       = 1
	ExitUsage        = 2
	ExitNoSupervisor = 3
)

// Verbs lists every verb of SPEC §5, in the order of the help text.
var Verbs = []string{"status", "health", "start", "stop", "restart", "signal", "rotate", "reload", "tail", "shutdown"}

// UsageError is a request the server cannot act on as written: unknown
// verb, wrong arguments. It maps to exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// DecodeRequest parses and validates one request line (without its
// newline). Any error is safe to show to the client.
func DecodeRequest(line []byte) (Request, error) {
	var req Request
	if len(line) > MaxRequest {
		return req, fmt.Errorf("request of %d bytes exceeds the %d-byte limit", len(line), MaxRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("malformed request: %v", err)
	}
	if dec.More() {
		return Request{}, errors.New("malformed request: data after the JSON object")
	}
	if req.V != Version {
		return req, fmt.Errorf("unsupported protocol version %d; this supervisor speaks %d", req.V, Version)
	}
	return req, req.Validate()
}

// Validate checks the verb and its arguments.
func (r Request) Validate() error {
	names := r.Args
	if r.Verb == "signal" && len(names) > 0 {
		names = names[1:] // the signal itself
	}
	for _, a := range names {
		if !nameRE.MatchString(a) {
			return usagef("%s: invalid name %q (names are [A-Za-z0-9_.-]+)", r.Verb, a)
		}
	}
	if r.Flags.Lines < 0 {
		return usagef("%s: -n must not be negative", r.Verb)
	}
	switch r.Verb {
	case "status", "rotate", "reload":
		return nil
	case "health", "shutdown":
		if len(r.Args) > 0 {
			return usagef("%s takes no arguments", r.Verb)
		}
	case "start", "stop", "restart":
		if len(r.Args) == 0 {
			return usagef("%s needs at least one service name, or all", r.Verb)
		}
	case "signal":
		if len(r.Args) < 2 {
			return usagef("signal needs a signal and at least one service name")
		}
		if _, err := signals.Parse(r.Args[0]); err != nil {
			return usagef("signal: %v", err)
		}
	case "tail":
		if len(r.Args) != 1 {
			return usagef("tail needs exactly one service name")
		}
		if r.Flags.Lines > maxTailLines {
			return usagef("tail -n is at most %d; `supervise logs NAME -n N` reads any number", maxTailLines)
		}
	default:
		return usagef("unknown verb %q; accepted: %s", r.Verb, joinVerbs())
	}
	return nil
}

func joinVerbs() string {
	var b bytes.Buffer
	for i, v := range Verbs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v)
	}
	return b.String()
}

// exitFor maps an error from validation or a backend to an exit status.
func exitFor(err error) int {
	var u *UsageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailed
}

// String renders a request for event lines.
func (r Request) String() string {
	s := r.Verb
	for _, a := range r.Args {
		s += " " + strconv.Quote(a)
	}
	return s
}
