package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	full, err := os.ReadFile("testdata/plan/full.conf")
	if err != nil {
		b.Fatal(err)
	}
	var many strings.Builder
	many.WriteString("[service s0]\ncommand = run\n")
	for i := 1; many.Len() < MaxSize-100; i++ {
		fmt.Fprintf(&many, "[service s%d]\ncommand = run %d\nafter = s%d\n", i, i, i-1)
	}
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"full", full, true},
		{"1MiB-of-services", []byte(many.String()), true},
		{"1MiB-of-unknown-keys", []byte("[service a]\ncommand = a\n" + strings.Repeat("x = 1\n", (MaxSize-100)/6)), false},
		{"1MiB-one-line", []byte("[service a]\ncommand = " + strings.Repeat("'a b' ", (MaxSize-100)/6)), true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			b.ReportAllocs()
			for b.Loop() {
				cfg, err := ParseOptions("bench.conf", tc.data, testOptions())
				if (err == nil) != tc.ok {
					b.Fatalf("ok = %v: %v", err == nil, err)
				}
				if cfg != nil {
					cfg.StartOrder()
				}
			}
		})
	}
}
