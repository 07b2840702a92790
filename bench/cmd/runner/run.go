package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/bench/internal/numbered"
	"github.com/supervise/supervise/internal/control"
)

// result is one contestant's measurements in one round.
type result struct {
	Round int `json:"round"`
	// WallS: gen's first byte until every line is in files (the logger
	// or supervisor has exited, or supervisord's files hold every byte).
	WallS float64 `json:"wall_s"`
	// WriterS: how long gen took to write everything, i.e. how long the
	// logger held the writer back.
	WriterS float64 `json:"writer_s"`
	// StartS: from exec of the contestant until gen started.
	StartS   float64 `json:"start_s"`
	CPUS     float64 `json:"cpu_s"`     // logger's own user+system; -1 without a logger
	SysS     float64 `json:"sys_s"`     // the system part
	PeakRSS  int64   `json:"peak_rss"`  // logger's VmHWM, bytes; -1 without a logger
	PeakAnon int64   `json:"peak_anon"` // logger's highest RssAnon, bytes
	// RefWallS is the wall time of the reference (gen | cat) run right
	// next to this one, so the ratio compares runs seconds apart, not a
	// round apart, on a machine whose load changes; 0 if none.
	RefWallS float64 `json:"ref_wall_s,omitempty"`
	// Uncompressed: archives still not compressed when the contestant
	// was done (only for compressed variants).
	Uncompressed int             `json:"uncompressed"`
	Check        numbered.Result `json:"check"`
	Intact       bool            `json:"intact"`
	Err          string          `json:"err,omitempty"`
}

// runOne runs contestant c once in a fresh directory and checks its log.
func (b *bench) runOne(c *contestant, round int) result {
	r := result{Round: round, CPUS: -1, PeakRSS: -1, PeakAnon: -1}
	dir := filepath.Join(b.dir, fmt.Sprintf("r%d-%s", round, slug(c.Name)))
	defer os.RemoveAll(dir)
	if err := b.measure(c, dir, &r); err != nil {
		r.Err = err.Error()
		return r
	}
	res, err := numbered.CheckLog(b.format, b.want(c), c.Opt, c.Layout, filepath.Join(dir, c.LogPath))
	if err != nil {
		r.Err = fmt.Sprintf("check: %v", err)
		return r
	}
	r.Check = res
	r.Intact = res.Intact(b.want(c))
	if c.Compressed {
		r.Uncompressed = countUncompressed(filepath.Join(dir, c.LogPath))
	}
	return r
}

// refWall runs the reference c once, without checking its lines (its own
// row does that), and returns its wall time.
func (b *bench) refWall(c *contestant, round int) float64 {
	var r result
	dir := filepath.Join(b.dir, fmt.Sprintf("r%d-pair-%s", round, slug(c.Name)))
	defer os.RemoveAll(dir)
	if err := b.measure(c, dir, &r); err != nil {
		return 0
	}
	return r.WallS
}

func (b *bench) want(c *contestant) uint64 {
	return numbered.NewStream(b.format, c.Tqdm).Lines(b.size)
}

