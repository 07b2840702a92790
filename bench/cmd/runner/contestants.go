package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervise/supervise/bench/internal/numbered"
)

// kind is how a contestant is run and when it is done.
type kind int

const (
	// kindPipe: gen | logger (or gen > file without a logger); done when
	// both have exited.
	kindPipe kind = iota
	// kindSupervise: supervise runs gen as its main service and exits
	// when gen has ended and its output is written.
	kindSupervise
	// kindSupervisord: supervisord runs gen as a program and keeps
	// running; done when every byte is in the log files, then stopped.
	kindSupervisord
)

// contestant is one way of getting gen's output into files.
type contestant struct {
	Name  string
	Kind  kind
	Tqdm  int  // gen --tqdm
	TTY   bool // supervise runs gen on a pty
	Peer  bool // another logger, compared with supervise
	Group string

	// Logger is the logger's argv for kindPipe (nil: gen > file); dir is
	// the contestant's scratch directory.
	Logger func(dir string) []string
	// ToFile: the logger's stdout goes to dir/out (cat); else /dev/null.
	ToFile bool
	// PipeSize, when set, is given to the pipe with F_SETPIPE_SZ.
	PipeSize int
	// Wrap: the logger runs gen itself (ptycat gen ...) instead of
	// reading it from a pipe.
	Wrap bool
	// Setup prepares dir before the run (svlogd's config file).
	Setup func(dir string) error
	// Keys are the supervise service keys that make this variant.
	Keys []string
	// Bin overrides --bin (the --compare rows).
	Bin string

	Layout  numbered.Layout
	LogPath string // relative to dir
	Opt     numbered.Options
	// Compressed: archives should end up .gz or .zst.
	Compressed bool
	// Ref is the contestant whose throughput is 1.0 for this one.
	Ref string
	// Alt is a second reference shown in the notes (the pty limit).
	Alt string
}

const (
	refCat  = "gen | cat > file"
	refTqdm = "gen --tqdm | cat > file"
	refPty  = "ptycat gen > file"
)

// contestants lists every contestant of one round, in the order run.
func contestants(b *bench) []*contestant {
	rot := fmt.Sprint(b.rotate)
	tai := func(name, group string, logger func(dir string) []string, prefixed bool) *contestant {
		return &contestant{Name: name, Kind: kindPipe, Peer: true, Group: group, Logger: logger,
			Layout: numbered.TAI64, LogPath: "log", Opt: numbered.Options{Prefixed: prefixed}, Ref: refCat}
	}
	svlogdSetup := func(dir string) error {
		if err := os.MkdirAll(filepath.Join(dir, "log"), 0o755); err != nil {
			return err
		}
		conf := fmt.Sprintf("s%d\nn%d\n", b.rotate, keepArchives)
		return os.WriteFile(filepath.Join(dir, "log", "config"), []byte(conf), 0o644)
	}
	sup := func(name string, keys ...string) *contestant {
		return &contestant{Name: name, Kind: kindSupervise, Group: "supervise", Keys: keys,
			Layout: numbered.Numbered, LogPath: "log/gen.log", Ref: refCat}
	}
	plain := sup("supervise")
	ts := sup("supervise timestamps", "timestamps = rfc3339")
	ts.Opt.Prefixed = true
	gz := sup("supervise gzip", "compress = gzip")
	gz.Compressed = true
	zs := sup("supervise zstd", "compress = zstd")
	zs.Compressed = true
	collapse := sup("supervise collapse", "progress = collapse")
	collapse.Tqdm, collapse.Ref = tqdmUpdates, refTqdm
	collapse.Opt.FinalForm = true
	tty := sup("supervise tty", "tty = true")
	tty.TTY, tty.Alt = true, refPty
	tty.Opt.FinalForm = true // a pty turns "\n" into "\r\n"

	cs := []*contestant{
		{Name: "gen > file", Kind: kindPipe, Group: "limit", Layout: numbered.Single, LogPath: "out", Ref: refCat},
		{Name: refCat, Kind: kindPipe, Group: "limit", ToFile: true, Layout: numbered.Single, LogPath: "out", Ref: refCat,
			Logger: func(string) []string { return []string{b.tool("cat")} }},
		{Name: "gen | cat > file, 1 MiB pipe", Kind: kindPipe, Group: "limit", ToFile: true, PipeSize: 1 << 20,
			Layout: numbered.Single, LogPath: "out", Ref: refCat,
			Logger: func(string) []string { return []string{b.tool("cat")} }},
		{Name: refTqdm, Kind: kindPipe, Group: "limit", Tqdm: tqdmUpdates, ToFile: true, Layout: numbered.Single,
			LogPath: "out", Opt: numbered.Options{FinalForm: true}, Ref: refTqdm,
			Logger: func(string) []string { return []string{b.tool("cat")} }},
		{Name: refPty, Kind: kindPipe, Group: "limit", Wrap: true, ToFile: true, Layout: numbered.Single,
			LogPath: "out", Opt: numbered.Options{FinalForm: true}, Ref: refCat,
			Logger: func(string) []string { return []string{b.ptycat} }},
		tai("s6-log", "s6", func(dir string) []string {
			return []string{b.tool("s6-log"), "-b", fmt.Sprintf("n%d", keepArchives), "s" + rot, filepath.Join(dir, "log")}
		}, false),
		tai("s6-log t", "s6", func(dir string) []string {
			return []string{b.tool("s6-log"), "-b", fmt.Sprintf("n%d", keepArchives), "t", "s" + rot, filepath.Join(dir, "log")}
		}, true),
		withSetup(tai("svlogd", "runit", func(dir string) []string {
			return []string{b.tool("svlogd"), filepath.Join(dir, "log")}
		}, false), svlogdSetup),
		withSetup(tai("svlogd -tt", "runit", func(dir string) []string {
			return []string{b.tool("svlogd"), "-tt", filepath.Join(dir, "log")}
		}, true), svlogdSetup),
		tai("multilog", "daemontools", func(dir string) []string {
			return []string{b.tool("multilog"), "s" + rot, fmt.Sprintf("n%d", keepArchives), filepath.Join(dir, "log")}
		}, false),
		{Name: "supervisord", Kind: kindSupervisord, Peer: true, Group: "supervisor",
			Layout: numbered.Numbered, LogPath: "gen.log", Ref: refCat},
		plain, ts, gz, zs, collapse, tty,
	}
	if b.compare != "" {
		for _, c := range cs[len(cs)-6:] {
			alt := *c
			alt.Name, alt.Bin, alt.Group = c.Name+" [B]", b.compare, "supervise [B]"
			cs = append(cs, &alt)
		}
	}
	return cs
}

