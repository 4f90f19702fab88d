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
	e := sample("bench")
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
	e := sample("bench")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Emit(e)
		}
	})
}
