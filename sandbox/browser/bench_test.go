package browser

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
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
			runConcurrently(b, c, func(i int) time.Duration {
				rep := shared.Render(context.Background(), pages[i%len(pages)], "", "")
				if rep.Err != "" {
					b.Errorf("%s: %s", rep.URL, rep.Err)
				}
				return rep.Duration
			})
		})
	}
}

// reportLatency reports the p50 and p95 of took in ms and the throughput
// (b.N in elapsed).
func reportLatency(b *testing.B, took []time.Duration, elapsed time.Duration) {
	slices.Sort(took)
	b.ReportMetric(percentileMs(took, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(took, 0.95), "p95-ms")
	b.ReportMetric(float64(b.N)/elapsed.Minutes(), "renders/min")
}

// percentileMs is the p-th percentile of sorted, in ms.
func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()) / 1000
}

// runConcurrently runs one(i) for i in [0, b.N) on c goroutines and
// reports the latencies it returns (reportLatency).
func runConcurrently(b *testing.B, c int, one func(i int) time.Duration) {
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
				d := one(i)
				mu.Lock()
				took = append(took, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	reportLatency(b, took, time.Since(start))
}

// BenchmarkFloor is issue 12: the fixed cost of one Kensa render against
// its floor, a bare chromedp script, side by side in one run, at
// concurrency 1 and 2.
//
//   - kensa-empty-page: Browser.Render of an empty page (through the
//     egress proxy, as in production); the latency is Report.Duration.
//     The renders start in rounds of c at once, each round on a sandbox
//     as it is between people's clicks (waitIdle, untimed): the tabs of
//     the last round closed and the spare tabs open again, as the bare
//     script's close comes before its next iteration, untimed.
//   - kensa-back-to-back: the same, each render starting as soon as the
//     last one on its goroutine returned, so that closing the last tab
//     and opening the next spare compete with it on the cores.
//   - bare-chromedp: the same Chromium binary with the same switches
//     (allocatorOptions) except the proxy ones, and per iteration only: a
//     fresh incognito browser context (Target.createBrowserContext), a new
//     tab, navigate (chromedp.Navigate: until the load event) to the same
//     empty page served by httptest on loopback, a JPEG screenshot of the
//     viewport (the same parameters as Render's), then close the tab and
//     the context. The latency runs from before the context is created to
//     the screenshot; the close is not timed (Render closes the tab after
//     it returns too) but happens before the next iteration on that
//     goroutine (Render's tab slot is held until the tab is closed too).
//
// scripts/bench.sh runs it with BenchmarkRenderSteps:
//
//	go test -run '^$' -bench 'Floor|RenderSteps' -benchtime 20x ./sandbox/browser/
func BenchmarkFloor(b *testing.B) {
	needBrowser(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, emptyPage)
	}))
	defer srv.Close()
	bare := startBare(b)
	shot := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatJpeg, Quality: new(int64(70)), OptimizeForSpeed: new(true)}

	for _, c := range []int{1, 2} {
		for _, idle := range []bool{true, false} {
			name := "kensa-empty-page"
			if !idle {
				name = "kensa-back-to-back"
			}
			b.Run(fmt.Sprintf("%s/concurrency=%d", name, c), func(b *testing.B) {
				one := func(int) time.Duration {
					rep := shared.Render(context.Background(), "http://blank.bench.example/empty", "", "")
					if rep.Err != "" || len(rep.Screenshot) == 0 {
						b.Errorf("%s: err=%q, %d bytes of screenshot", rep.URL, rep.Err, len(rep.Screenshot))
					}
					return rep.Duration
				}
				if idle {
					runIdleRounds(b, c, one)
				} else {
					runConcurrently(b, c, one)
				}
			})
		}
		b.Run(fmt.Sprintf("bare-chromedp/concurrency=%d", c), func(b *testing.B) {
			runConcurrently(b, c, func(int) time.Duration {
				start := time.Now()
				ctx, cancel := chromedp.NewContext(bare, chromedp.WithNewBrowserContext())
				ctx, cancelT := context.WithTimeout(ctx, 10*time.Second)
				var jpeg []byte
				err := chromedp.Do(ctx, chromedp.Navigate(srv.URL))
				if err == nil {
					var res page.CaptureScreenshotResult
					if res, err = chromedp.Call(ctx, page.CaptureScreenshot, shot); err == nil {
						jpeg = res.Data
					}
				}
				took := time.Since(start)
				cancelT()
				cancel() // closes the tab and disposes of its browser context
				if err != nil || len(jpeg) == 0 {
					b.Errorf("bare: %v, %d bytes of screenshot", err, len(jpeg))
				}
				return took
			})
		})
	}
}

