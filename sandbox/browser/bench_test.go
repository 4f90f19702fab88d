package browser

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRender renders a handful of local pages (through the egress
// proxy, as in production) at concurrency 1 and 2 and reports the latency
// percentiles and the throughput. It asserts nothing about time.
//
//	go test -run '^$' -bench Render -benchtime 20x ./sandbox/browser/
func BenchmarkRender(b *testing.B) {
	needBrowser(b)
	pages := []string{
		"http://www.news.example/",
		"http://login.amazon-co-jp.example/signin",
		"http://portal.example/frames",
		"http://click.mail-link.example/r/abc",
		"http://ua.example/echo",
	}
	for _, c := range []int{1, 2} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			var next atomic.Int64
			var mu sync.Mutex
			var took []time.Duration
			start := time.Now()
			var wg sync.WaitGroup
			for range c {
				wg.Go(func() {
					for {
						i := int(next.Add(1) - 1)
						if i >= b.N {
							return
						}
						rep := shared.Render(context.Background(), pages[i%len(pages)], "", "")
						if rep.Err != "" {
							b.Errorf("%s: %s", rep.URL, rep.Err)
						}
						mu.Lock()
						took = append(took, rep.Duration)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(float64(b.N)/elapsed.Minutes(), "renders/min")
		})
	}
}
