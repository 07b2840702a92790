package config_test

import (
	"testing"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink"
)

// TestErrPathMatchesSink keeps `supervise check` and the sink agreeing on
// where stderr = separate writes.
func TestErrPathMatchesSink(t *testing.T) {
	for _, p := range []string{"/l/web.log", "/l/web.txt", "/l/web", "/l/.log", "/l.d/web", "/l/a.b.log"} {
		l := config.LogPolicy{Path: p}
		if got, want := l.ErrPath(), sink.ErrPath(p); got != want {
			t.Errorf("ErrPath(%s): config %s, sink %s", p, got, want)
		}
	}
}