// runIdleRounds runs one(i) for i in [0, b.N) in rounds of c at once,
// each round once the shared browser is idle (waitIdle), and reports the
// latencies it returns (reportLatency; the throughput includes the waits).
func runIdleRounds(b *testing.B, c int, one func(i int) time.Duration) {
	var took []time.Duration
	start := time.Now()
	for i := 0; i < b.N; i += c {
		waitIdle(shared)
		n := min(c, b.N-i)
		round := make([]time.Duration, n)
		var wg sync.WaitGroup
		for j := range n {
			wg.Go(func() { round[j] = one(i + j) })
		}
		wg.Wait()
		took = append(took, round...)
	}
	reportLatency(b, took, time.Since(start))
}

// waitIdle waits until br is as between clicks: no render and no tab
// closing (both hold a render slot), and every spare tab open (at most
// 10 s).
func waitIdle(br *Browser) {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if len(br.sem) == 0 && len(br.spares) == cap(br.spares) {
			return
		}
	}
}

// startBare starts a Chromium for BenchmarkFloor's bare script: the
// binary and the switches of the shared browser, without its proxies
// (a page on loopback is served directly) and in its own profile. It is
// killed when b ends.
func startBare(b *testing.B) context.Context {
	b.Helper()
	dir := b.TempDir()
	opts := append(shared.allocatorOptions(dir),
		chromedp.Flag("proxy-server", false),
		chromedp.Flag("proxy-bypass-list", false),
		chromedp.Flag("host-resolver-rules", false),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		b.Fatalf("bare chromium: %v", err)
	}
	b.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// BenchmarkRenderSteps profiles Browser.Render of an empty page at
// concurrency 1, each render starting on an idle sandbox (waitIdle): the
// median time of each step (testHookStep), in order.
// acquire: from Render's start to the tab slot and the browser;
// context+tab: taking a spare tab (keepSpares), or opening one
// (Target.createBrowserContext, createTarget, attach and lockDown) when
// none is ready; setup: the emulation of the clicker's device (emulation.go);
// navigate: the Page.navigate command; settle: until loaded and quiet for
// Config.Settle; extract: extract.js; look-further: the timers in virtual
// time, the second read (late.go); screenshot: the JPEG; close: closing
// the tab and its browser context, after Render returned.
//
//	go test -run '^$' -bench RenderSteps -benchtime 20x ./sandbox/browser/
func BenchmarkRenderSteps(b *testing.B) {
	needBrowser(b)
	type mark struct {
		step string
		at   time.Time
	}
	var mu sync.Mutex
	marks := map[uint64][]mark{}
	closed := make(chan uint64, 1)
	hook := func(id uint64, step string, at time.Time) {
		mu.Lock()
		marks[id] = append(marks[id], mark{step, at})
		mine := marks[id][0].step == "acquire" // not an earlier render's close
		mu.Unlock()
		if step == "close" && mine {
			closed <- id
		}
	}
	testHookStep.Store(&hook)
	defer testHookStep.Store(nil)
	steps := []string{"acquire", "context+tab", "setup", "navigate", "settle", "extract", "look-further", "screenshot", "close"}
	per := map[string][]time.Duration{}
	var total []time.Duration
	for range b.N {
		waitIdle(shared)
		rep := shared.Render(context.Background(), "http://blank.bench.example/empty", "", "")
		if rep.Err != "" {
			b.Fatalf("render: %s", rep.Err)
		}
		id := <-closed
		mu.Lock()
		ms := marks[id]
		mu.Unlock()
		prev := rep.StartedAt
		for _, m := range ms {
			per[m.step] = append(per[m.step], m.at.Sub(prev))
			prev = m.at
		}
		total = append(total, rep.Duration)
	}
	for _, s := range steps {
		slices.Sort(per[s])
		b.ReportMetric(percentileMs(per[s], 0.5), s+"-ms")
	}
	slices.Sort(total)
	b.ReportMetric(percentileMs(total, 0.5), "render-p50-ms")
}
