package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Crontab converts user crontabs (5 fields + command) and system crontabs
// (/etc/crontab, /etc/cron.d: 5 fields + user + command) into one
// [service cron-N-NAME] per job. It fails only when a file cannot be read.
func Crontab(files []string) (*Conf, error) {
	c := newConf()
	c.Header = []string{
		"Converted by `supervise import crontab` from " + strings.Join(files, " ") + ".",
		"Review every \"# not converted:\" line. A job's output goes to its log",
		"({log_dir}/NAME.log) instead of mail; schedules use supervise's local time (TZ).",
	}
	n := 0
	for _, f := range files {
		data, err := readInput(f)
		if err != nil {
			return nil, fmt.Errorf("crontab: %w", err)
		}
		n = convertCrontab(c, f, string(data), n)
	}
	c.hoistNotes()
	return c, nil
}

var (
	cronEnvLine = regexp.MustCompile(`^\s*("?[A-Za-z_][A-Za-z0-9_]*"?)\s*=\s*(.*)$`)
	cronField   = regexp.MustCompile(`^[0-9A-Za-z*/,\-]+$`)
)

type cronJob struct {
	line     int
	schedule string // ours, or "" for @reboot
	reboot   bool
	user     string
	command  string // as written in the crontab
}

// convertCrontab adds the jobs of one file; n is the number of jobs so far.
func convertCrontab(c *Conf, file, text string, n int) int {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	system := isSystemCrontab(file, lines)
	var env []envPair
	shell := "sh"
	top := c.Supervise
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, i+1)
		if m := cronEnvLine.FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "@") {
			key := strings.Trim(m[1], `"`)
			val := cronEnvValue(m[2])
			switch key {
			case "MAILTO", "MAILFROM":
				if val != "" {
					top.Note("%s: %s=%s: supervise mails nothing; job output goes to each job's log (alert with event_command, docs/alerts.md)", where, key, val)
				}
				continue
			case "SHELL":
				shell = val
				continue
			case "CRON_TZ":
				top.Note("%s: CRON_TZ=%s: schedules use supervise's TZ; set TZ for supervise instead", where, val)
				continue
			case "RANDOM_DELAY":
				top.Note("%s: RANDOM_DELAY=%s: no random delay", where, val)
				continue
			}
			env = append(env, envPair{Key: key, Value: val})
			continue
		}
		job, err := parseCronLine(line, system)
		if err != nil {
			top.Note("%s: %v: %s", where, err, line)
			continue
		}
		job.line = i + 1
		n++
		addCronJob(c, file, job, n, env, shell)
	}
	return n
}

// cronEnvValue strips the quotes cron strips; cron expands nothing.
func cronEnvValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

// isSystemCrontab: /etc/crontab and files in a cron.d directory have a user
// field; so does a file whose every job line has a plausible user name in
// the sixth field followed by a command.
func isSystemCrontab(file string, lines []string) bool {
	if filepath.Base(file) == "crontab" && filepath.Base(filepath.Dir(file)) == "etc" ||
		filepath.Base(filepath.Dir(file)) == "cron.d" {
		return true
	}
	jobs := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || cronEnvLine.MatchString(l) && !strings.HasPrefix(l, "@") {
			continue
		}
		f := strings.Fields(l)
		idx := 5
		if strings.HasPrefix(l, "@") {
			idx = 1
		}
		if len(f) <= idx+1 || !knownUser(f[idx]) {
			return false
		}
		jobs++
	}
	return jobs > 0
}

func knownUser(u string) bool {
	switch u {
	case "root", "www-data", "nobody", "daemon", "postgres", "mysql", "redis", "nginx", "apache", "jovyan", "ubuntu", "app", "celery", "django", "git", "backup", "syslog", "mail", "news", "operator":
		return true
	}
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && name == u && u != "" {
			return true
		}
	}
	return false
}

var cronNicknames = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "@weekly", "@daily": "@daily", "@midnight": "@daily", "@hourly": "@hourly",
}

