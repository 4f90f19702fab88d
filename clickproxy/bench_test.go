package clickproxy

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkHerd measures the herd: the time until 200 concurrent first
// clicks on one new link are all answered, beside the time one click on
// another new link takes alone (one render), in the same run, through the
// real sandbox and Redis. It asserts nothing about time.
//
//	go test -run '^$' -bench Herd -benchtime 3x ./clickproxy
func BenchmarkHerd(b *testing.B) {
	e := newEnv(b, Policy{})
	var single, herd time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if a := e.settle(e.get(e.link(fmt.Sprintf("http://rakuten-card.account-check.top/login?alone=%d", i)))); a.action != "block" {
			b.Fatalf("alone: %s", a.action)
		}
		single += time.Since(start)
		dest := fmt.Sprintf("http://rakuten-card.account-check.top/login?herd=%d", i)
		start = time.Now()
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				if a := e.settle(e.get(e.link(dest))); a.action != "block" {
					b.Errorf("herd: %s", a.action)
				}
			})
		}
		wg.Wait()
		herd += time.Since(start)
		if n := e.scanner.count(dest); n != 1 {
			b.Errorf("%d renders for the herd", n)
		}
	}
	b.ReportMetric(float64(single.Milliseconds())/float64(b.N), "one-click-ms")
	b.ReportMetric(float64(herd.Milliseconds())/float64(b.N), "200-clicks-all-answered-ms")
}
