package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// lrOpts is the state of logrotate directives: the global defaults, copied
// into each stanza when its "{" opens.
type lrOpts struct {
	criterion   string // hourly, daily, weekly, monthly, yearly, size; "" = every run
	weekday     string
	size        int64 // with criterion "size"
	maxsize     int64 // 0: none
	rotate      int
	rotateSet   bool
	maxage      int // days; 0: none
	compress    bool
	compressCmd string
	delay       bool
	dateext     bool
	copytrunc   bool
	createMode  string
	createOwner string
	createGroup string
	ifempty     bool
	postrotate  string
	notes       []string // directives with no equivalent, in order
}

func defaultLrOpts() lrOpts {
	// logrotate's built-in defaults: no old logs kept, no compression,
	// empty files rotated.
	return lrOpts{ifempty: true}
}

type lrConverter struct {
	c        *Conf
	global   lrOpts
	seen     map[string]bool
	topNotes *Section
}

// Logrotate converts logrotate configuration files, read in order with
// shared global defaults (as `logrotate FILE...` does), into [logfile]
// sections. It fails only when a file cannot be read.
func Logrotate(files []string) (*Conf, error) {
	c := newConf()
	c.Header = []string{
		"Converted by `supervise import logrotate` from " + strings.Join(files, " ") + ".",
		"Review every \"# not converted:\" line, and check that each `service` names one of",
		"your [service] sections.",
	}
	lc := &lrConverter{c: c, global: defaultLrOpts(), seen: map[string]bool{}, topNotes: c.Supervise}
	for _, f := range files {
		if err := lc.file(f, 0); err != nil {
			return nil, err
		}
	}
	c.hoistNotes()
	return c, nil
}

var lrTaboo = []string{".rpmorig", ".rpmsave", ",v", ".swp", ".rpmnew", "~", ".cfsaved", ".rhn-cfg-tmp-*",
	".dpkg-dist", ".dpkg-old", ".dpkg-new", ".dpkg-bak", ".dpkg-del", ".ucf-dist", ".ucf-new", ".ucf-old", ".disabled"}

func (lc *lrConverter) file(path string, depth int) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("logrotate: %w", err)
	}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return fmt.Errorf("logrotate: %w", err)
		}
		var names []string
	next:
		for _, e := range ents {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			for _, t := range lrTaboo {
				if ok, _ := filepath.Match("*"+t, e.Name()); ok {
					continue next
				}
			}
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			if err := lc.file(filepath.Join(path, n), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	abs, _ := filepath.Abs(path)
	if lc.seen[abs] || depth > 10 {
		return nil
	}
	lc.seen[abs] = true
	data, err := readInput(path)
	if err != nil {
		return fmt.Errorf("logrotate: %w", err)
	}
	return lc.parse(path, string(data), depth)
}

// parse walks one file: global directives, includes, and stanzas of
// `PATH... {` directives `}` with scripts up to `endscript`.
func (lc *lrConverter) parse(file, text string, depth int) error {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var paths []string // of the stanza being opened or inside
	var stanza *lrOpts
	stanzaLine := 0
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, lineNo)
		if stanza == nil {
			if line == "}" {
				lc.topNotes.Note("%s: \"}\" without a stanza", where)
				continue
			}
			word := strings.Fields(line)[0]
			if !strings.Contains(line, "{") && len(paths) == 0 && isLrDirective(word) {
				if word == "include" {
					inc := strings.TrimSpace(strings.TrimPrefix(line, "include"))
					inc = unquote(inc)
					if !filepath.IsAbs(inc) {
						inc = filepath.Join(filepath.Dir(file), inc)
					}
					if err := lc.file(inc, depth+1); err != nil {
						lc.topNotes.Note("%s: include %s: %v", where, inc, err)
					}
					continue
				}
				i = lc.directive(&lc.global, lines, i, where, true)
				continue
			}
			// Part of a path list, which ends with "{" (on this line or a
			// later one).
			before, after, open := strings.Cut(line, "{")
			paths = append(paths, lrPaths(before)...)
			if stanzaLine == 0 {
				stanzaLine = lineNo
			}
			if !open {
				continue
			}
			o := lc.global
			o.notes = nil
			stanza = &o
			if rest := strings.TrimSpace(after); rest != "" {
				// "path { rotate 5 }" on one line.
				rest, closes := strings.CutSuffix(rest, "}")
				for _, d := range strings.Split(rest, ";") {
					if d = strings.TrimSpace(d); d != "" {
						lc.directive(stanza, []string{d}, 0, where, false)
					}
				}
				if closes {
					lc.emit(paths, stanza, fmt.Sprintf("%s:%d", file, stanzaLine))
					stanza, paths, stanzaLine = nil, nil, 0
				}
			}
			continue
		}
		if line == "}" || strings.HasPrefix(line, "}") {
			lc.emit(paths, stanza, fmt.Sprintf("%s:%d", file, stanzaLine))
			stanza, paths, stanzaLine = nil, nil, 0
			continue
		}
		i = lc.directive(stanza, lines, i, where, false)
	}
	if stanza != nil || len(paths) > 0 {
		lc.topNotes.Note("%s: stanza %s is not closed with \"}\"", file, strings.Join(paths, " "))
	}
	return nil
}

