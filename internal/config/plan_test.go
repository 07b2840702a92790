package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestPlanGolden renders the plan of each testdata/plan/*.conf and compares
// it with the .golden file beside it. Schedules count from a fixed time on
// the day before New York's 2026 spring-forward, so the golden files show
// the DST rules.
func TestPlanGolden(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz data: %v", err)
	}
	now := time.Date(2026, 3, 7, 23, 0, 0, 0, ny)
	files, _ := filepath.Glob("testdata/plan/*.conf")
	if len(files) == 0 {
		t.Fatal("no testdata/plan/*.conf")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ParseOptions(filepath.Base(file), data, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := cfg.WritePlan(&out, now); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestPlanGolden -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("plan of %s differs from %s (go test -run TestPlanGolden -update to accept):\n--- got\n%s\n--- want\n%s", file, golden, out.Bytes(), want)
			}
		})
	}
}
