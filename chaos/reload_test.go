//go:build chaos

package chaos

import (
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supervise/supervise/internal/config"
)

// TestConfigAbuse: reload (HUP and `ctl reload`, in turn) with many
// configs: the fuzz corpus of internal/config and random mutations of the
// running config, valid and invalid. An invalid one must change nothing
// and be refused; a valid one must be applied; supervise must keep
// answering, and the writer whose section is never mutated must lose no
// line. Valid configs that would run other programs or write outside the
// box (corpus entries name /data, postgres, ...) are not applied: this
// runs as root.
func TestConfigAbuse(t *testing.T) {
	b := newBox(t)
	n := 100
	if *soakFlag > 0 {
		n = 1000
	}
	// g1's own section pins every log key, so that [defaults] mutations
	// cannot change what its lines look like.
	g1 := b.genService("g1", 4000, 0, 200,
		[2]string{"log", filepath.Join(b.logDir, "g1.log")}, [2]string{"max_line", "64K"},
		[2]string{"timestamps", "none"}, [2]string{"strip_ansi", "false"}, [2]string{"progress", "keep"},
		[2]string{"stderr", "merge"}, [2]string{"console", "false"})
	sleepers := []service{
		{name: "sleeper1", keys: [][2]string{{"command", "sleep 100000"}}},
		{name: "sleeper2", keys: [][2]string{{"command", "sleep 100000"}, {"after", "sleeper1"}}},
	}
	head := b.config(nil, sleepers)
	g1Text := b.config(nil, []service{g1})
	g1Text = g1Text[strings.Index(g1Text, "[service g1]"):]
	baseText := head + "\n" + g1Text
	b.start(baseText)
	// sleeper2 starts only once sleeper1 has run for start_secs: take the
	// baseline with all three running.
	waitFor(t, 30*time.Second, "ctl health", func() (bool, string) {
		r := b.ctl("health")
		return r.code == 0, r.stdout + r.stderr
	})
	base := b.baseline()
	// replay.txt and the config-NNNN.conf files let chaos/replay-reload.sh
	// repeat a failed run step by step.
	replay, err := os.Create(filepath.Join(b.dir, "replay.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	if err := os.WriteFile(filepath.Join(b.dir, "base.conf"), []byte(baseText), 0o644); err != nil {
		t.Fatal(err)
	}

	corpus := readCorpus(t, filepath.Join(repoRoot, "internal", "config", "testdata", "fuzz", "FuzzParse"))
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var valid, invalid, unsafe, hups, wrongAnswer int
	for i := 0; i < n; i++ {
		var text string
		switch {
		case i < len(corpus):
			text = corpus[i] + "\n" + g1Text
		case rng.IntN(5) == 0 && len(corpus) > 0:
			text = mutate(rng, corpus[rng.IntN(len(corpus))], b.dir) + "\n" + g1Text
		default:
			text = mutate(rng, head, b.dir) + "\n" + g1Text
		}
		b.writeConfig(text)
		// Every config tried is kept with the box, so a failure can be replayed.
		_ = os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("config-%04d.conf", i)), []byte(text), 0o644)
		cfg, err := config.Load(b.conf)
		if err == nil {
			if why := b.unsafe(cfg); why != "" {
				unsafe++
				fmt.Fprintf(replay, "%04d skip %s\n", i, why)
				continue
			}
			valid++
		} else {
			invalid++
		}
		if i%3 == 2 {
			hups++
			fmt.Fprintf(replay, "%04d hup\n", i)
			if err := syscall.Kill(b.pid1, syscall.SIGHUP); err != nil {
				t.Fatalf("HUP: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		fmt.Fprintf(replay, "%04d ctl\n", i)
		r := b.ctl("reload")
		want := 0
		if err != nil {
			want = 1
		}
		if r.code != want {
			wrongAnswer++
			t.Errorf("config %d (valid=%v): ctl reload exit %d, want %d: %s\n--- config ---\n%s", i, err == nil, r.code, want, r.stderr, text)
		}
		if b.exited() {
			t.Fatalf("supervise exited during reload of config-%04d.conf\n%s", i, b.tail("supervise.stderr", 30))
		}
	}
	// Back to the base config: everything of it must run again.
	b.writeConfig(baseText)
	if r := b.ctl("reload"); r.code != 0 {
		t.Fatalf("reload of the base config: exit %d: %s", r.code, r.stderr)
	}
	waitFor(t, 30*time.Second, "the base services to run", func() (bool, string) {
		st := b.status()
		var bad []string
		for _, n := range []string{"sleeper1", "sleeper2", "g1"} {
			if st[n].State != "running" {
				bad = append(bad, n+"="+st[n].State)
			}
		}
		if len(st) != 3 {
			bad = append(bad, fmt.Sprintf("%d services", len(st)))
		}
		return len(bad) == 0, strings.Join(bad, " ")
	})
	expect := b.waitDone(90*time.Second, "g1")
	st := b.status()
	p := b.healthy(base, 2, 2, 150)
	b.stop()
	c := b.checkLogs(expect, "g1")
	report(t, map[string]any{
		"injected": fmt.Sprintf("%d configs (%d from the FuzzParse corpus, the rest mutated): %d valid applied, %d invalid, %d valid but unsafe as root (skipped); %d by HUP, the rest by ctl reload",
			n, len(corpus), valid, invalid, unsafe, hups),
		"wrong_answers": wrongAnswer, "g1_restarts": st["g1"].Restarts, "check": c,
		"fds_before": base.FDs, "fds_after": p.FDs, "goroutines_before": base.Goroutines, "goroutines_after": p.Goroutines,
		"rss_peak_kib": p.HWMKiB,
	})
	// g1 restarts when a mutation changes [defaults] process keys; each run
	// has streams of its own, so restarts cost no line.
	if !c.ok() {
		t.Errorf("log check: %v", c.Detail)
	}
}

// readCorpus decodes `go test fuzz v1` files of one []byte argument.
func readCorpus(t *testing.T, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 2)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" {
			continue
		}
		lit := strings.TrimSpace(lines[1])
		lit, ok := strings.CutPrefix(lit, "[]byte(")
		if !ok || !strings.HasSuffix(lit, ")") {
			continue
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			continue
		}
		out = append(out, s)
	}
	t.Logf("FuzzParse corpus: %d entries from %s", len(out), dir)
	return out
}