func (b *bench) measure(c *contestant, dir string, r *result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if c.Setup != nil {
		if err := c.Setup(dir); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	var (
		start time.Time
		done  time.Time
		log   exit
		err   error
	)
	switch c.Kind {
	case kindPipe:
		start, done, log, err = b.runPipe(c, dir)
	case kindSupervise:
		start, done, log, err = b.runSupervise(c, dir)
	case kindSupervisord:
		start, done, log, err = b.runSupervisord(c, dir)
	}
	if err != nil {
		return err
	}
	gs, ge, err := readStamp(filepath.Join(dir, "gen.stamp"))
	if err != nil {
		return err
	}
	r.WallS = done.Sub(gs).Seconds()
	r.WriterS = ge.Sub(gs).Seconds()
	r.StartS = gs.Sub(start).Seconds()
	if c.Logger != nil || c.Kind != kindPipe {
		r.CPUS, r.SysS = log.CPU.Seconds(), log.SysCPU.Seconds()
		r.PeakRSS, r.PeakAnon = log.PeakRSS, log.PeakAnon
	}
	return nil
}

func (b *bench) runPipe(c *contestant, dir string) (start, done time.Time, log exit, err error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer devnull.Close()
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return
	}
	defer errf.Close()
	start = time.Now()
	if c.Logger == nil {
		var out *os.File
		out, err = os.Create(filepath.Join(dir, "out"))
		if err != nil {
			return
		}
		var gen *proc
		gen, err = spawn(b.genArgs(c, dir), dir, [3]*os.File{devnull, out, errf}, os.Environ())
		out.Close()
		if err != nil {
			return
		}
		var ge exit
		ge, err = b.waitFor(gen, "gen", dir)
		return start, ge.At, log, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return
	}
	if c.PipeSize > 0 {
		if _, err = unix.FcntlInt(pr.Fd(), unix.F_SETPIPE_SZ, c.PipeSize); err != nil {
			pr.Close()
			pw.Close()
			return start, done, log, fmt.Errorf("F_SETPIPE_SZ: %w", err)
		}
	}
	out := devnull
	if c.ToFile {
		if out, err = os.Create(filepath.Join(dir, "out")); err != nil {
			return
		}
		defer out.Close()
	}
	if c.Wrap {
		pr.Close()
		pw.Close()
		var w *proc
		w, err = spawn(append(c.Logger(dir), b.genArgs(c, dir)...), dir, [3]*os.File{devnull, out, errf}, os.Environ())
		if err != nil {
			return
		}
		log, err = b.waitFor(w, filepath.Base(c.Logger(dir)[0]), dir)
		return start, log.At, log, err
	}
	logger, err := spawn(c.Logger(dir), dir, [3]*os.File{pr, out, errf}, os.Environ())
	pr.Close()
	if err != nil {
		pw.Close()
		return
	}
	gen, err := spawn(b.genArgs(c, dir), dir, [3]*os.File{devnull, pw, errf}, os.Environ())
	pw.Close()
	if err != nil {
		logger.signal(syscall.SIGKILL)
		logger.wait()
		return
	}
	_, genErr := b.waitFor(gen, "gen", dir)
	log, err = b.waitFor(logger, filepath.Base(c.Logger(dir)[0]), dir)
	if err == nil {
		err = genErr
	}
	return start, log.At, log, err
}

func (b *bench) runSupervise(c *contestant, dir string) (start, done time.Time, log exit, err error) {
	conf := filepath.Join(dir, "supervise.conf")
	if err = os.WriteFile(conf, []byte(b.superviseConf(c, dir)), 0o644); err != nil {
		return
	}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return
	}
	defer devnull.Close()
	bin := b.bin
	if c.Bin != "" {
		bin = c.Bin
	}
	start = time.Now()
	p, err := spawn([]string{bin, "-c", conf}, dir, [3]*os.File{devnull, out, out}, os.Environ())
	if err != nil {
		return
	}
	if !c.Compressed {
		log, err = b.waitFor(p, "supervise", dir)
		return start, log.At, log, err
	}
	done, err = b.untilCompressed(c, dir, p)
	if serr := p.signal(syscall.SIGTERM); serr != nil && err == nil {
		err = serr
	}
	log, werr := b.waitFor(p, "supervise", dir)
	if err == nil {
		err = werr
	}
	return start, done, log, err
}

