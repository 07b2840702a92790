package procs

import (
	"github.com/supervise/supervise/internal/config"

	"testing"
	"time"
)

// TestStatusCarriesLogStats: the log's counters reach the status row, and
// bytes written keep counting across runs of the service.
func TestStatusCarriesLogStats(t *testing.T) {
	c := sh("talk", "echo hello")
	c.Restart = config.RestartNever
	c.StartSecs = 0 // so that `ctl start` of a run this short succeeds
	h := newHarness(t, conf(c))
	h.s.Boot()
	h.next("exited", "talk")
	st := h.status("talk")
	if st.LogPath != "/test/talk.log" || st.BytesWritten != int64(len("hello\n")) {
		t.Fatalf("log path %q, bytes written %d, want /test/talk.log and 6", st.LogPath, st.BytesWritten)
	}
	if err := h.s.Start([]string{"talk"}); err != nil {
		t.Fatal(err)
	}
	h.next("exited", "talk")
	h.logs.get("talk").waitFor(t, "hello\nhello\n", 10*time.Second)
	if st := h.status("talk"); st.BytesWritten != 12 {
		t.Errorf("after a second run: bytes written %d, want 12", st.BytesWritten)
	}
}
