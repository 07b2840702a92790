package control

import (
	"context"
	"testing"
)

// BenchmarkStatusRoundTrip is one `ctl status --json` over the socket:
// connect, authorize, request, three rows back.
func BenchmarkStatusRoundTrip(b *testing.B) {
	h := start(b, nil)
	req, _ := ParseArgs([]string{"status", "--json"}, nil)
	b.ReportAllocs()
	for range b.N {
		resp, err := Do(context.Background(), h.path, req, nil)
		if err != nil || len(resp.Status) != 3 {
			b.Fatal(err, resp)
		}
	}
}
