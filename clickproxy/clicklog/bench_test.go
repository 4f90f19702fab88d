package clicklog

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/redistest"
)

// BenchmarkEmit measures click events per second into a real Redis, end to
// end: the clock runs from the first Emit until Close has written the last
// event. The buffer holds b.N events, so what is measured is the writer's
// pace, not the buffer's size. Emit is called from GOMAXPROCS goroutines.
// redis-cpu-us/event is Redis's own CPU time per event (INFO cpu), which
// does not depend on what else the machine runs:
//
//	go test -run '^$' -bench 'Emit$' -benchtime 200000x ./clickproxy/clicklog
func BenchmarkEmit(b *testing.B) {
	s := redistest.Start(b)
	c := newClient(b, s)
	if err := c.Del(context.Background(), DefaultStream).Err(); err != nil {
		b.Fatal(err)
	}
	l, err := New(Config{Redis: c, Buffer: b.N + 1, Lines: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	evs := clickSamples()
	cpu0 := redisCPU(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Emit(evs[n.Add(1)%int64(len(evs))])
		}
	})
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st := l.Stats()
	if st.Written != int64(b.N) || st.Dropped != 0 {
		b.Fatalf("stats %+v after %d events", st, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64((redisCPU(b, s)-cpu0).Microseconds())/float64(b.N), "redis-cpu-us/event")
}

func redisCPU(b *testing.B, s *redistest.Server) time.Duration {
	b.Helper()
	d, err := s.CPU()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkEmitCaller measures what Emit costs the click handler: the zap
// line, the JSON encoding and the queueing, with the Redis writer running
// behind it but not waited for.
func BenchmarkEmitCaller(b *testing.B) {
	s := redistest.Start(b)
	c := newClient(b, s)
	l, err := New(Config{Redis: c, Buffer: b.N + 1, Lines: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	evs := clickSamples()
	b.ReportAllocs()
	b.ResetTimer()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Emit(evs[n.Add(1)%int64(len(evs))])
		}
	})
}

// clickSamples are cached clicks as the click proxy emits them, in all four
// indexes and the counters, timed by Emit (the current time): a
// campaign of 20 links on 5 domains sent to 1,000 recipients in 100
// messages, so that a batch of events touches many index sets, as in
// production, not one of each.
func clickSamples() []Event {
	evs := make([]Event, 1000)
	for i := range evs {
		dom := fmt.Sprintf("example-store%d.jp", i%5)
		evs[i] = Event{
			ClickID: fmt.Sprintf("%016x", i), Recipient: fmt.Sprintf("user%d@example.co.jp", i),
			Message: fmt.Sprintf("%016x", i%100), URL: fmt.Sprintf("https://shop.%s/sale?id=%d", dom, i%20),
			Host: "shop." + dom, Domain: dom, URLDigest: fmt.Sprintf("%032x", i%20), Verdict: "clean", Action: "redirect",
			Source: "memory", LatencyMS: 0.05, ClientIP: "203.0.113.7",
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36",
		}
	}
	return evs
}