// lrPaths splits a path list; paths may be quoted.
func lrPaths(s string) []string {
	var out []string
	for _, w := range shellWords(strings.TrimSpace(s)) {
		out = append(out, unquote(w))
	}
	return out
}

var lrDirectives = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`compress nocompress compresscmd uncompresscmd compressext compressoptions
		copy nocopy copytruncate nocopytruncate create nocreate createolddir nocreateolddir daily weekly monthly
		yearly hourly dateext nodateext dateformat dateyesterday delaycompress nodelaycompress extension
		addextension ifempty notifempty include mail nomail mailfirst maillast maxage minage maxsize minsize
		missingok nomissingok olddir noolddir postrotate prerotate firstaction lastaction preremove endscript
		rotate size sharedscripts nosharedscripts start tabooext taboopat shred noshred shredcycles su
		renamecopy norenamecopy allowhardlink noallowhardlink ignoreduplicates`) {
		lrDirectives[d] = true
	}
}

func isLrDirective(w string) bool {
	k, _, _ := strings.Cut(w, "=")
	return lrDirectives[k]
}

// directive applies the directive on lines[i] to o and returns the index of
// the last line it used (scripts span lines).
func (lc *lrConverter) directive(o *lrOpts, lines []string, i int, where string, global bool) int {
	line := strings.TrimSpace(lines[i])
	// "size=100M" and "size = 100M" are accepted as "size 100M".
	key, arg := line, ""
	if k := strings.IndexAny(line, " \t="); k >= 0 {
		key = line[:k]
		arg = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line[k:]), "="))
	}
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if global {
			lc.topNotes.Note("%s: %s", where, msg)
			return
		}
		o.notes = append(o.notes, msg)
	}
	switch key {
	case "hourly", "daily", "monthly", "yearly":
		o.criterion = key
	case "weekly":
		o.criterion = key
		o.weekday = arg
	case "size":
		n, err := lrSize(arg)
		if err != nil {
			note("size %s: %v", arg, err)
			break
		}
		o.criterion, o.size = "size", n
	case "maxsize":
		n, err := lrSize(arg)
		if err != nil {
			note("maxsize %s: %v", arg, err)
			break
		}
		o.maxsize = n
	case "minsize":
		note("minsize %s: supervise rotates at the time boundary whatever the size", arg)
	case "rotate":
		n, err := strconv.Atoi(arg)
		if err != nil {
			note("rotate %s: not a number", arg)
			break
		}
		o.rotate, o.rotateSet = n, true
	case "maxage":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			note("maxage %s: not a number of days", arg)
			break
		}
		o.maxage = n
	case "compress":
		o.compress = true
	case "nocompress":
		o.compress = false
	case "compresscmd":
		o.compressCmd = filepath.Base(arg)
	case "compressext", "compressoptions", "uncompresscmd":
		if !strings.Contains(o.compressCmd, "zstd") || key == "compressoptions" {
			note("%s %s: supervise writes standard .gz or .zst archives with its own settings", key, arg)
		}
	case "delaycompress":
		o.delay = true
	case "nodelaycompress":
		o.delay = false
	case "dateext":
		o.dateext = true
	case "nodateext":
		o.dateext = false
	case "dateformat", "dateyesterday":
		note("%s: archive dates are always NAME-YYYYMMDD-HHMMSS with dateext", strings.TrimSpace(key+" "+arg))
	case "copytruncate":
		o.copytrunc = true
	case "nocopytruncate":
		o.copytrunc = false
	case "create":
		f := strings.Fields(arg)
		o.createMode, o.createOwner, o.createGroup = "", "", ""
		if len(f) > 0 {
			o.createMode = f[0]
		}
		if len(f) > 1 {
			o.createOwner = f[1]
		}
		if len(f) > 2 {
			o.createGroup = f[2]
		}
	case "nocreate":
		o.createMode, o.createOwner, o.createGroup = "", "", ""
	case "ifempty":
		o.ifempty = true
	case "notifempty":
		o.ifempty = false
	case "missingok", "nomissingok", "sharedscripts", "nosharedscripts", "createolddir", "nocreateolddir",
		"noolddir", "nomail", "noshred", "nocopy", "norenamecopy", "allowhardlink", "noallowhardlink", "ignoreduplicates":
		// missing files are never an error for supervise, and a signal is
		// sent once per rotation: nothing to carry over.
	case "tabooext", "taboopat":
		// Only steers which files `include DIR` reads.
	case "copy":
		note("copy: supervise does not copy a log and leave it growing; use copytruncate or rename")
	case "renamecopy", "olddir", "extension", "addextension", "start", "shred", "shredcycles", "minage":
		note("%s: no equivalent (archives stay beside the log, named NAME.N or NAME-DATE)", strings.TrimSpace(key+" "+arg))
	case "mail", "mailfirst", "maillast":
		note("%s: supervise does not mail logs; ship them with event_command on `rotated`", strings.TrimSpace(key+" "+arg))
	case "su":
		note("su %s: supervise rotates with its own rights; set file_owner for the new files", arg)
	case "postrotate", "prerotate", "firstaction", "lastaction", "preremove":
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "endscript" {
				break
			}
			body = append(body, lines[j])
		}
		script := strings.TrimSpace(strings.Join(body, "\n"))
		if key == "postrotate" {
			o.postrotate = script
		} else {
			note("%s script (%s): supervise runs no scripts around rotation; event_command gets a `rotated` event", key, strings.Join(strings.Fields(script), " "))
		}
		return j
	case "endscript":
		note("endscript without a script")
	default:
		note("%s: unknown logrotate directive", line)
	}
	return i
}