func withSetup(c *contestant, setup func(dir string) error) *contestant {
	c.Setup = setup
	return c
}

// keepArchives is far more archives than a run makes, so retention never
// deletes a line the checker looks for.
const keepArchives = 1000

// tqdmUpdates is how many progress states precede each line of the
// tqdm-like stream.
const tqdmUpdates = 4

// genArgs is gen's argv for contestant c writing into dir.
func (b *bench) genArgs(c *contestant, dir string) []string {
	args := []string{b.gen, "--size", b.sizeText, "--line", fmt.Sprint(b.lineLen), "--write", b.writeText}
	if c.Tqdm > 0 {
		args = append(args, "--tqdm", fmt.Sprint(c.Tqdm))
	}
	return append(args, "--stamp", filepath.Join(dir, "gen.stamp"))
}

// superviseConf is the services.conf that runs gen as supervise's main
// service with c's log keys.
func (b *bench) superviseConf(c *contestant, dir string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "[supervise]\ncontrol = %s\nlog_dir = %s\ndisk_min_free = 0\nshutdown_timeout = 120s\n\n",
		filepath.Join(dir, "supervise.sock"), filepath.Join(dir, "log"))
	fmt.Fprintf(&s, "[service gen]\ncommand = %s\nrestart = never\n", strings.Join(b.genArgs(c, dir), " "))
	if !c.Compressed {
		// supervise exits when gen has ended and its output is written.
		// With compression it must keep running until the archives are
		// compressed (it abandons compression at shutdown), so the runner
		// waits for that and then stops it.
		s.WriteString("main = true\n")
	}
	fmt.Fprintf(&s, "rotate_size = %d\nrotate_every = never\nkeep = %d\n", b.rotate, keepArchives)
	keys := c.Keys
	if !c.Compressed {
		keys = append([]string{"compress = none"}, keys...)
	}
	for _, k := range keys {
		s.WriteString(k + "\n")
	}
	return s.String()
}

// supervisordConf runs gen as a program of supervisord with rotation at the
// same size.
func (b *bench) supervisordConf(c *contestant, dir string) string {
	return fmt.Sprintf(`[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
user=root

[program:gen]
command=%[2]s
autostart=true
autorestart=false
startsecs=0
stdout_logfile=%[1]s/gen.log
stdout_logfile_maxbytes=%[3]d
stdout_logfile_backups=%[4]d
redirect_stderr=true
`, dir, strings.Join(b.genArgs(c, dir), " "), b.rotate, keepArchives)
}

// command is how the docs show the contestant, with DIR for its directory.
func (b *bench) command(c *contestant) string {
	dir := "DIR"
	gen := strings.Join(b.genArgs(c, dir), " ")
	gen = strings.Replace(gen, b.gen, "gen", 1)
	switch c.Kind {
	case kindSupervise:
		keys := c.Keys
		if !c.Compressed {
			keys = append([]string{"compress = none"}, keys...)
		}
		cmd := "supervise -c DIR/supervise.conf  # [service gen] restart = never; main = true"
		if c.Compressed {
			cmd = "supervise -c DIR/supervise.conf  # [service gen] restart = never (no main: stopped with SIGTERM once every archive is compressed)"
		}
		return cmd + "; " + strings.Join(keys, "; ")
	case kindSupervisord:
		return fmt.Sprintf("supervisord -n -c DIR/supervisord.conf  # [program:gen] command=%s, stdout_logfile_maxbytes=%d, stdout_logfile_backups=%d", gen, b.rotate, keepArchives)
	}
	if c.Logger == nil {
		return gen + " > DIR/out"
	}
	logger := c.Logger(dir)
	logger[0] = filepath.Base(logger[0])
	cmd := gen + " | " + strings.Join(logger, " ")
	if c.Wrap {
		cmd = strings.Join(logger, " ") + " " + gen
	}
	if c.ToFile {
		cmd += " > DIR/out"
	}
	if c.PipeSize > 0 {
		cmd += fmt.Sprintf("   # the pipe enlarged to %s with F_SETPIPE_SZ, as supervise does", sizeText(int64(c.PipeSize)))
	}
	if c.Setup != nil {
		cmd += fmt.Sprintf("   # DIR/log/config: s%d n%d", b.rotate, keepArchives)
	}
	return cmd
}
