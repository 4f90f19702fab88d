package inprocess

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox/browser"
)

// headlessShell is Debian's chromium-headless-shell binary.
const headlessShell = "/usr/lib/chromium/chromium-headless-shell"

// BenchmarkRenderCorpus renders the pages of ../shared/corpus/pages under
// their manifest host names (HTTP and HTTPS, through the real egress proxy
// and Chromium) at concurrency 1, 2 and 4, and reports render latency
// (p50, p95) and renders per minute. The baseline, side by side, renders
// an empty page at the same concurrency: the fixed cost of a fresh
// browser context, tab and capture. When Debian's headless shell is
// installed, the corpus is rendered on it too (corpus-headless-shell, at
// concurrency 1 and 2). It asserts nothing about time.
//
//	go test -run '^$' -bench RenderCorpus -benchtime 60x ./sandbox/inprocess
func BenchmarkRenderCorpus(b *testing.B) {
	root, m := corpusPages(b)
	site := corpusSite(b, root, append(m, corpusPage{ID: "", Host: "blank.bench.example"}))
	slices.SortFunc(m, func(x, y corpusPage) int { return strings.Compare(x.ID, y.ID) })
	s, err := New(context.Background(), Config{
		Browser:       browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 4},
		TestMapHosts:  site.Addr,
		TestTrustSPKI: []string{site.SPKI},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	corpus := func(i int) string { e := m[i%len(m)]; return "http://" + e.Host + "/" + e.Entry }
	blank := func(int) string { return "http://blank.bench.example/empty" }
	type set struct {
		name  string
		s     *InProcess
		url   func(int) string
		concs []int
	}
	sets := []set{{"corpus", s, corpus, []int{1, 2, 4}}, {"baseline-empty-page", s, blank, []int{1, 2, 4}}}
	// The same corpus on Chromium's headless shell (Debian's
	// chromium-headless-shell, when installed: scripts/bench.sh installs
	// it), the lighter engine without the full browser's profile and tab
	// machinery: what the fixed cost of a tab is, side by side. It is not
	// what Kensa runs (docs/sandbox.md: it is easier to recognise).
	if _, err := os.Stat(headlessShell); err == nil {
		sh, err := New(context.Background(), Config{
			Browser:       browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 4, ExecPath: headlessShell},
			TestMapHosts:  site.Addr,
			TestTrustSPKI: []string{site.SPKI},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer sh.Close()
		sets = append(sets, set{"corpus-headless-shell", sh, corpus, []int{1, 2}})
	}
	for _, set := range sets {
		for _, c := range set.concs {
			s := set.s
			b.Run(fmt.Sprintf("%s/concurrency=%d", set.name, c), func(b *testing.B) {
				var next atomic.Int64
				var mu sync.Mutex
				var took []time.Duration
				var failed int
				start := time.Now()
				var wg sync.WaitGroup
				for range c {
					wg.Go(func() {
						for {
							i := int(next.Add(1) - 1)
							if i >= b.N {
								return
							}
							rep := s.browser.Render(context.Background(), set.url(i), "", "")
							mu.Lock()
							took = append(took, rep.Duration)
							if rep.Err != "" {
								failed++
							}
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
				b.ReportMetric(float64(failed), "failed")
			})
		}
	}
}