// lrSize reads logrotate sizes: bytes, or k, M, G suffixes (1024-based).
func lrSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'M', 'm':
			mult = 1 << 20
		case 'G', 'g':
			mult = 1 << 30
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a size (bytes, or a number with k, M or G)")
	}
	return n * mult, nil
}

// emit writes one [logfile] per path of a closed stanza.
func (lc *lrConverter) emit(paths []string, o *lrOpts, where string) {
	if len(paths) == 0 {
		lc.topNotes.Note("%s: stanza without a path", where)
		return
	}
	found, unknown := detectReloads(o.postrotate)
	for _, p := range paths {
		sec := lc.c.NewSection("logfile", lrName(p))
		sec.Set("path", value(p))
		lc.fill(sec, o, found, unknown)
	}
}

func (lc *lrConverter) fill(sec *Section, o *lrOpts, found []reload, unknown []string) {
	if o.copytrunc {
		sec.Set("method", "copytruncate")
		if len(found) > 0 {
			sec.Note("postrotate %q: not needed with copytruncate (the program keeps its file open)", found[0].From)
		}
	} else {
		sec.Set("method", "rename")
		if len(found) > 0 {
			r := found[0]
			sec.Set("service", value(r.Service))
			sec.Set("signal", r.Signal)
			how := "read from"
			if r.Guess {
				how = "guessed (HUP) from"
			}
			sec.Comment("service and signal %s %q: service must name your [service]", how, r.From)
			for _, extra := range found[1:] {
				sec.Note("postrotate %q: only one service is signalled per [logfile]", extra.From)
			}
		} else if o.postrotate == "" {
			sec.Comment("no postrotate: the program must reopen the file by itself, or use method = copytruncate")
		}
	}
	for _, u := range unknown {
		sec.Note("postrotate %q: supervise runs no scripts; only a signal to a service", u)
	}

	keep := o.rotate
	switch o.criterion {
	case "hourly", "daily", "weekly":
		sec.Set("rotate_every", o.criterion)
		if o.criterion == "weekly" && o.weekday != "" && o.weekday != "0" && o.weekday != "7" {
			sec.Note("weekly %s: supervise rotates at the start of the week, whatever the weekday", o.weekday)
		}
	case "monthly":
		sec.Set("rotate_every", "weekly")
		if o.rotateSet && keep > 0 {
			keep *= 5
			sec.Note("monthly: supervise rotates at most weekly; keep is rotate %d x 5 to hold the same history", o.rotate)
		} else {
			sec.Note("monthly: supervise rotates at most weekly")
		}
	case "yearly":
		sec.Set("rotate_every", "never")
		sec.Note("yearly: no yearly rotation; rotate_every = never (add rotate_size or use ctl rotate)")
	case "size":
		sec.Set("rotate_every", "never")
	default:
		sec.Set("rotate_every", "daily")
		sec.Comment("no period given: logrotate rotated on each run, usually daily from cron")
	}
	size := int64(0)
	switch {
	case o.criterion == "size":
		size = o.size
	case o.maxsize > 0:
		size = o.maxsize
	}
	rs, raised := rotateSize(size)
	sec.Set("rotate_size", rs)
	if raised {
		sec.Note("size %d bytes: supervise rotates at %s at the least", size, rs)
	}
	if o.rotate < 0 {
		sec.Note("rotate %d (keep every archive): kept 1000", o.rotate)
		keep = 1000
	}
	sec.Set("keep", strconv.Itoa(keep))
	if o.maxage > 0 {
		sec.Set("max_age", fmt.Sprintf("%dd", o.maxage))
	}
	switch {
	case !o.compress:
		sec.Set("compress", "none")
	case strings.Contains(o.compressCmd, "zstd"):
		sec.Set("compress", "zstd")
	case o.compressCmd == "" || o.compressCmd == "gzip" || o.compressCmd == "pigz":
		sec.Set("compress", "gzip")
	default:
		sec.Set("compress", "gzip")
		sec.Note("compresscmd %s: only gzip and zstd are supported; gzip is used", o.compressCmd)
	}
	if o.delay && o.compress {
		sec.Set("delay_compress", "true")
	}
	sec.Set("if_empty", strconv.FormatBool(o.ifempty))
	if o.dateext {
		sec.Set("dateext", "true")
	}
	if !o.copytrunc {
		if o.createMode != "" {
			if _, err := strconv.ParseUint(o.createMode, 8, 32); err == nil {
				sec.Set("file_mode", fmt.Sprintf("%04s", strings.TrimLeft(o.createMode, "0")))
			} else {
				sec.Note("create %s: not an octal mode", o.createMode)
			}
		}
		if o.createOwner != "" {
			owner := o.createOwner
			if o.createGroup != "" {
				owner += ":" + o.createGroup
			}
			sec.Set("file_owner", value(owner))
		}
	}
	for _, n := range o.notes {
		sec.Note("%s", n)
	}
}

// lrName derives a [logfile] name from a path: /var/log/nginx/*.log ->
// nginx-log, /var/log/nginx/access.log -> nginx-access-log, /var/log/syslog
// -> syslog.
func lrName(p string) string {
	p = strings.TrimPrefix(p, "/var/log/")
	var parts []string
	for _, c := range strings.Split(p, "/") {
		c = strings.TrimSuffix(c, ".log")
		c = strings.NewReplacer("*", "", "?", "", "[", "", "]", "", "{", "", "}", "").Replace(c)
		c = strings.Trim(c, "-._")
		c = strings.TrimSuffix(c, ".log")
		if c == "" || c == "var" || c == "log" || c == "logs" && len(parts) > 0 {
			continue
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "log"
	}
	// Directory and file often repeat (redis/redis-server): keep it short.
	if len(parts) >= 2 && strings.HasPrefix(parts[len(parts)-1], parts[len(parts)-2]) {
		parts = append(parts[:len(parts)-2], parts[len(parts)-1])
	}
	name := strings.Join(parts, "-")
	// Names are shared with services, and the service is often called
	// like its log directory (nginx): say what this one is.
	if !strings.HasSuffix(name, "log") {
		name += "-log"
	}
	return name
}
