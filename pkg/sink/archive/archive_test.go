package archive

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

func TestParse(t *testing.T) {
	base := "svc.log"
	for _, tt := range []struct {
		name  string
		ok    bool
		dated bool
		num   int
		ext   string
	}{
		{"svc.log.1", true, false, 1, ""},
		{"svc.log.12.gz", true, false, 12, ".gz"},
		{"svc.log.3.zst", true, false, 3, ".zst"},
		{"svc.log-20261128-214500", true, true, 0, ""},
		{"svc.log-20261128-214500.2.gz", true, true, 2, ".gz"},
		{"svc.log", false, false, 0, ""},
		{"svc.log.gz", false, false, 0, ""},
		{"svc.log.0", false, false, 0, ""},
		{"svc.log.01", false, false, 0, ""},
		{"svc.log.1.gz.tmp", false, false, 0, ""},
		{"svc.log.x", false, false, 0, ""},
		{"svc.log-2026", false, false, 0, ""},
		{"svc.log-20261328-214500", false, false, 0, ""},
		{"svc.log-20261128-214500x", false, false, 0, ""},
		{"svc.err.log.1", false, false, 0, ""},
		{"svc.log.log", false, false, 0, ""},
	} {
		a, ok := Parse(base, tt.name)
		if ok != tt.ok || (ok && (a.Dated != tt.dated || a.Num != tt.num || a.Ext != tt.ext)) {
			t.Errorf("Parse(%q) = %+v, %v", tt.name, a, ok)
		}
	}
	if !IsTemp(base, "svc.log.1.gz.tmp") || IsTemp(base, "svc.log.1.tmp") || IsTemp(base, "other.log.1.gz.tmp") {
		t.Error("IsTemp")
	}
}

func TestOrder(t *testing.T) {
	names := []string{"svc.log.1", "svc.log-20261128-214500.1", "svc.log.10.gz", "svc.log.2.zst",
		"svc.log-20261128-214500", "svc.log-20261127-000000.gz", "svc.log.2"}
	var as []Archive
	for _, n := range names {
		a, ok := Parse("svc.log", n)
		if !ok {
			t.Fatal(n)
		}
		as = append(as, a)
	}
	Sort(as)
	var got []string
	for _, a := range as {
		got = append(got, a.Name)
	}
	want := []string{"svc.log.10.gz", "svc.log.2.zst", "svc.log.2", "svc.log.1",
		"svc.log-20261127-000000.gz", "svc.log-20261128-214500", "svc.log-20261128-214500.1"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v\nwant  %v", got, want)
	}
	if n := DatedName("svc.log", time.Date(2026, 11, 28, 21, 45, 0, 0, time.Local), 3); n != "svc.log-20261128-214500.3" {
		t.Fatal(n)
	}
}

func TestFilesAndOpen(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "svc.log")
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("svc.log", "4\n")
	write("svc.log.1", "3\n")
	f, _ := os.Create(filepath.Join(dir, "svc.log.2.zst"))
	zw, _ := zstd.NewWriter(f)
	zw.Write([]byte("2\n"))
	zw.Close()
	f.Close()
	write("svc.log.3", "1\n")
	write("svc.log.3.gz.tmp", "junk")
	os.Symlink("/etc/passwd", filepath.Join(dir, "svc.log.4"))
	files, err := Files(live)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, p := range files {
		rc, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		rc.Close()
	}
	if all.String() != "1\n2\n3\n4\n" {
		t.Fatalf("history %q from %v", all.String(), files)
	}
}
