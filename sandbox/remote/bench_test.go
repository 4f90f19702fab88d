package remote

import (
	"context"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox"
)

// BenchmarkQueueRoundTrip is the render queue's own cost per job (enqueue,
// a worker's read, the reply and its pub/sub wake-up) with a scanner that
// takes no time: what --sandbox=remote adds to a render. The client polls
// only once a second, so a lost wake-up would show as a second per job.
func BenchmarkQueueRoundTrip(b *testing.B) {
	s := start(b)
	s.worker(b, &fakeScanner{}, func(c *WorkerConfig) { c.Concurrency = 8; c.Block = time.Second })
	c, err := NewClient(context.Background(), ClientConfig{Redis: s.rdb})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if _, err := c.Scan(ctx, sandbox.Request{URL: "https://bench.example/"}); err != nil {
				b.Error(err)
			}
			cancel()
		}
	})
}