func parseCronLine(line string, system bool) (cronJob, error) {
	var job cronJob
	rest := line
	if strings.HasPrefix(line, "@") {
		nick, r := line, ""
		if i := strings.IndexAny(line, " \t"); i > 0 {
			nick, r = line[:i], line[i:]
		}
		nick = strings.ToLower(nick)
		if nick == "@reboot" {
			job.reboot = true
		} else if s, ok := cronNicknames[nick]; ok {
			job.schedule = s
		} else {
			return job, fmt.Errorf("unknown schedule %s", nick)
		}
		rest = strings.TrimSpace(r)
	} else {
		f, r := splitFields(line, 5)
		if len(f) < 5 {
			return job, fmt.Errorf("not a cron job (five time fields and a command)")
		}
		for _, x := range f {
			if !cronField.MatchString(x) {
				return job, fmt.Errorf("time field %q is not cron syntax", x)
			}
		}
		f[4] = normalizeDow(f[4])
		job.schedule = strings.Join(f, " ")
		rest = r
	}
	if system {
		f, r := splitFields(rest, 1)
		if len(f) < 1 {
			return job, fmt.Errorf("no user field")
		}
		job.user, rest = f[0], r
	}
	if strings.TrimSpace(rest) == "" {
		return job, fmt.Errorf("no command")
	}
	job.command = strings.TrimSpace(rest)
	return job, nil
}

// splitFields takes n blank-separated fields off the front of s.
func splitFields(s string, n int) ([]string, string) {
	var f []string
	s = strings.TrimLeft(s, " \t")
	for len(f) < n && s != "" {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			f = append(f, s)
			s = ""
			break
		}
		f = append(f, s[:i])
		s = strings.TrimLeft(s[i:], " \t")
	}
	return f, s
}

// normalizeDow writes Sunday as 0: cron also accepts 7 (5-7 is Fri-Sun).
func normalizeDow(f string) string {
	var out []string
	for _, item := range strings.Split(f, ",") {
		base, _, hasStep := strings.Cut(item, "/")
		switch {
		case base == "7":
			out = append(out, "0")
			continue
		case strings.HasSuffix(base, "-7") && !hasStep:
			lo := strings.TrimSuffix(base, "-7")
			if lo == "6" {
				out = append(out, "6", "0")
			} else if n, err := strconv.Atoi(lo); err == nil && n >= 0 && n < 6 {
				out = append(out, lo+"-6", "0")
			} else {
				out = append(out, item)
			}
			continue
		}
		out = append(out, item)
	}
	return strings.Join(out, ",")
}

func addCronJob(c *Conf, file string, job cronJob, n int, env []envPair, shell string) {
	sec := c.NewSection("service", fmt.Sprintf("cron-%d-%s", n, cronJobName(job.command)))
	sec.Comment("%s:%d", file, job.line)
	cmd, stdin, hasStdin := cronPercent(job.command)
	if hasStdin {
		sec.Comment("unescaped %% in the command: cron feeds the text after it as stdin (each %% a newline), converted to printf ... |; if a literal %% was meant, write \\%% in the crontab")
	}
	script := cmd
	if hasStdin {
		// The newlines travel as printf escapes: a config value is one line.
		format := strings.NewReplacer("\\", "\\\\", "%", "%%", "\n", "\\n").Replace(stdin)
		script = "printf " + shellQuote(format) + " | " + cmd
	}
	if shell != "" && shell != "/bin/sh" && shell != "sh" {
		sec.Comment("SHELL=%s", shell)
	}
	var command string
	if !hasStdin && isSimpleCommand(cmd) {
		command = cmd
	} else {
		shellPath := "sh"
		if shell != "/bin/sh" && shell != "sh" && shell != "" {
			shellPath = shell
		}
		command = shellPath + " -c " + shellQuote(script)
	}
	sec.Set("command", commandValue(command))
	if job.reboot {
		sec.Set("oneshot", "true")
		sec.Comment("@reboot: runs once when supervise starts (the container's boot)")
	} else {
		sec.Set("schedule", value(job.schedule))
	}
	if job.user != "" {
		sec.Set("user", value(job.user))
	}
	for _, p := range env {
		if !validEnvKey(p.Key) {
			sec.Note("environment %s=%s: %q is not a variable name supervise accepts (letters, digits, _)", p.Key, p.Value, p.Key)
			continue
		}
		sec.Set("env", envLine(p.Key, p.Value))
	}
}

