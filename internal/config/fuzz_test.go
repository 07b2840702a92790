package config

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that any input yields either a Config or an Errors with
// lines inside the file, never a panic, and that a valid Config can be
// planned.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[service a]\ncommand = a\n"))
	f.Add([]byte("[supervise]\nlog_dir = ${HOME}/l\n[defaults]\nkeep = 1\n[service a]\ncommand = sh -c 'x # y'\nafter = b\n[service b]\ncommand = b\noneshot = true\n"))
	opts := testOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseOptions("fuzz.conf", data, opts)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			if cfg != nil {
				t.Fatal("both a Config and an error")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			for _, e := range errs {
				if e.File != "fuzz.conf" || e.Line < 0 || e.Line > lines || e.Msg == "" {
					t.Fatalf("bad error %+v for %d lines", e, lines)
				}
			}
			again, _ := ParseOptions("fuzz.conf", data, opts)
			if again != nil {
				t.Fatal("second parse disagrees")
			}
			return
		}
		order := cfg.StartOrder()
		if len(order) != len(cfg.Services) {
			t.Fatalf("StartOrder has %d of %d services", len(order), len(cfg.Services))
		}
		pos := map[string]int{}
		for i, s := range order {
			pos[s.Name] = i
		}
		for _, s := range cfg.Services {
			if len(s.Command) == 0 {
				t.Fatalf("service %s without command", s.Name)
			}
			for _, d := range s.After {
				if pos[d] >= pos[s.Name] {
					t.Fatalf("%s starts before %s, which it is after", s.Name, d)
				}
			}
			if s.Log.Mode == LogFile && !strings.HasPrefix(s.Log.Path, "/") {
				t.Fatalf("relative log path %q", s.Log.Path)
			}
		}
		if err := cfg.WritePlan(io.Discard, time.Date(2026, 11, 28, 21, 45, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	})
}
