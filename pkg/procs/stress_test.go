package procs

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/supervise/supervise/internal/config"
)

// TestManyServicesOwnCodes boots 200 services that exit at once with
// different codes while clients hammer Status; each must end in its own
// state with its own code (a stolen or lost exit would show).
func TestManyServicesOwnCodes(t *testing.T) {
	const n = 200
	var svcs []*config.Service
	for i := 0; i < n; i++ {
		c := sh("s"+strconv.Itoa(i), fmt.Sprintf("exit %d", i%256))
		c.Restart = config.RestartNever
		svcs = append(svcs, c)
	}
	h := newHarness(t, conf(svcs...))
	h.s.Boot()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := h.s.Status(nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		h.next("exited", "s"+strconv.Itoa(i))
	}
	close(stop)
	wg.Wait()
	rows, err := h.s.Status(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rows {
		i, _ := strconv.Atoi(st.Name[1:])
		if st.State != StateExited || st.ExitCode == nil || *st.ExitCode != i%256 {
			t.Errorf("%s: state %s exit %v, want exited %d", st.Name, st.State, st.ExitCode, i%256)
		}
	}
}