// untilCompressed returns when gen has exited and its output is drained
// (supervise reports the service "exited") and every archive is compressed.
func (b *bench) untilCompressed(c *contestant, dir string, p *proc) (time.Time, error) {
	deadline := p.start.Add(b.timeout)
	sock := filepath.Join(dir, "supervise.sock")
	stamp := filepath.Join(dir, "gen.stamp")
	live := filepath.Join(dir, c.LogPath)
	exited := false
	for {
		now := time.Now()
		if now.After(deadline) {
			return now, fmt.Errorf("supervise: not done compressing after %v", b.timeout)
		}
		if gone(p.pid) {
			return now, fmt.Errorf("supervise exited before compressing%s", tail(filepath.Join(dir, "stderr")))
		}
		if !exited {
			if _, err := os.Stat(stamp); err == nil {
				exited = serviceExited(sock, "gen")
			}
		}
		if exited && countUncompressed(live) == 0 && !hasTemp(filepath.Dir(live)) {
			return now, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serviceExited asks supervise whether the service has ended and its
// output is drained (state "exited").
func serviceExited(sock, name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := control.Do(ctx, sock, control.Request{Verb: "status", Args: []string{name}}, nil)
	if err != nil || !resp.OK {
		return false
	}
	for _, row := range resp.Status {
		if row.Name == name {
			return row.State == "exited"
		}
	}
	return false
}

func hasTemp(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			return true
		}
	}
	return false
}

func (b *bench) runSupervisord(c *contestant, dir string) (start, done time.Time, log exit, err error) {
	conf := filepath.Join(dir, "supervisord.conf")
	if err = os.WriteFile(conf, []byte(b.supervisordConf(c, dir)), 0o644); err != nil {
		return
	}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return
	}
	defer devnull.Close()
	start = time.Now()
	p, err := spawn([]string{b.tool("supervisord"), "-n", "-c", conf}, dir, [3]*os.File{devnull, out, out}, os.Environ())
	if err != nil {
		return
	}
	// Done when the files hold every byte gen writes, seen twice so a
	// listing taken mid-rotation cannot count a file twice.
	wantBytes := int64(b.want(c)) * int64(b.lineLen)
	deadline := start.Add(b.timeout)
	seen := 0
	for seen < 2 {
		if time.Now().After(deadline) {
			err = fmt.Errorf("supervisord: log files short of %d bytes after %v", wantBytes, b.timeout)
			break
		}
		if logBytes(dir, "gen.log") >= wantBytes {
			seen++
			if seen == 1 {
				done = time.Now()
			}
		} else {
			seen = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
	if serr := p.signal(syscall.SIGTERM); serr != nil && err == nil {
		err = serr
	}
	log, werr := b.waitFor(p, "supervisord", dir)
	if err == nil {
		err = werr
	}
	return start, done, log, err
}

// waitFor waits for p, killing it and everything it started when the run
// exceeds the timeout. The error includes the tail of dir/stderr.
func (b *bench) waitFor(p *proc, name, dir string) (exit, error) {
	timer := time.AfterFunc(time.Until(p.start.Add(b.timeout)), func() { killTree(p.pid) })
	defer timer.Stop()
	e, err := p.wait()
	if err == nil {
		err = e.err()
	}
	if err != nil {
		return e, fmt.Errorf("%s: %w%s", name, err, tail(filepath.Join(dir, "stderr")))
	}
	return e, nil
}

func readStamp(path string) (time.Time, time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("gen did not finish: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return time.Time{}, time.Time{}, fmt.Errorf("gen stamp %q: want two times", b)
	}
	s, err1 := strconv.ParseInt(f[0], 10, 64)
	e, err2 := strconv.ParseInt(f[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("gen stamp: %w", err)
	}
	return time.Unix(0, s), time.Unix(0, e), nil
}

// logBytes sums the sizes of base and its archives in dir.
func logBytes(dir, base string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), base) {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// countUncompressed counts archives of the live file path that are neither
// .gz nor .zst.
func countUncompressed(path string) int {
	files, err := numbered.Files(numbered.Numbered, path)
	if err != nil {
		return -1
	}
	n := 0
	for _, f := range files {
		if f != path && !strings.HasSuffix(f, ".gz") && !strings.HasSuffix(f, ".zst") {
			n++
		}
	}
	return n
}

// tail returns the last lines of a file for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return "; stderr: " + strings.TrimSpace(string(b))
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
