package clicklog

import (
	"context"
	"io"
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
	l, err := New(Config{Redis: c, Buffer: b.N + 1, Log: NewZap(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	e := clickSample()
	cpu0 := redisCPU(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Emit(e)
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
	l, err := New(Config{Redis: c, Buffer: b.N + 1, Log: NewZap(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	e := clickSample()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Emit(e)
		}
	})
}

// clickSample is a cached click as the click proxy emits it: in all four
// indexes and the counters, at the current time (so within retention).
func clickSample() Event {
	return Event{
		ClickID: "0123456789abcdef", Time: time.Now(), Recipient: "hanako@example.co.jp", Message: "9f86d081884c7d65",
		URL: "https://shop.example-store.jp/sale?id=42", Host: "shop.example-store.jp", Domain: "example-store.jp",
		URLDigest: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Verdict: "clean", Action: "redirect", Source: "memory",
		LatencyMS: 0.05, ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36",
	}
}
