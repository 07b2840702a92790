package config

import "strings"

// ErrPath is the file of a service's stderr with stderr = separate:
// NAME.err.log beside NAME.log (PATH.err.log when PATH does not end in .log).
func (l *LogPolicy) ErrPath() string {
	if base, ok := strings.CutSuffix(l.Path, ".log"); ok {
		return base + ".err.log"
	}
	return l.Path + ".err.log"
}

// Service returns the service called name, or nil.
func (c *Config) Service(name string) *Service {
	for _, s := range c.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Logfile returns the [logfile] called name, or nil.
func (c *Config) Logfile(name string) *Logfile {
	for _, l := range c.Logfiles {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// StartOrder returns every service so that each comes after the services
// it names in `after`; among those free to start, file order wins. A
// validated Config has no cycles; should one be built by hand, the services
// on it are appended in file order rather than lost.
func (c *Config) StartOrder() []*Service {
	placed := make(map[string]bool, len(c.Services))
	known := make(map[string]bool, len(c.Services))
	for _, s := range c.Services {
		known[s.Name] = true
	}
	out := make([]*Service, 0, len(c.Services))
	for len(out) < len(c.Services) {
		progress := false
		for _, s := range c.Services {
			if placed[s.Name] {
				continue
			}
			ready := true
			for _, dep := range s.After {
				if known[dep] && !placed[dep] {
					ready = false
					break
				}
			}
			if ready {
				placed[s.Name] = true
				out = append(out, s)
				progress = true
				break // restart the scan: file order among the ready ones
			}
		}
		if !progress {
			for _, s := range c.Services {
				if !placed[s.Name] {
					placed[s.Name] = true
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// StopOrder is StartOrder reversed: dependents stop before what they need.
func (c *Config) StopOrder() []*Service {
	order := c.StartOrder()
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order
}
