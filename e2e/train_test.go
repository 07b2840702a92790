//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTrainRunsToCompletion: train is the `main` service; when it finishes,
// supervise stops everything else and exits with its code (SPEC §6). Its tqdm
// bar, redrawn at every one of 1500 steps, lands collapsed in its log.
func TestTrainRunsToCompletion(t *testing.T) {
	const steps = "1500"
	b := startBox(t, map[string]string{"TRAIN_STEPS": steps, "CKPT_EVERY": "500"})
	code, _ := b.wait(t, 180*time.Second)
	if code != 0 {
		t.Fatalf("supervise exited %d, want 0 (train's exit code)", code)
	}
	log := b.readLog(t, "train")
	if strings.Contains(log, "\r") {
		t.Errorf("progress = collapse left \\r in train.log")
	}
	// SPEC §2: `2026-11-28T21:45:00.123Z `, milliseconds, UTC.
	stamp := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) `)
	bar := regexp.MustCompile(`(\d+)/` + steps + ` \[`)
	var bars []string
	var first, last time.Time
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		m := stamp.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line without an rfc3339 timestamp: %q", line)
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Errorf("timestamp %q: %v", m[1], err)
			continue
		}
		if bar.MatchString(line) {
			if first.IsZero() {
				first = ts
			}
			last = ts
			bars = append(bars, line)
		}
	}
	if len(bars) == 0 {
		t.Fatalf("no progress bar in train.log:\n%s", b.tail("log/train.log", 10))
	}
	final := bars[len(bars)-1]
	if !strings.Contains(final, steps+"/"+steps) || !strings.Contains(final, "100%") {
		t.Errorf("the last bar line is not the final state: %q", final)
	}
	// tqdm redrew the bar 1500 times; collapse keeps the final form plus at
	// most one intermediate state per progress_interval (1s).
	if limit := int(last.Sub(first).Seconds()) + 3; len(bars) > limit {
		t.Errorf("%d bar lines over %v, want at most %d:\n%s", len(bars), last.Sub(first), limit, strings.Join(bars, "\n"))
	}
	t.Logf("1500 redraws collapsed to %d bar lines over %v", len(bars), last.Sub(first).Round(time.Millisecond))
	if !strings.Contains(log, "train: done: "+steps+" steps") {
		t.Errorf("no completion line:\n%s", b.tail("log/train.log", 5))
	}
	if _, err := os.Stat(filepath.Join(b.env["CKPT_DIR"], "ckpt-00001500.pt")); err != nil {
		t.Errorf("final checkpoint: %v", err)
	}
	// The rest was stopped because main ended. (Under load sshd may not have
	// started yet when a short run ends: its RSA host key takes seconds.)
	stderr, err := os.ReadFile(filepath.Join(b.dir, "supervise.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cause := "shutdown: main service train ended with exit 0"
	i := strings.Index(string(stderr), cause)
	if i < 0 {
		t.Fatalf("supervise's stderr lacks %q:\n%s", cause, stderr)
	}
	for _, name := range []string{"sshd", "jupyter"} {
		started := regexp.MustCompile(`(?m)^supervise: \S+ started ` + name + `\b`).Match(stderr)
		exited := regexp.MustCompile(`(?m)^supervise: \S+ exited ` + name + `\b`).Match(stderr[i:])
		if started && !exited {
			t.Errorf("%s was not stopped after main ended:\n%s", name, stderr[i:])
		}
	}
}

// TestTrainFailureIsExitCode: a main service that keeps failing goes fatal
// after max_restarts (3: four runs) and supervise exits with its code.
func TestTrainFailureIsExitCode(t *testing.T) {
	// start_secs well above a python start on a loaded machine: every run
	// is a failed start (a run past start_secs would reset the count).
	b := startBox(t, map[string]string{"TRAIN_STEPS": "-1", "TRAIN_START_SECS": "60s"}) // argparse: exit 2
	code, _ := b.wait(t, 120*time.Second)
	if code != 2 {
		t.Errorf("supervise exited %d, want 2 (train's exit code)", code)
	}
	if runs := strings.Count(b.readLog(t, "train"), "error: --steps"); runs != 4 {
		t.Errorf("train ran %d times, want 4 (max_restarts = 3)", runs)
	}
}