// unsafe says why a valid config must not be applied as root here, or "".
func (b *box) unsafe(cfg *config.Config) string {
	under := func(p string) bool { return p == b.dir || strings.HasPrefix(p, b.dir+"/") }
	s := cfg.Supervise
	switch {
	case s.Control != b.sock:
		return "control moved"
	case s.Metrics != b.metrics:
		return "metrics moved"
	case !under(s.LogDir):
		return "log_dir outside"
	case len(s.EventCommand) > 0:
		return "event_command"
	}
	allowed := []string{selfExe, "sleep", "/bin/sleep", "/usr/bin/sleep", "true", "/bin/true", "false", "/bin/false"}
	for _, svc := range cfg.Services {
		if len(svc.Command) == 0 || !slices.Contains(allowed, svc.Command[0]) {
			return "command " + strings.Join(svc.Command, " ")
		}
		if svc.Log.Mode == config.LogFile && !under(svc.Log.Path) {
			return "log outside: " + svc.Log.Path
		}
		if (svc.Directory != "" && !under(svc.Directory)) || (svc.EnvFile != "" && !under(svc.EnvFile)) {
			return "directory or env_file outside"
		}
	}
	for _, l := range cfg.Logfiles {
		if !under(l.Path) {
			return "logfile outside: " + l.Path
		}
	}
	return ""
}

