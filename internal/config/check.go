package config

import (
	"fmt"
	"strings"
)

// crossCheck validates what no single section can: `after` targets and
// cycles, the single main service, [logfile] services and log paths that
// two writers would share.
func (p *parser) crossCheck(cfg *Config, states []*svcState) {
	byName := map[string]*svcState{}
	for _, st := range states {
		byName[st.s.Name] = st
	}
	logfiles := map[string]*Logfile{}
	for _, l := range cfg.Logfiles {
		logfiles[l.Name] = l
	}

	var mainSt *svcState
	for _, st := range states {
		s := st.s
		if s.Main {
			if mainSt != nil {
				p.errorf(st.line("main"), "main: [service %s] and [service %s] (line %d) are both main; accepted: at most one main service", s.Name, mainSt.s.Name, mainSt.line("main"))
			} else {
				mainSt = st
			}
		}
		valid := s.After[:0:0]
		for _, dep := range s.After {
			line := st.line("after")
			switch t, ok := byName[dep]; {
			case dep == s.Name:
				p.errorf(line, "after: [service %s] waits for itself; accepted: names of other services", s.Name)
			case ok && t.s.Schedule != nil:
				p.errorf(line, "after: [service %s] waits for %s, a cron job (schedule), which is never running; accepted: services and oneshots", s.Name, dep)
			case ok:
				valid = append(valid, dep)
			case logfiles[dep] != nil:
				p.errorf(line, "after: [service %s] waits for %s, a [logfile], not a service; accepted: names of [service NAME] sections", s.Name, dep)
			default:
				msg := fmt.Sprintf("after: [service %s] waits for unknown service %q", s.Name, clip(dep))
				if sg := suggest(dep, serviceNames(states)); sg != "" {
					msg += "; " + sg
				}
				p.errorf(line, "%s; accepted: names of [service NAME] sections: %s", msg, strings.Join(serviceNames(states), ", "))
			}
		}
		st.validAfter = valid
	}
	p.cycles(states, byName)

	for _, l := range cfg.Logfiles {
		if l.Service == "" {
			continue
		}
		if _, ok := byName[l.Service]; !ok {
			msg := fmt.Sprintf("service: unknown service %q", clip(l.Service))
			if sg := suggest(l.Service, serviceNames(states)); sg != "" {
				msg += "; " + sg
			}
			p.errorf(l.Line, "%s in [logfile %s]; accepted: names of [service NAME] sections", msg, l.Name)
		}
	}
	p.sharedPaths(cfg, states)
}

func serviceNames(states []*svcState) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = st.s.Name
	}
	return out
}

// cycles reports each `after` cycle once, as a path, at the line of the
// `after` key of the first service (in file order) on it.
func (p *parser) cycles(states []*svcState, byName map[string]*svcState) {
	const (
		unvisited = iota
		onStack
		done
	)
	mark := map[string]int{}
	var stack []string
	var visit func(st *svcState)
	visit = func(st *svcState) {
		name := st.s.Name
		mark[name] = onStack
		stack = append(stack, name)
		for _, dep := range st.validAfter {
			switch mark[dep] {
			case onStack:
				i := len(stack) - 1
				for stack[i] != dep {
					i--
				}
				cyc := append(append([]string{}, stack[i:]...), dep)
				first := byName[cyc[0]]
				for _, n := range cyc[1:] {
					if byName[n].sec.line < first.sec.line {
						first = byName[n]
					}
				}
				p.errorf(first.line("after"), "after: cycle %s; accepted: an order without cycles", strings.Join(rotateCycle(cyc, first.s.Name), " -> "))
			case unvisited:
				visit(byName[dep])
			}
		}
		stack = stack[:len(stack)-1]
		mark[name] = done
	}
	for _, st := range states {
		if mark[st.s.Name] == unvisited {
			visit(st)
		}
	}
}

// rotateCycle rewrites a closed path a->b->c->a to start at name.
func rotateCycle(cyc []string, name string) []string {
	open := cyc[:len(cyc)-1]
	i := 0
	for open[i] != name {
		i++
	}
	out := append(append([]string{}, open[i:]...), open[:i]...)
	return append(out, name)
}

// sharedPaths rejects two logs that would write and rotate the same file.
func (p *parser) sharedPaths(cfg *Config, states []*svcState) {
	type owner struct {
		what string
		line int
	}
	used := map[string]owner{}
	claim := func(path, what string, line int) {
		if prev, ok := used[path]; ok {
			p.errorf(line, "%s writes %s, which %s (line %d) writes too; accepted: a different log path for each", what, path, prev.what, prev.line)
			return
		}
		used[path] = owner{what, line}
	}
	for _, st := range states {
		s := st.s
		if s.Log.Mode != LogFile {
			continue
		}
		line := st.line("log")
		claim(s.Log.Path, "[service "+s.Name+"]", line)
		if s.Log.StderrSeparate {
			claim(s.Log.ErrPath(), "[service "+s.Name+"] stderr", st.line("stderr"))
		}
	}
	for _, l := range cfg.Logfiles {
		if l.Path != "" {
			claim(l.Path, "[logfile "+l.Name+"]", l.Line)
		}
	}
}
