package sink

import (
	"sync"
	"sync/atomic"
)

// queue hands values to one goroutine that calls fn for each, in order. A
// push never blocks: when the buffer is full the value is dropped and
// counted, because the callers (capture readers, rotation) must never wait on
// a slow consumer such as an event hook or a blocked terminal (SPEC §4.4).
type queue[T any] struct {
	mu     sync.RWMutex // guards closed against a push racing close(ch)
	closed bool
	ch     chan T
	done   chan struct{}

	dropped atomic.Int64
}

func newQueue[T any](size int, fn func(T)) *queue[T] {
	q := &queue[T]{ch: make(chan T, size), done: make(chan struct{})}
	go func() {
		defer close(q.done)
		for v := range q.ch {
			fn(v)
		}
	}()
	return q
}

// push reports whether v was queued.
func (q *queue[T]) push(v T) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.dropped.Add(1)
		return false
	}
	select {
	case q.ch <- v:
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// close delivers what is queued, then stops the goroutine and waits for it.
func (q *queue[T]) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	<-q.done
}
