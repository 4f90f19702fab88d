package clickproxy

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestHerd: 200 people click the same new link at once. One render, and
// all 200 get the answer.
func TestHerd(t *testing.T) {
	sc := newFakeScanner()
	sc.delay = 300 * time.Millisecond
	e := newEnvWith(t, Policy{}, sc)
	dest := "http://" + fakePhish + "/login?campaign=herd"
	var wg sync.WaitGroup
	results := make([]answer, 200)
	for i := range results {
		wg.Go(func() { results[i] = e.settle(e.get(e.link(dest))) })
	}
	wg.Wait()
	if n := e.scanner.count(dest); n != 1 {
		t.Errorf("%d renders for 200 concurrent clicks, want 1", n)
	}
	for i, a := range results {
		if a.action != "block" {
			t.Errorf("click %d: %s", i, a.action)
		}
	}
}

// TestHerdTwoServers: two replicas on one Redis, 200 concurrent first
// clicks spread over both. The replica that takes the Redis lock renders
// once; the other waits for its pub/sub notice and reads the verdict from
// Redis. Every click gets the same answer.
func TestHerdTwoServers(t *testing.T) {
	sc := newFakeScanner()
	sc.delay = 300 * time.Millisecond
	e := newEnvWith(t, Policy{}, sc)
	base2, _, _ := e.start(nil)
	dest := "http://" + fakePhish + "/login?campaign=two-replicas"
	var wg sync.WaitGroup
	results := make([]answer, 200)
	for i := range results {
		wg.Go(func() { results[i] = e.clickAt(dest, i%2 == 1, base2) })
	}
	wg.Wait()
	if n := e.scanner.count(dest); n != 1 {
		t.Errorf("%d renders for 200 concurrent clicks on two replicas, want 1", n)
	}
	for i, a := range results {
		if a.action != "block" || a.status != 403 {
			t.Errorf("click %d (replica %d): %d %s", i, i%2+1, a.status, a.action)
		}
	}
	// The replica that did not render had the verdict from Redis.
	waitWritten(t, e.events)
	evs, err := e.events.Recent(context.Background(), 400)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]int{}
	for _, ev := range evs {
		if ev.URL == dest && ev.Action == "block" {
			sources[ev.Source]++
		}
	}
	if sources["render"] == 0 || sources["redis"] == 0 {
		t.Errorf("verdict sources %v: want clicks answered by the render and from Redis", sources)
	}
}
