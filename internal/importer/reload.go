package importer

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/supervise/supervise/pkg/signals"
)

// reload is what a postrotate script does to make a daemon reopen its log:
// send Signal to the service named Service.
type reload struct {
	Service string
	Signal  string // short name: HUP, USR1
	From    string // the command it was read from
	Guess   bool   // the signal is what that daemon usually takes, not written out
}

// reopenSignal is the signal that makes well-known daemons reopen their
// logs, for scripts that name a daemon instead of a signal
// (systemctl reload nginx, invoke-rc.d rsyslog rotate).
func reopenSignal(daemon string) (string, bool) {
	d := strings.TrimSuffix(daemon, ".service")
	switch {
	case d == "nginx", d == "apache2", d == "httpd", d == "gunicorn", d == "unicorn", d == "squid",
		strings.HasPrefix(d, "php") && strings.HasSuffix(d, "-fpm"):
		return "USR1", true
	case d == "rsyslog", d == "rsyslogd", d == "syslog-ng", d == "syslogd", d == "postgresql", d == "postgres", d == "haproxy", d == "sshd", d == "cron":
		return "HUP", true
	}
	return "HUP", false
}

// detectReloads reads a postrotate script. It returns the reloads it
// recognises and the commands it does not (tests such as `[ -f PIDFILE ]`
// and no-ops such as `true` are neither).
func detectReloads(script string) (found []reload, unknown []string) {
	for _, cmd := range simpleCommands(script) {
		words := shellWords(cmd)
		words = dropRedirections(words)
		condition := false
		for len(words) > 0 && isShellKeyword(words[0]) {
			switch words[0] {
			case "if", "elif", "while", "until":
				condition = true
			}
			words = words[1:]
		}
		if len(words) == 0 || condition {
			// A condition only decides whether the reload runs.
			continue
		}
		prog := filepath.Base(words[0])
		switch prog {
		case "test", "[", "[[", "true", ":", "exit", "sleep", "echo", "fi", "done", "esac", "]", "logger":
			continue
		}
		if strings.Contains(words[0], "/init.d/") && len(words) >= 2 {
			if r, ok := daemonAction(prog, words[1]); ok {
				r.From = cmd
				found = append(found, r)
				continue
			}
		}
		if r, ok := recognize(prog, words[1:]); ok {
			r.From = cmd
			found = append(found, r)
			continue
		}
		unknown = append(unknown, cmd)
	}
	return found, unknown
}

func isShellKeyword(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "do", "while", "until", "{", "}", "!", "(", ")", "sudo", "exec", "command", "nice":
		return true
	}
	return false
}

var (
	phpReopen = regexp.MustCompile(`^(php[0-9.]*-fpm)-reopenlogs$`)
	subCat    = regexp.MustCompile(`^\$\(\s*cat\s+(\S+?)\s*\)$`)
	subPidof  = regexp.MustCompile(`^\$\(\s*(?:pidof|pgrep)(?:\s+-[a-z]+)*\s+(\S+?)\s*\)$`)
)

func recognize(prog string, args []string) (reload, bool) {
	switch prog {
	case "kill":
		sig, rest := killSignal(args, "TERM")
		for _, a := range rest {
			if a == "--" {
				continue
			}
			if svc := serviceOf(a); svc != "" {
				return reload{Service: svc, Signal: sig}, true
			}
		}
	case "pkill", "killall":
		sig, rest := killSignal(args, "TERM")
		for i := 0; i < len(rest); i++ {
			a := rest[i]
			switch {
			case a == "-F" || a == "--pidfile":
				if i+1 < len(rest) {
					return reload{Service: pidfileService(unquote(rest[i+1])), Signal: sig}, true
				}
			case a == "-u" || a == "-U" || a == "-g" || a == "-G" || a == "-P":
				i++
			case strings.HasPrefix(a, "-"):
			default:
				return reload{Service: filepath.Base(unquote(a)), Signal: sig}, true
			}
		}
	case "systemctl":
		return systemctl(args)
	case "service", "invoke-rc.d":
		if len(args) >= 2 {
			return daemonAction(args[0], args[1])
		}
	case "nginx":
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-s" {
				switch args[i+1] {
				case "reopen":
					return reload{Service: "nginx", Signal: "USR1"}, true
				case "reload":
					return reload{Service: "nginx", Signal: "HUP"}, true
				}
			}
		}
	case "apachectl", "apache2ctl", "httpd", "apache2":
		svc := map[string]string{"apachectl": "httpd", "apache2ctl": "apache2", "httpd": "httpd", "apache2": "apache2"}[prog]
		for _, a := range args {
			switch a {
			case "graceful":
				return reload{Service: svc, Signal: "USR1"}, true
			case "restart":
				return reload{Service: svc, Signal: "HUP"}, true
			}
		}
	case "squid":
		if len(args) >= 2 && args[0] == "-k" && args[1] == "rotate" {
			return reload{Service: "squid", Signal: "USR1"}, true
		}
	case "rsyslog-rotate":
		return reload{Service: "rsyslog", Signal: "HUP"}, true
	case "supervisorctl":
		if len(args) >= 3 && args[0] == "signal" {
			if sig, err := signals.Parse(args[1]); err == nil {
				return reload{Service: args[2], Signal: signals.Name(sig)}, true
			}
		}
	}
	if m := phpReopen.FindStringSubmatch(prog); m != nil {
		return reload{Service: m[1], Signal: "USR1"}, true
	}
	return reload{}, false
}

