package fair

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox"
)

// BenchmarkFlood measures what a person waits for a render while a flood of
// 100 distinct links from one key (a prefetching scanner, a campaign) is
// queued ahead on a sandbox of 2 slots whose renders take 20 ms: with fair
// queues (the person's key) and, as the baseline, one shared FIFO queue
// (the person queued under the flood's key, which is what a plain
// semaphore does).
//
//	go test -run '^$' -bench Flood -benchtime 5x ./sandbox/fair
func BenchmarkFlood(b *testing.B) {
	for _, mode := range []string{"fair", "fifo"} {
		b.Run(mode, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				total += floodOnce(b, mode == "fair")
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-person-wait")
		})
	}
}

func floodOnce(b *testing.B, fair bool) time.Duration {
	render := scanFunc(func(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
		time.Sleep(20 * time.Millisecond)
		return sandbox.Result{}, nil
	})
	s := New(render, Config{Slots: 2, MaxPerKey: 1000, MaxQueued: 1000})
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Scan(context.Background(), sandbox.Request{URL: fmt.Sprint("flood-", i), FairKey: "flood.example"})
		}()
	}
	for s.Stats().Queued < 98 {
		time.Sleep(time.Millisecond)
	}
	key := "bank.example"
	if !fair {
		key = "flood.example"
	}
	start := time.Now()
	s.Scan(context.Background(), sandbox.Request{URL: "person", FairKey: key})
	wait := time.Since(start)
	wg.Wait()
	return wait
}
