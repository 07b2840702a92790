package control

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"verb":"status","args":["web"],"flags":{"json":true}}`,
		`{"v":1,"verb":"tail","args":["web"],"flags":{"follow":true,"lines":20}}`,
		`{"v":1,"verb":"signal","args":["USR1","web","worker"]}`,
		`{"v":1,"verb":"start","args":["all"]}`,
		`{"v":1,"verb":"shutdown"}`,
		`{"v":1,"verb":"nope"}`,
		`{"v":2,"verb":"status"}`,
		`{"v":1,"verb":"status","args":["../etc"]}`,
		`{"v":1,"verb":"tail","args":["x"],"flags":{"lines":-1}}`,
		`{"v":1,"verb":"status"} {"v":1}`,
		`{"v":1,"verb":"status","args":null,"flags":null}`,
		`[]`, `null`, `"status"`, `{`, ``, "\xff\xfe",
		`{"v":1.5,"verb":"status"}`,
		`{"v":1,"verb":"status","extra":{"deep":[[[[[]]]]]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := DecodeRequest(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if req.V != Version || !slices.Contains(Verbs, req.Verb) || req.Flags.Lines < 0 {
			t.Fatalf("accepted invalid request %+v", req)
		}
		// What the server accepts, a client can send back unchanged.
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeRequest(b)
		if err != nil || !reflect.DeepEqual(normalize(req), normalize(again)) {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", req, b, again, err)
		}
	})
}

func normalize(r Request) Request {
	if len(r.Args) == 0 {
		r.Args = nil
	}
	return r
}

func TestDecodeRequest(t *testing.T) {
	cases := []struct {
		in    string
		usage bool   // a *UsageError (exit 2)
		err   string // "" means accepted
	}{
		{`{"v":1,"verb":"status"}`, false, ""},
		{`{"v":1,"verb":"signal","args":["SIGHUP","web"]}`, false, ""},
		{`{"v":1,"verb":"signal","args":["NOPE","web"]}`, true, "unknown signal"},
		{`{"v":1,"verb":"fly"}`, true, "unknown verb"},
		{`{"v":1,"verb":"stop"}`, true, "at least one"},
		{`{"v":1,"verb":"tail","args":["a","b"]}`, true, "exactly one"},
		{`{"v":1,"verb":"status","args":["a b"]}`, true, "invalid name"},
		{`{"verb":"status"}`, false, "protocol version 0"},
		{`{"v":1,"verb":"status"`, false, "malformed"},
		{strings.Repeat(" ", MaxRequest+1), false, "exceeds"},
	}
	for _, c := range cases {
		_, err := DecodeRequest([]byte(c.in))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%.40s: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%.40s: error %v, want %q", c.in, err, c.err)
		case err != nil && (exitFor(err) == ExitUsage) != c.usage:
			t.Errorf("%.40s: exit %d", c.in, exitFor(err))
		}
	}
}

func TestUptimeAndSizes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 2 * time.Minute: "2m", 12*time.Minute + 3*time.Second: "12m3s",
		12*time.Minute + 10*time.Second: "12m10s", 3*time.Hour + 12*time.Minute: "3h12m", 5 * time.Hour: "5h",
		50 * time.Hour: "2d2h", 48 * time.Hour: "2d",
	} {
		if got := Uptime(d); got != want {
			t.Errorf("Uptime(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0B", 1023: "1023B", 1536: "1.5K", 5 << 20: "5.0M", 3 << 30: "3.0G", 2 << 40: "2.0T"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
