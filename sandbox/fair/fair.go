package fair

import (
	"context"
	"sync"

	"github.com/kensa-mail/kensa/sandbox"
)

// ErrSaturated is returned when a request's queue, or all queues together,
// are full. It is sandbox.ErrSaturated, so that the click proxy need not
// know which scanner it has.
var ErrSaturated = sandbox.ErrSaturated

// Config bounds the scheduler.
type Config struct {
	// Slots is how many scans run at once; set it to the inner scanner's
	// concurrency (browser tabs). Default 2.
	Slots int
	// MaxPerKey bounds one key's queue (waiting, not running); default 64.
	MaxPerKey int
	// MaxQueued bounds all queues together; default 1024.
	MaxQueued int
}

// Scanner is a sandbox.Scanner that runs at most Slots scans of the inner
// scanner at once, handing free slots to waiting keys in turn.
type Scanner struct {
	inner sandbox.Scanner
	cfg   Config

	mu      sync.Mutex
	running int
	queued  int
	queues  map[string][]*waiter // by key, FIFO
	ring    []string             // keys with waiters, in turn order
}

type waiter struct {
	ready chan struct{} // closed when the waiter holds a slot
	key   string
}

// New wraps inner.
func New(inner sandbox.Scanner, cfg Config) *Scanner {
	if cfg.Slots <= 0 {
		cfg.Slots = 2
	}
	if cfg.MaxPerKey <= 0 {
		cfg.MaxPerKey = 64
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1024
	}
	return &Scanner{inner: inner, cfg: cfg, queues: map[string][]*waiter{}}
}

// Scan waits for a slot in req.FairKey's turn, then scans.
func (s *Scanner) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if err := s.acquire(ctx, req.FairKey); err != nil {
		return sandbox.Result{}, err
	}
	defer s.release()
	return s.inner.Scan(ctx, req)
}

// Stats is a snapshot for metrics and tests.
type Stats struct {
	Running, Queued, Keys int
}

// Stats returns the current load.
func (s *Scanner) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Running: s.running, Queued: s.queued, Keys: len(s.ring)}
}

func (s *Scanner) acquire(ctx context.Context, key string) error {
	s.mu.Lock()
	if s.running < s.cfg.Slots && s.queued == 0 {
		s.running++
		s.mu.Unlock()
		return nil
	}
	if len(s.queues[key]) >= s.cfg.MaxPerKey || s.queued >= s.cfg.MaxQueued {
		s.mu.Unlock()
		return ErrSaturated
	}
	w := &waiter{ready: make(chan struct{}), key: key}
	if len(s.queues[key]) == 0 {
		s.ring = append(s.ring, key)
	}
	s.queues[key] = append(s.queues[key], w)
	s.queued++
	s.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-w.ready: // handed a slot just now: give it back
			s.running--
			s.dispatch()
		default:
			s.remove(w)
		}
		return ctx.Err()
	}
}

func (s *Scanner) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	s.dispatch()
}

// dispatch hands free slots to the heads of the queues, one key at a time
// in ring order. s.mu is held.
func (s *Scanner) dispatch() {
	for s.running < s.cfg.Slots && len(s.ring) > 0 {
		key := s.ring[0]
		q := s.queues[key]
		w := q[0]
		q = q[1:]
		s.queued--
		if len(q) == 0 {
			delete(s.queues, key)
			s.ring = s.ring[1:]
		} else {
			s.queues[key] = q
			s.ring = append(s.ring[1:], key) // this key goes to the back
		}
		s.running++
		close(w.ready)
	}
}

// remove takes a cancelled waiter out of its queue. s.mu is held.
func (s *Scanner) remove(w *waiter) {
	q := s.queues[w.key]
	for i, x := range q {
		if x == w {
			q = append(q[:i:i], q[i+1:]...)
			s.queued--
			break
		}
	}
	if len(q) > 0 {
		s.queues[w.key] = q
		return
	}
	delete(s.queues, w.key)
	for i, k := range s.ring {
		if k == w.key {
			s.ring = append(s.ring[:i:i], s.ring[i+1:]...)
			break
		}
	}
}

// Ready passes on the inner scanner's readiness (for /readyz), if it has
// one.
func (s *Scanner) Ready() error {
	if r, ok := s.inner.(interface{ Ready() error }); ok {
		return r.Ready()
	}
	return nil
}

var _ sandbox.Scanner = (*Scanner)(nil)