// daemonAction handles `service NAME ACTION` and `/etc/init.d/NAME ACTION`.
func daemonAction(name, action string) (reload, bool) {
	switch action {
	case "reload", "force-reload", "rotate", "reopen-logs", "reopen":
		sig, known := reopenSignal(name)
		return reload{Service: strings.TrimSuffix(name, ".service"), Signal: sig, Guess: !known}, true
	}
	return reload{}, false
}

func systemctl(args []string) (reload, bool) {
	var verb, sig string
	var units []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-s" || a == "--signal":
			if i+1 < len(args) {
				sig = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--signal="):
			sig = strings.TrimPrefix(a, "--signal=")
		case strings.HasPrefix(a, "-"):
		case verb == "":
			verb = a
		default:
			units = append(units, a)
		}
	}
	if len(units) == 0 {
		return reload{}, false
	}
	unit := strings.TrimSuffix(units[0], ".service")
	switch verb {
	case "kill":
		if sig == "" {
			sig = "TERM"
		}
		s, err := signals.Parse(sig)
		if err != nil {
			return reload{}, false
		}
		return reload{Service: unit, Signal: signals.Name(s)}, true
	case "reload", "try-reload-or-restart", "reload-or-restart", "reload-or-try-restart":
		sig, known := reopenSignal(unit)
		return reload{Service: unit, Signal: sig, Guess: !known}, true
	}
	return reload{}, false
}

// killSignal reads -HUP, -1, -s HUP, -n 1, --signal HUP, -SIGHUP.
func killSignal(args []string, def string) (string, []string) {
	sig := def
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-s" || a == "-n" || a == "--signal") && i+1 < len(args):
			if s, err := signals.Parse(args[i+1]); err == nil {
				sig = signals.Name(s)
			}
			i++
		case strings.HasPrefix(a, "--signal="):
			if s, err := signals.Parse(strings.TrimPrefix(a, "--signal=")); err == nil {
				sig = signals.Name(s)
			}
		case len(a) > 1 && a[0] == '-' && a != "--":
			if s, err := signals.Parse(a[1:]); err == nil {
				sig = signals.Name(s)
			} else {
				rest = append(rest, a)
			}
		default:
			rest = append(rest, a)
		}
	}
	return sig, rest
}

// serviceOf names the daemon a kill target refers to: $(cat PIDFILE),
// $(pidof NAME), $(pgrep NAME).
func serviceOf(arg string) string {
	a := unquote(arg)
	if m := subCat.FindStringSubmatch(a); m != nil {
		return pidfileService(unquote(m[1]))
	}
	if m := subPidof.FindStringSubmatch(a); m != nil {
		return filepath.Base(unquote(m[1]))
	}
	return ""
}

// pidfileService: /run/nginx.pid -> nginx, /run/gunicorn/pid -> gunicorn,
// /var/run/php/php7.4-fpm.pid -> php7.4-fpm.
func pidfileService(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), ".pid")
	if base == "pid" || base == "" || base == "." {
		base = filepath.Base(filepath.Dir(path))
	}
	return base
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// simpleCommands splits a script at newlines, ";", "&&", "||" and "|",
// outside quotes and $(...). Backquotes become $(...) first.
func simpleCommands(script string) []string {
	s := backquotesToDollar(script)
	var out []string
	var cur strings.Builder
	depth := 0
	var quote byte
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(c)
			i++
			c = s[i]
			if c == '\n' {
				continue
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && (c == '\n' || c == ';'):
			flush()
			continue
		case depth == 0 && (c == '&' || c == '|') && i+1 < len(s) && s[i+1] == c:
			flush()
			i++
			continue
		case depth == 0 && c == '|':
			flush()
			continue
		case depth == 0 && c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == '\n'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			flush()
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	return out
}

func backquotesToDollar(s string) string {
	var b strings.Builder
	open := false
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			if open {
				b.WriteByte(')')
			} else {
				b.WriteString("$(")
			}
			open = !open
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// shellWords splits a simple command into words, keeping quotes and $(...)
// inside the word they belong to.
func shellWords(cmd string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && (c == ' ' || c == '\t'):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

var redirection = regexp.MustCompile(`^[0-9]*(>>?|<|>&|&>)`)

func dropRedirections(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if m := redirection.FindString(w); m != "" {
			if w == m && i+1 < len(words) {
				i++ // the target is the next word
			}
			continue
		}
		out = append(out, w)
	}
	return out
}
