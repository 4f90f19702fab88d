package fair

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox"
)

// gate is a scanner whose scans run until the test lets each one finish,
// recording the order in which they started.
type gate struct {
	mu      sync.Mutex
	started []string
	release chan struct{}
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	g.mu.Lock()
	g.started = append(g.started, req.URL)
	g.mu.Unlock()
	select {
	case <-g.release:
	case <-ctx.Done():
		return sandbox.Result{}, ctx.Err()
	}
	return sandbox.Result{}, nil
}

func (g *gate) order() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.started...)
}

// waitFor polls until cond holds (the scheduler's state is reached by
// goroutines the test starts); it fails after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never reached: %s", what)
}

func TestFloodDoesNotStarveOthers(t *testing.T) {
	g := newGate()
	s := New(g, Config{Slots: 1, MaxPerKey: 100})
	var wg sync.WaitGroup
	scan := func(key, url string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Scan(context.Background(), sandbox.Request{URL: url, FairKey: key}); err != nil {
				t.Errorf("%s: %v", url, err)
			}
		}()
	}
	scan("flood.example", "flood-0")
	waitFor(t, "first flood scan running", func() bool { return s.Stats().Running == 1 })
	for i := 1; i <= 50; i++ {
		scan("flood.example", fmt.Sprintf("flood-%d", i))
		want := i
		waitFor(t, "flood queued", func() bool { return s.Stats().Queued == want })
	}
	scan("bank.example", "person")
	waitFor(t, "person queued", func() bool { return s.Stats().Queued == 51 })
	for i := 0; i < 51; i++ {
		g.release <- struct{}{}
	}
	g.release <- struct{}{}
	wg.Wait()
	order := g.order()
	// flood-0 ran; flood-1 was first in the flood queue, and the person's
	// key comes next in turn, ahead of the other 49 flood links.
	if len(order) != 52 || order[0] != "flood-0" || order[1] != "flood-1" || order[2] != "person" {
		t.Errorf("order starts %q, want flood-0 flood-1 person", order[:min(3, len(order))])
	}
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("after all scans: %+v", st)
	}
}

func TestSaturated(t *testing.T) {
	g := newGate()
	s := New(g, Config{Slots: 1, MaxPerKey: 2, MaxQueued: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 10)
	scan := func(key string) {
		go func() {
			_, err := s.Scan(ctx, sandbox.Request{URL: key, FairKey: key})
			errs <- err
		}()
	}
	scan("a")
	waitFor(t, "running", func() bool { return s.Stats().Running == 1 })
	scan("a")
	scan("a")
	waitFor(t, "a's queue full", func() bool { return s.Stats().Queued == 2 })
	if _, err := s.Scan(ctx, sandbox.Request{FairKey: "a"}); !errors.Is(err, ErrSaturated) {
		t.Errorf("third waiting scan of one key: %v, want ErrSaturated", err)
	}
	scan("b")
	waitFor(t, "b queued", func() bool { return s.Stats().Queued == 3 })
	if _, err := s.Scan(ctx, sandbox.Request{FairKey: "c"}); !errors.Is(err, ErrSaturated) {
		t.Errorf("scan past MaxQueued: %v, want ErrSaturated", err)
	}
	cancel()
	for i := 0; i < 4; i++ {
		<-errs
	}
	waitFor(t, "all gone", func() bool { return s.Stats() == Stats{} })
}

// A waiter that gives up leaves no trace: its slot is not lost and its key
// leaves the ring.
func TestCancelWhileQueued(t *testing.T) {
	g := newGate()
	s := New(g, Config{Slots: 1})
	done := make(chan error, 1)
	go func() {
		_, err := s.Scan(context.Background(), sandbox.Request{URL: "first", FairKey: "a"})
		done <- err
	}()
	waitFor(t, "running", func() bool { return s.Stats().Running == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	quit := make(chan error, 1)
	go func() { _, err := s.Scan(ctx, sandbox.Request{URL: "quitter", FairKey: "b"}); quit <- err }()
	waitFor(t, "queued", func() bool { return s.Stats().Queued == 1 })
	cancel()
	if err := <-quit; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: %v", err)
	}
	if st := s.Stats(); st.Queued != 0 || st.Keys != 0 {
		t.Errorf("after cancel: %+v", st)
	}
	g.release <- struct{}{}
	<-done
	go func() { g.release <- struct{}{} }()
	if _, err := s.Scan(context.Background(), sandbox.Request{URL: "next", FairKey: "c"}); err != nil {
		t.Errorf("slot lost after a cancel: %v", err)
	}
	if got := g.order(); len(got) != 2 || got[1] != "next" {
		t.Errorf("scans %q; the quitter must never have started", got)
	}
}

// Many keys and goroutines at once: every scan finishes, at most Slots run
// together, nothing is left behind (run with -race).
func TestConcurrent(t *testing.T) {
	var mu sync.Mutex
	running, most := 0, 0
	inner := scanFunc(func(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		mu.Lock()
		running--
		mu.Unlock()
		return sandbox.Result{}, nil
	})
	s := New(inner, Config{Slots: 3, MaxPerKey: 1000, MaxQueued: 10000})
	var wg sync.WaitGroup
	for i := 0; i < 400; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Scan(context.Background(), sandbox.Request{FairKey: fmt.Sprint(i % 7)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most > 3 {
		t.Errorf("%d scans ran at once, want at most 3", most)
	}
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("after all scans: %+v", st)
	}
}

type scanFunc func(context.Context, sandbox.Request) (sandbox.Result, error)

func (f scanFunc) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	return f(ctx, req)
}