// cronPercent applies cron's rule: the first unescaped % ends the command
// and the rest is stdin, with every further unescaped % a newline; \% is a
// literal %.
func cronPercent(s string) (cmd, stdin string, has bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if c == '%' {
			if !has {
				cmd = b.String()
				b.Reset()
				has = true
				continue
			}
			b.WriteByte('\n')
			continue
		}
		b.WriteByte(c)
	}
	if !has {
		return b.String(), "", false
	}
	return strings.TrimSpace(cmd), b.String(), true
}

// isSimpleCommand: plain words that sh and our command splitter read alike,
// so no shell is needed.
func isSimpleCommand(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 || strings.Contains(f[0], "=") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" _-./:,=+@", r)) {
			return false
		}
	}
	return true
}

var interpreters = map[string]bool{
	"python": true, "python3": true, "python2": true, "php": true, "node": true, "ruby": true, "perl": true,
	"bash": true, "sh": true, "Rscript": true, "java": true, "uv": true, "poetry": true,
}

// cronJobName picks a readable name for a job from its command: the program
// or script it runs (past cd, tests and wrappers such as flock), with the
// subcommand of manage.py/artisan-style tools.
func cronJobName(cmd string) string {
	for _, part := range simpleCommands(cmd) {
		words := dropRedirections(shellWords(part))
		condition := false
		for len(words) > 0 && (isShellKeyword(words[0]) || words[0] == "then" || words[0] == "fi") {
			condition = condition || words[0] == "if" || words[0] == "elif" || words[0] == "while"
			words = words[1:]
		}
		if condition {
			continue
		}
		if name := programName(words); name != "" {
			name = sanitizeName(name)
			if len(name) > 40 {
				name = name[:40]
			}
			return name
		}
	}
	return "job"
}

// programName names what a simple command runs, or "" for cd, tests and
// the like.
func programName(words []string) string {
	for i := 0; i < len(words); i++ {
		w := unquote(words[i])
		base := filepath.Base(w)
		switch {
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-"):
			continue // VAR=value before the program
		case base == "cd" || base == "test" || base == "[" || base == "[[" || base == "true" || base == "exit" || base == "echo":
			return ""
		case base == "sudo" || base == "nice" || base == "ionice" || base == "env" || base == "exec" ||
			base == "chronic" || base == "run-one" || base == "nohup" || base == "time":
			// Their options, and the values of options (nice -n 19).
			for i+1 < len(words) && (strings.HasPrefix(words[i+1], "-") || isNumber(words[i+1])) {
				i++
			}
			continue
		case base == "flock" || base == "timeout":
			for i+1 < len(words) && strings.HasPrefix(words[i+1], "-") {
				i++
			}
			i++ // the lock file or the duration
			continue
		case interpreters[base]:
			for i+1 < len(words) && strings.HasPrefix(words[i+1], "-") && words[i+1] != "-m" {
				if words[i+1] == "-c" || words[i+1] == "-e" {
					return "" // inline code says little; look further
				}
				i++
			}
			if i+2 < len(words) && words[i+1] == "-m" {
				return words[i+2]
			}
			continue
		}
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, ".sh"), ".py"), ".php")
		rest := words[i+1:]
		switch base {
		case "run-parts":
			for _, a := range rest {
				if !strings.HasPrefix(a, "-") {
					return filepath.Base(unquote(a))
				}
			}
		case "manage.py", "artisan", "console", "rake":
			if len(rest) > 0 {
				return name + "-" + unquote(rest[0])
			}
		}
		return name
	}
	return ""
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
