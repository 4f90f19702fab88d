package clickproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
)

// BenchmarkSOCSearch measures the SOC API over a full click stream: it
// stores KENSA_BENCH_EVENTS click events (default 1,000,000: 10,000
// recipients, 2,000 domains, 50,000 URLs, 100,000 messages, over 29
// days), then, while 4 clients keep clicking cached links on the same
// click proxy (200 clicks/s in all), runs a mix of searches through GET /api/v1/clicks (by
// recipient, domain, URL, message, time range and action, host
// substring, and the next page of each) and one streamed export of a
// time range. It reports the search latency percentiles, the export's
// events per second and the clicks answered meanwhile. It asserts
// nothing about time (the bar, p99 <= 200 ms, is read in BENCHMARKS.md).
//
//	go test -run '^$' -bench SOCSearch -benchtime 1x -timeout 30m ./clickproxy
func BenchmarkSOCSearch(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("KENSA_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	e := newFakeEnv(b, Policy{})
	loader, err := clicklog.New(clicklog.Config{Redis: e.rdb, MaxLen: int64(n) * 2})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	start := now.Add(-29 * 24 * time.Hour)
	step := (29 * 24 * time.Hour) / time.Duration(n)
	actions := []string{"redirect", "redirect", "redirect", "redirect", "warn", "block", "checking", "neutral"}
	loadStart := time.Now()
	for i := range n {
		d := fmt.Sprintf("shop%04d.example", i%2000)
		loader.Emit(clicklog.Event{
			ClickID: fmt.Sprintf("%016x", i), Time: start.Add(time.Duration(i) * step),
			Recipient: fmt.Sprintf("user%05d@example.co.jp", i%10_000), Message: fmt.Sprintf("%016x", i%100_000),
			URL: fmt.Sprintf("https://www.%s/item/%d?ref=mail", d, i%50_000), Host: "www." + d, Domain: d,
			URLDigest: fmt.Sprintf("%032x", i%50_000), Verdict: "clean", Action: actions[i%len(actions)], Proceeded: i%97 == 0,
			Source: "redis", LatencyMS: 1.5, ClientIP: "192.0.2.10", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
		})
		if i%50_000 == 49_999 {
			for loader.Stats().Buffered > 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	if err := loader.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	loadTook := time.Since(loadStart)
	xlen, _ := e.rdb.XLen(context.Background(), clicklog.DefaultStream).Result()
	info, _ := e.rdb.Info(context.Background(), "memory").Result()
	b.Logf("stored %d events in %v; XLEN %d", n, loadTook, xlen)
	_ = info

	// Clicks on the proxy meanwhile: cached links, 4 clients at 50 clicks/s
	// each (KENSA_BENCH_CLICK_RATE per client): a busy morning's load,
	// not a saturating one, which would measure only the 2 cores' queue.
	rate := 50.0
	if v, err := strconv.ParseFloat(os.Getenv("KENSA_BENCH_CLICK_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	links := make([]string, 20)
	for i := range links {
		links[i] = e.link(fmt.Sprintf("http://%s/load/%d", fakeClean, i))
		e.get(links[i]) // render once: then cached
	}
	var clicks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				resp, err := e.client.Get(links[i%len(links)])
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					clicks.Add(1)
				}
			}
		})
	}
	loadBegan := time.Now()

	get := func(q url.Values) (api.ClickList, time.Duration) {
		req, _ := http.NewRequest("GET", e.base+api.PathClicks+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		t0 := time.Now()
		resp, err := e.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var cl api.ClickList
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		if err := json.Unmarshal(body, &cl); resp.StatusCode != 200 || err != nil {
			b.Fatalf("%s: %d %s", q.Encode(), resp.StatusCode, body)
		}
		return cl, took
	}
	kinds := map[string]func(i int) url.Values{
		"recipient": func(i int) url.Values {
			return url.Values{"recipient": {fmt.Sprintf("user%05d@example.co.jp", i*7919%10_000)}}
		},
		"domain":  func(i int) url.Values { return url.Values{"domain": {fmt.Sprintf("shop%04d.example", i*31%2000)}} },
		"url":     func(i int) url.Values { return url.Values{"url_digest": {fmt.Sprintf("%032x", i*104729%50_000)}} },
		"message": func(i int) url.Values { return url.Values{"message": {fmt.Sprintf("%016x", i*7%100_000)}} },
		"range+action": func(i int) url.Values {
			from := start.Add(time.Duration(i%28) * 24 * time.Hour)
			return url.Values{"from": {from.Format(time.RFC3339)}, "to": {from.Add(6 * time.Hour).Format(time.RFC3339)}, "action": {"block"}}
		},
		"host-substring": func(i int) url.Values { return url.Values{"host": {fmt.Sprintf("shop%04d", i*13%2000)}} },
	}
	var all []time.Duration
	per := map[string][]time.Duration{}
	rounds := 60
	for i := range rounds {
		for k, q := range kinds {
			v := q(i)
			cl, took := get(v)
			per[k] = append(per[k], took)
			all = append(all, took)
			if cl.Next != "" { // and its next page
				v.Set("cursor", cl.Next)
				_, took = get(v)
				per[k] = append(per[k], took)
				all = append(all, took)
			}
		}
	}
	pct := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	for k, ds := range per {
		b.Logf("%-15s n=%4d p50 %7.2f ms  p99 %7.2f ms", k, len(ds), pct(ds, 0.5), pct(ds, 0.99))
	}

	// Export: 3 days of clicks, streamed as JSON Lines.
	from := start.Add(10 * 24 * time.Hour)
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {from.Add(3 * 24 * time.Hour).Format(time.RFC3339)}, "format": {"jsonl"}}
	req, _ := http.NewRequest("GET", e.base+api.PathExport+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	t0 := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	lines := 0
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				lines++
			}
		}
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	exportTook := time.Since(t0)
	close(stop)
	wg.Wait()
	clickRate := float64(clicks.Load()) / time.Since(loadBegan).Seconds()

	b.ReportMetric(float64(n), "events")
	b.ReportMetric(pct(all, 0.5), "search-p50-ms")
	b.ReportMetric(pct(all, 0.99), "search-p99-ms")
	b.ReportMetric(float64(lines)/exportTook.Seconds(), "export-events/s")
	b.ReportMetric(float64(lines), "exported-events")
	b.ReportMetric(clickRate, "clicks/s-meanwhile")
	b.ReportMetric(float64(n)/loadTook.Seconds(), "load-events/s")
}
