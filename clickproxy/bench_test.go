package clickproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/fair"
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

// noScanner fails every scan: BenchmarkCachedClick must never render.
type noScanner struct{}

func (noScanner) Scan(context.Context, sandbox.Request) (sandbox.Result, error) {
	return sandbox.Result{}, errors.New("BenchmarkCachedClick rendered")
}

// BenchmarkCachedClick is the hot path in process (no network): a click
// whose verdict is in the in-process cache, with the click event going to
// a real Redis stream and the JSON click log to io.Discard. Besides ns/op
// and allocs/op (which a loaded machine inflates), it reports CPU time per
// click, which load hardly changes: cpu-ns/op is this process's (the
// handler, the click log's writer and the GC; all of it until the last
// event is in Redis), redis-cpu-ns/op Redis's. For profiling:
//
//	go test -run '^$' -bench CachedClick -benchmem -cpuprofile /tmp/cpu.out ./clickproxy
func BenchmarkCachedClick(b *testing.B) {
	rs := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	events, err := clicklog.New(clicklog.Config{Redis: rdb, Lines: io.Discard, Buffer: b.N + 1})
	if err != nil {
		b.Fatal(err)
	}
	kr, _ := linktoken.NewKeyring(7, linktoken.Key{ID: 7, Secret: bytes.Repeat([]byte{7}, linktoken.SecretSize)})
	codec, _ := linktoken.NewCodec("http://127.0.0.1:8080", kr)
	// The click limit on, as in production, but never refusing: its cost
	// is part of the hot path.
	s, err := New(Config{Codec: codec, Keyring: kr, Redis: rdb, Scanner: noScanner{}, Events: events, ClickLimit: RateLimit{Rate: 1e9, Burst: 1e9}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dest := "http://shop.example-store.jp/sale?id=42"
	link, _ := codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp"}, dest)
	u, _ := url.Parse(dest)
	const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36"
	// Cached under the clicker's device class, as the click proxy keys it.
	s.store.mem.Add(verdictKey(urlDigest(canonicalURL(dest, u)), sandbox.DeviceOf(ua)),
		&cached{Verdict: verdict.Verdict{Level: verdict.Clean, JudgedAt: time.Now()}, Expires: time.Now().Add(time.Hour)})
	var req fasthttp.Request
	req.SetRequestURI(link)
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept-Language", "ja")
	h := s.Handler()
	cpu0, rcpu0 := processCPU(b), redisCPU(b, rs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		for pb.Next() {
			req.CopyTo(&ctx.Request)
			ctx.Response.Reset()
			h(&ctx)
			if ctx.Response.StatusCode() != 303 {
				b.Errorf("status %d", ctx.Response.StatusCode())
				return
			}
		}
	})
	b.StopTimer()
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := events.Close(cctx); err != nil {
		b.Fatal(err)
	}
	if st := events.Stats(); st.Written != int64(b.N) || st.Dropped != 0 {
		b.Fatalf("click log %+v after %d clicks", st, b.N)
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64((redisCPU(b, rs)-rcpu0).Nanoseconds())/float64(b.N), "redis-cpu-ns/op")
}

// processCPU is the CPU time this process has used (user and system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func redisCPU(b *testing.B, s *redistest.Server) time.Duration {
	b.Helper()
	d, err := s.CPU()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkClickKey is the URL work every click does before the cache:
// the override key, the canonical URL (the cache key and rendered URL)
// and its digest.
func BenchmarkClickKey(b *testing.B) {
	dest := "http://shop.example-store.jp/sale?id=42"
	u, _ := parseDest(dest)
	b.ReportAllocs()
	for b.Loop() {
		_ = normalizeURL(u)
		_ = urlDigest(canonicalURL(dest, u))
	}
}

// BenchmarkFloodedClick measures what a person's first click on one domain
// waits while a flood of 200 distinct first clicks on another domain fills
// the sandbox: the fake scanner taking 50 ms a render, 2 slots, wrapped in
// sandbox/fair as kensa serve does. fair-key is the click proxy as it is
// (FairKey = the registrable domain); shared-key puts every render in one
// queue (the proxy before FairKey), with fair's default bounds (64 waiting
// per key) and unbounded. Reported: the time until the person's answer,
// until the person's render started, and the share of people who got a
// real verdict (not sandbox-busy). It asserts nothing about time.
//
//	go test -run '^$' -bench FloodedClick -benchtime 3x ./clickproxy
func BenchmarkFloodedClick(b *testing.B) {
	for _, mode := range []struct {
		name   string
		shared bool
		cfg    fair.Config
	}{
		{"fair-key", false, fair.Config{}},
		{"shared-key", true, fair.Config{}},
		{"shared-key-unbounded", true, fair.Config{MaxPerKey: 1000, MaxQueued: 1000}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			sc, f, rec := floodSandbox(50*time.Millisecond, mode.shared, mode.cfg)
			e := newEnvWith(b, Policy{}, sc)
			var answer, started time.Duration
			var real, rendered int
			for i := 0; i < b.N; i++ {
				asked := e.scanner.n.Load()
				wait := flood(e, 200, fmt.Sprintf("%s-%d", mode.name, i))
				for e.scanner.n.Load() < asked+200 { // every flood render asked for
					time.Sleep(time.Millisecond)
				}
				dest := fmt.Sprintf("http://%s/login?person=%s-%d", fakePhish, mode.name, i)
				start := time.Now()
				a := e.get(e.link(dest))
				answer += time.Since(start)
				if a.action == "block" {
					real++
				}
				wait()
				for f.Stats().Running+f.Stats().Queued > 0 {
					time.Sleep(10 * time.Millisecond)
				}
				if at, _, ok := rec.startOf(dest); ok {
					started += at.Sub(start)
					rendered++
				}
			}
			b.ReportMetric(float64(answer.Milliseconds())/float64(b.N), "person-answer-ms")
			if rendered > 0 {
				b.ReportMetric(float64(started.Milliseconds())/float64(rendered), "person-render-start-ms")
			}
			b.ReportMetric(100*float64(real)/float64(b.N), "person-real-verdict-%")
		})
	}
}
