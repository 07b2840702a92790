package procs

import (
	"os"

	"github.com/supervise/supervise/internal/config"
)

// discardLogs sends every service's output to /dev/null: for a Supervisor
// built without logs.
type discardLogs struct{}

func (discardLogs) Open(string, config.LogPolicy) (Log, error) { return discardLog{}, nil }

type discardLog struct{}

func (discardLog) Attach(tty bool) (*Capture, error) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	close(done)
	return &Capture{Stdout: f, Stderr: f, CloseChildEnds: func() { f.Close() }, Done: done, Close: func() {}}, nil
}

func (discardLog) Rotate() error                 { return nil }
func (discardLog) Update(config.LogPolicy) error { return nil }
func (discardLog) Stats() LogStats               { return LogStats{} }
func (discardLog) Close() error                  { return nil }
