package procs

import "github.com/supervise/supervise/internal/config"

// startOrder returns the services so that each comes after everything in
// its `after` list, keeping file order otherwise. The config parser rejects
// cycles; should one slip through, the services in it keep file order.
func startOrder(svcs []*config.Service) []*config.Service {
	index := make(map[string]*config.Service, len(svcs))
	for _, s := range svcs {
		index[s.Name] = s
	}
	done := make(map[string]bool, len(svcs))
	visiting := make(map[string]bool)
	out := make([]*config.Service, 0, len(svcs))
	var visit func(s *config.Service)
	visit = func(s *config.Service) {
		if done[s.Name] || visiting[s.Name] {
			return
		}
		visiting[s.Name] = true
		for _, dep := range s.After {
			if d, ok := index[dep]; ok {
				visit(d)
			}
		}
		visiting[s.Name] = false
		done[s.Name] = true
		out = append(out, s)
	}
	for _, s := range svcs {
		visit(s)
	}
	return out
}
