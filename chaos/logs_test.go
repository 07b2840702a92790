//go:build chaos

package chaos

import (
	"bufio"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/supervise/supervise/internal/linecheck"
	"github.com/supervise/supervise/pkg/sink/archive"
)

// logCheck is what the numbered-line checker found in the logs of some
// services, with the drop markers summed.
type logCheck struct {
	Lines       int   `json:"lines_found"`
	Expected    int   `json:"lines_expected"`
	Missing     int   `json:"lines_missing"`
	Torn        int   `json:"lines_torn"`
	Duplicated  int   `json:"lines_duplicated"`
	OutOfOrder  int   `json:"lines_out_of_order"`
	Markers     int   `json:"marker_lines"`
	MarkerBytes int64 `json:"marker_dropped_bytes"`
	Files       int   `json:"files"`
	Detail      []string
}

func (c logCheck) ok() bool {
	return c.Torn == 0 && c.Missing == 0 && c.Duplicated == 0 && c.OutOfOrder == 0
}

var dropMarker = regexp.MustCompile(`^supervise: dropped ([0-9]+) bytes \(([^)]*)\)$`)

// checkLogs runs the checker over the live file and archives of each
// named service's log (log_dir/NAME.log). expect holds the line counts of
// the streams that announced them; a stream belongs to the service whose
// name prefixes it.
func (b *box) checkLogs(expect map[string]uint64, names ...string) logCheck {
	b.t.Helper()
	var c logCheck
	for _, n := range names {
		path := filepath.Join(b.logDir, n+".log")
		mine := map[string]uint64{}
		for s, cnt := range expect {
			if strings.HasPrefix(s, n+"_") {
				mine[s] = cnt
				c.Expected += int(cnt)
			}
		}
		r, err := linecheck.CheckLog(path, mine)
		if err != nil {
			b.t.Fatalf("check %s: %v", path, err)
		}
		c.Lines += r.Lines
		c.Missing += r.Missing
		c.Torn += r.Torn
		c.Duplicated += r.Duplicated
		c.OutOfOrder += r.OutOfOrder
		c.Files += len(r.Files)
		if !r.OK() {
			d := r.String()
			if len(d) > 800 {
				d = d[:800] + "..."
			}
			c.Detail = append(c.Detail, n+": "+d)
		}
		for _, f := range r.Files {
			m, bytes := markers(b, f)
			c.Markers += m
			c.MarkerBytes += bytes
		}
	}
	return c
}

// markers counts the `supervise: dropped N bytes (...)` lines of one file.
func markers(b *box, file string) (int, int64) {
	rc, err := archive.Open(file)
	if err != nil {
		b.t.Fatalf("open %s: %v", file, err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var n int
	var sum int64
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "supervise: dropped ") {
			continue
		}
		if m := dropMarker.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			n++
			sum += v
		}
	}
	if err := sc.Err(); err != nil {
		b.t.Fatalf("read %s: %v", file, err)
	}
	return n, sum
}

// droppedBytes sums dropped_bytes of `ctl status --json` over services.
func droppedBytes(st map[string]svcStatus, names ...string) int64 {
	var sum int64
	for _, n := range names {
		sum += st[n].DroppedBytes
	}
	return sum
}