// mutate applies one to three random edits to a config text: lines
// deleted, duplicated or swapped, values and keys replaced, sections and
// snippets inserted, bytes flipped, the text cut short.
func mutate(rng *mrand.Rand, text, dir string) string {
	values := []string{"0", "-1", "1", "abc", "1h", "99999999999999999999", "", "${NOPE}", "${NOPE:-2}", "'unterminated",
		"\"quoted value\"", "4K", "100%", "150%", "never", "always", "true", "maybe", "*/5 * * * *", "@every 1s", "sleep 1000",
		"TERM", "SIGBOGUS", "zstd", "separate", "console", "off", "all", "0,1", "nobody", "65534:65534", "a,b,c"}
	snippets := []string{"[service extra%d]\ncommand = sleep 1000", "[service extra%d]\ncommand = true\noneshot = true",
		"[service cron%d]\ncommand = true\nschedule = @every 1s", "[logfile lf%d]\npath = " + dir + "/log/*.other",
		"keep = 0", "rotate_size = 4K", "compress = zstd", "timestamps = rfc3339", "[defaults]", "[supervise]",
		"garbage line", "= novalue", "[service bad name]", "after = nope", "[service]", "restart = sometimes",
		"max_line = 1", "rotate_every = hourly", "dateext = true", "env = A=1", "env_file = " + dir + "/missing.env",
		"gpus = all", "user = nobody", "stop_signal = USR1", "backoff = 0s", "kep = 3", "[service extra%d]"}
	for ops := 1 + rng.IntN(3); ops > 0; ops-- {
		lines := strings.Split(text, "\n")
		i := rng.IntN(len(lines))
		switch rng.IntN(8) {
		case 0:
			lines = slices.Delete(lines, i, i+1)
		case 1:
			lines = slices.Insert(lines, i, lines[i])
		case 2:
			j := rng.IntN(len(lines))
			lines[i], lines[j] = lines[j], lines[i]
		case 3:
			if k, _, ok := strings.Cut(lines[i], "="); ok {
				lines[i] = k + "= " + values[rng.IntN(len(values))]
			}
		case 4:
			if k, v, ok := strings.Cut(lines[i], "="); ok && len(strings.TrimSpace(k)) > 1 {
				k = strings.TrimSpace(k)
				j := rng.IntN(len(k))
				lines[i] = k[:j] + k[j+1:] + " =" + v
			}
		case 5:
			s := snippets[rng.IntN(len(snippets))]
			if strings.Contains(s, "%d") {
				s = fmt.Sprintf(s, rng.IntN(1000))
			}
			lines = slices.Insert(lines, i, s)
		case 6:
			t := []byte(strings.Join(lines, "\n"))
			if len(t) > 0 {
				t[rng.IntN(len(t))] = byte(rng.IntN(256))
			}
			lines = strings.Split(string(t), "\n")
		case 7:
			t := strings.Join(lines, "\n")
			lines = strings.Split(t[:rng.IntN(len(t)+1)], "\n")
		}
		text = strings.Join(lines, "\n")
	}
	return text
}

// TestReloadRemovesLeadingCron is the smallest config sequence found by
// TestConfigAbuse that crashes supervise (docs/reliability.md, F2): a
// reload adds a cron job as the first section, the next one removes it.
func TestReloadRemovesLeadingCron(t *testing.T) {
	b := newBox(t)
	sleeper := []service{{name: "s", keys: [][2]string{{"command", "sleep 100000"}}}}
	base := b.config(nil, sleeper)
	cron := "[service cron1]\ncommand = true\nschedule = @every 1s\n\n" + base
	b.start(base)
	for i, text := range []string{cron, base, base} {
		b.writeConfig(text)
		r := b.ctl("reload")
		if b.exited() || r.code != 0 {
			time.Sleep(200 * time.Millisecond)
			t.Fatalf("reload %d: exit %d (%s); supervise exited: %v\n%s", i, r.code, strings.TrimSpace(r.stderr), b.exited(), b.tail("supervise.stderr", 12))
		}
	}
	// s may still be inside its start_secs: wait for running, bounded.
	st := b.status()
	for deadline := time.Now().Add(10 * time.Second); st["s"].State == "starting" && time.Now().Before(deadline); st = b.status() {
		time.Sleep(100 * time.Millisecond)
	}
	if st["s"].State != "running" || len(st) != 1 {
		t.Fatalf("after the reloads: %+v", st)
	}
}
