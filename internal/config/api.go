package config

import (
	"container/heap"
	"path/filepath"
	"strings"
)

// ErrPath is the file of a service's stderr with stderr = separate: the
// suffix .err goes before the extension (web.log -> web.err.log, out.txt ->
// out.err.txt, out -> out.err). pkg/sink names the file the same way.
func (l *LogPolicy) ErrPath() string {
	ext := filepath.Ext(l.Path)
	if ext == "" || ext == l.Path {
		return l.Path + ".err"
	}
	return strings.TrimSuffix(l.Path, ext) + ".err" + ext
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
// it names in `after`; among those free to start, file order wins (Kahn's
// algorithm with the ready set ordered by file position, O(n log n + edges)).
// A validated Config has no cycles; should one be built by hand, the
// services on it are appended in file order rather than lost.
func (c *Config) StartOrder() []*Service {
	index := make(map[string]int, len(c.Services))
	for i, s := range c.Services {
		index[s.Name] = i
	}
	waiting := make([]int, len(c.Services))      // unplaced dependencies
	dependents := make([][]int, len(c.Services)) // who waits for i
	for i, s := range c.Services {
		for _, dep := range s.After {
			if j, ok := index[dep]; ok && j != i {
				waiting[i]++
				dependents[j] = append(dependents[j], i)
			}
		}
	}
	ready := &intHeap{}
	for i := range c.Services {
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	placed := make([]bool, len(c.Services))
	out := make([]*Service, 0, len(c.Services))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		placed[i] = true
		out = append(out, c.Services[i])
		for _, d := range dependents[i] {
			if waiting[d]--; waiting[d] == 0 {
				heap.Push(ready, d)
			}
		}
	}
	for i, s := range c.Services {
		if !placed[i] {
			out = append(out, s)
		}
	}
	return out
}

// intHeap is a min-heap of file positions.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// StopOrder is StartOrder reversed: dependents stop before what they need.
func (c *Config) StopOrder() []*Service {
	order := c.StartOrder()
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order
}
