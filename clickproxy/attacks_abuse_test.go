package clickproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/fair"
)

// recordingScanner remembers every render it is asked for, in the order
// they start, and passes them on.
type recordingScanner struct {
	sandbox.Scanner
	mu   sync.Mutex
	reqs []sandbox.Request
	at   []time.Time
}

func (r *recordingScanner) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.at = append(r.at, time.Now())
	r.mu.Unlock()
	return r.Scanner.Scan(ctx, req)
}

// startOf is when the render of url started, and its place in the order.
func (r *recordingScanner) startOf(url string) (time.Time, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.reqs {
		if q.URL == url {
			return r.at[i], i, true
		}
	}
	return time.Time{}, 0, false
}

// sharedKey puts every render in one fair queue: the click proxy as it
// was before it set FairKey.
type sharedKey struct{ sandbox.Scanner }

func (s sharedKey) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	req.FairKey = ""
	return s.Scanner.Scan(ctx, req)
}

// floodSandbox is the fake scanner taking delay per render behind
// sandbox/fair with 2 slots (as kensa serve wraps its sandbox), its renders
// recorded in the order they start. shared: one queue for everyone.
func floodSandbox(delay time.Duration, shared bool, cfg fair.Config) (sandbox.Scanner, *fair.Scanner, *recordingScanner) {
	rec := &recordingScanner{Scanner: &fakeScanner{delay: delay}}
	cfg.Slots = 2
	f := fair.New(rec, cfg)
	if shared {
		return sharedKey{f}, f, rec
	}
	return f, f, rec
}

const floodHost = "campaign.example-flood.jp"

// flood clicks n distinct new links on floodHost at once, as people
// (browser User-Agent and language); wait waits for the answers.
func flood(e *env, n int, tag string) (wait func() []answer) {
	var wg sync.WaitGroup
	out := make([]answer, n)
	for i := range n {
		link := e.link(fmt.Sprintf("http://%s/offer/%s/%d", floodHost, tag, i))
		wg.Go(func() { out[i] = e.get(link) })
	}
	return func() []answer {
		wg.Wait()
		return out
	}
}

func (r *recordingScanner) started() []sandbox.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sandbox.Request(nil), r.reqs...)
}

const personUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestAbuse is the click proxy under abuse (issue 16): one row per attack,
// each with its own click proxy on a fresh Redis and the fake scanner.
func TestAbuse(t *testing.T) {
	attacks := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"HEAD on an uncached link", func(t *testing.T) { scannerFirst(t, "HEAD") }},
		{"python-requests GET on an uncached link", func(t *testing.T) { scannerFirst(t, "GET", "User-Agent", "python-requests/2.32.3") }},
		{"GET from a known scanner range on an uncached link", func(t *testing.T) { scannerFirst(t, "GET", "X-Test-Range", "1") }},
		{"scanner on a one-time link", scannerOneTime},
		{"flood of clicks from one client network", clickFlood},
		{"flood of API calls from one client network", apiFlood},
		{"7 KB forged and unsigned links with a 7 KB User-Agent", bigForged},
		{"1,000 forged clicks from one client network", forgedFlood},
		{"flood of distinct links on one domain", renderFlood},
	}
	for _, a := range attacks {
		t.Run(a.name, a.run)
	}
}

// scannerFirst: a scanner's request on a link nobody has clicked yet gets
// the neutral page (200, no Location), starts no render, and does not set
// the verdict: a person's click afterwards renders, with the person's
// browser, and gets the real verdict.
func scannerFirst(t *testing.T, method string, hdr ...string) {
	rec := &recordingScanner{Scanner: newFakeScanner()}
	e := newEnvWith(t, Policy{}, rec)
	scannerCodec := e.codec
	if len(hdr) == 2 && hdr[0] == "X-Test-Range" {
		// The scanner goes through another proxy on the same Redis, for
		// which loopback is a scanner range; the person through e's.
		_, scannerCodec, _ = e.start(func(c *Config) {
			c.Scanners.Ranges = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		hdr = nil
	}
	dest := "http://" + fakePhish + "/login?first=scanner"
	scannerLink := linkWith(t, scannerCodec, dest)
	for i := range 3 {
		a := e.do(method, scannerLink, "", hdr...)
		if a.status != 200 || a.location != "" || a.action != "neutral" {
			t.Fatalf("scanner request %d: %d %q Location=%q", i, a.status, a.action, a.location)
		}
		if method == "GET" && !strings.Contains(a.body, a.clickID) {
			t.Errorf("the neutral page lacks the click ID")
		}
	}
	if n := len(rec.started()); n != 0 {
		t.Fatalf("%d renders after scanner requests", n)
	}
	a := e.settle(e.get(e.link(dest)))
	if a.action != "block" || a.status != 403 || a.location != "" {
		t.Fatalf("person after scanners: %d %s", a.status, a.action)
	}
	r := rec.started()
	if len(r) != 1 || r[0].UserAgent != personUA {
		t.Fatalf("renders: %+v, want one with the person's browser", r)
	}
	// Now that a verdict exists, the scanner gets it from the cache.
	if b := e.do(method, scannerLink, "", hdr...); b.action != "block" || len(rec.started()) != 1 {
		t.Errorf("scanner after the verdict: %s, %d renders", b.action, len(rec.started()))
	}
}

// scannerOneTime: a scanner on a one-time link of a trusted domain is not
// redirected (it would use up the token); the person is.
func scannerOneTime(t *testing.T) {
	rec := &recordingScanner{Scanner: newFakeScanner()}
	e := newEnvWith(t, Policy{TrustedOneTime: []string{"example-idp.com"}}, rec)
	dest := "https://login.example-idp.com/reset?token=Zx81kQ0pLm3vT7"
	if a := e.get(e.link(dest), "User-Agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)"); a.action != "neutral" || a.location != "" {
		t.Fatalf("scanner on a one-time link: %d %s Location=%q", a.status, a.action, a.location)
	}
	if a := e.get(e.link(dest)); a.action != "redirect" || a.location != dest {
		t.Fatalf("person on a one-time link: %d %s", a.status, a.action)
	}
	if n := len(rec.started()); n != 0 {
		t.Errorf("%d renders of a one-time link", n)
	}
}

func linkWith(t *testing.T, c *linktoken.Codec, dest string) string {
	t.Helper()
	l, err := c.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp"}, dest)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// limitedEnv is a click proxy that takes the client address from
// X-Forwarded-For (so a test can be several clients) and has a clock that
// stands still (so no token comes back during the test).
func limitedEnv(t *testing.T, clicks, api RateLimit) (*env, *Server) {
	e, srv, _ := clockEnv(t, clicks, api)
	return e, srv
}

// clockEnv is limitedEnv with its clock, which the test moves.
func clockEnv(t *testing.T, clicks, api RateLimit) (*env, *Server, *atomic.Int64) {
	e := newFakeEnv(t, Policy{})
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	var srv *Server
	e.base, e.codec, srv = e.start(func(c *Config) {
		c.TrustProxyHeaders, c.ClickLimit, c.APILimit = true, clicks, api
		c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	})
	return e, srv, &clock
}

// clickFlood: one client network past its burst gets 429 with Retry-After
// and the error page, never a redirect, and no click event; another
// network is not affected.
func clickFlood(t *testing.T) {
	e, srv := limitedEnv(t, RateLimit{Rate: 20, Burst: 40}, RateLimit{Rate: -1})
	dest := "http://" + fakeClean + "/sale?id=42"
	link := e.link(dest)
	flood := []string{"X-Forwarded-For", "198.51.100.7"}
	for i := range 40 {
		if a := e.get(link, flood...); a.action != "redirect" {
			t.Fatalf("click %d within the burst: %d %s", i, a.status, a.action)
		}
	}
	emitted := e.events.Stats().Emitted
	for i := range 20 {
		a := e.get(link, flood...)
		if a.status != 429 || a.header.Get("Retry-After") != "1" || a.location != "" || a.action != "error" || !strings.Contains(a.body, a.clickID) {
			t.Fatalf("click %d past the burst: %d %s Retry-After=%q Location=%q", i, a.status, a.action, a.header.Get("Retry-After"), a.location)
		}
	}
	// Every route shares the click limit.
	if a := e.get(e.base+"/healthz", flood...); a.status != 429 {
		t.Errorf("healthz from the flooding network: %d", a.status)
	}
	if got := e.events.Stats().Emitted; got != emitted {
		t.Errorf("%d click events for refused requests", got-emitted)
	}
	if a := e.get(link, "X-Forwarded-For", "198.51.100.8"); a.action != "redirect" {
		t.Errorf("another client: %d %s", a.status, a.action)
	}
	if n := testutil.ToFloat64(srv.m.rateLimited.WithLabelValues("clicks")); n != 21 {
		t.Errorf("kensa_rate_limited_total{limit=clicks} = %v, want 21", n)
	}
}

// apiFlood: the API has its own, smaller limit and answers 429 with an
// api.Error; the click limit is separate.
func apiFlood(t *testing.T) {
	e, _ := limitedEnv(t, RateLimit{}, RateLimit{})
	call := func() answer {
		return e.do("GET", e.base+"/api/v1/overrides", "", "Authorization", "Bearer "+apiToken, "X-Forwarded-For", "2001:db8:1:2::7")
	}
	for i := range DefaultAPILimit.Burst {
		if a := call(); a.status != 200 {
			t.Fatalf("API call %d within the burst: %d %s", i, a.status, a.body)
		}
	}
	a := call()
	if a.status != 429 || a.header.Get("Retry-After") != "1" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("API call past the burst: %d Retry-After=%q %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	if e := apiError(t, "429", a.body); e.Code != api.CodeRateLimited {
		t.Errorf("API error code %q", e.Code)
	}
	// Another address in the same /64 is the same client network; clicks
	// from it are under the click limit, not the API's.
	if b := e.do("GET", e.base+"/api/v1/overrides", "", "Authorization", "Bearer "+apiToken, "X-Forwarded-For", "2001:db8:1:2::8"); b.status != 429 {
		t.Errorf("API from the same /64: %d", b.status)
	}
	if c := e.get(e.link("http://"+fakeClean+"/"), "X-Forwarded-For", "2001:db8:1:2::8"); c.action != "redirect" {
		t.Errorf("a click from the API client's network: %d %s", c.status, c.action)
	}
}

// bigForged: a forged link and an unsigned one of 7 KB, and a forged link
// with a 7 KB User-Agent (kensa serve reads at most 8 KB of request line
// and headers), are stored with every field at its maximum, marked clipped.
func bigForged(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	ua := "Mozilla/5.0 " + strings.Repeat("X", 600)
	bigUA := "Mozilla/5.0 " + strings.Repeat("X", 7000)
	forged := e.get(e.base+"/k/"+strings.Repeat("A", 7000)+"?u=http://evil.example/", "User-Agent", ua)
	unsigned := e.get(e.codec.Unsigned("http://evil.example/"+strings.Repeat("p", 7000)), "User-Agent", ua)
	forgedUA := e.get(e.base+"/k/AAAA?u=http://evil.example/", "User-Agent", bigUA)
	if forged.status != 400 || unsigned.status != 200 || forgedUA.status != 400 || forged.location+unsigned.location+forgedUA.location != "" {
		t.Fatalf("forged %d, unsigned %d, forged with a big User-Agent %d", forged.status, unsigned.status, forgedUA.status)
	}
	waitWritten(t, e.events)
	evs, err := e.events.Recent(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, ev := range evs {
		if ev.ClickID != forged.clickID && ev.ClickID != unsigned.clickID && ev.ClickID != forgedUA.clickID {
			continue
		}
		seen++
		if len(ev.UserAgent) > clicklog.MaxUserAgent || len(ev.URL) > clicklog.MaxURL {
			t.Errorf("%s event: user_agent %d bytes, url %d, clipped %v", ev.Error, len(ev.UserAgent), len(ev.URL), ev.Clipped)
		}
		if ev.ClickID == forgedUA.clickID && (len(ev.UserAgent) != clicklog.MaxUserAgent || !slices.Contains(ev.Clipped, "user_agent.original")) {
			t.Errorf("big User-Agent: %d bytes stored, clipped %v", len(ev.UserAgent), ev.Clipped)
		}
		if ev.Error == "unsigned" && (len(ev.URL) != clicklog.MaxURL || !slices.Contains(ev.Clipped, "url.full")) {
			t.Errorf("unsigned event: url %d bytes, clipped %v", len(ev.URL), ev.Clipped)
		}
		if b, _ := json.Marshal(ev); len(b) > 3500 {
			t.Errorf("%s event of %d bytes", ev.Error, len(b))
		}
	}
	if seen != 3 {
		t.Errorf("%d of the 3 events stored", seen)
	}
}

// forgedFlood: of 1,000 forged clicks from one network within a minute,
// the first 20 are stored one by one, the 1,000th is not, and the next
// minute brings one aggregate event with the other 980; a real click from
// that network in the flood is logged.
func forgedFlood(t *testing.T) {
	e, srv, clock := clockEnv(t, RateLimit{Rate: -1}, RateLimit{Rate: -1})
	clock.Store(time.Now().Truncate(time.Minute).Add(time.Second).UnixNano())
	from := []string{"X-Forwarded-For", "198.51.100.9"}
	forged := e.base + "/k/AQ" + strings.Repeat("x", 80) + "?u=http://evil.example/"
	var last atomic.Value
	var wg sync.WaitGroup
	var n atomic.Int64
	for range 8 {
		wg.Go(func() {
			for n.Add(1) <= 1000 {
				a := e.get(forged, from...)
				if a.status != 400 || a.location != "" {
					t.Errorf("forged: %d %q", a.status, a.location)
					return
				}
				last.Store(a.clickID)
			}
		})
	}
	wg.Wait()
	real := e.get(e.link("http://"+fakeClean+"/"), from...)
	waitWritten(t, e.events)
	stored := func() (errs int, ids map[string]clicklog.Event) {
		evs, err := e.events.Recent(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		ids = map[string]clicklog.Event{}
		for _, ev := range evs {
			ids[ev.ClickID] = ev
			if ev.Error == "malformed" {
				errs++
			}
		}
		return errs, ids
	}
	errs, ids := stored()
	if errs != errorEventsPerMinute {
		t.Errorf("%d forged-click events stored, want %d", errs, errorEventsPerMinute)
	}
	if _, ok := ids[last.Load().(string)]; ok {
		t.Errorf("the 1,000th forged click was stored in full")
	}
	if ev, ok := ids[real.clickID]; !ok || ev.Action != "redirect" {
		t.Errorf("the real click in the flood was not logged: %+v", ev)
	}
	if got := testutil.ToFloat64(srv.m.suppressed); got != 980 {
		t.Errorf("kensa_click_events_suppressed_total = %v, want 980", got)
	}
	// The next minute: the aggregate.
	clock.Add(int64(time.Minute))
	e.get(forged, from...)
	waitWritten(t, e.events)
	_, ids = stored()
	found := false
	for _, ev := range ids {
		if ev.Error == "suppressed" {
			found = true
			if ev.Suppressed != 980 || ev.ClientIP != "198.51.100.9/32" {
				t.Errorf("aggregate %+v", ev)
			}
		}
	}
	if !found {
		t.Errorf("no aggregate event")
	}
}

// renderFlood: 100 first clicks on distinct links of one domain fill the
// sandbox (2 slots, 50 ms a render, at most 64 waiting per domain); a
// person's first click on another domain is rendered in its turn, before
// the flood's queue drains, and gets the real verdict. The flood's clicks
// past the bound get unknown (sandbox-busy), never clean.
func renderFlood(t *testing.T) {
	sc, f, rec := floodSandbox(50*time.Millisecond, false, fair.Config{})
	e := newEnvWith(t, Policy{}, sc)
	wait := flood(e, 100, "t")
	for e.scanner.n.Load() < 100 { // every flood render asked for
		time.Sleep(5 * time.Millisecond)
	}
	dest := "http://" + fakePhish + "/login?during=flood"
	a := e.settle(e.get(e.link(dest)))
	if a.action != "block" {
		t.Errorf("the person's click during the flood: %d %s", a.status, a.action)
	}
	_, place, ok := rec.startOf(dest)
	if !ok {
		t.Fatal("the person's link was never rendered")
	}
	answers := wait()
	// Round robin: the person's render started while the flood still had
	// most of its queue waiting (one shared queue would have run all of it
	// first).
	if n := len(rec.started()); n-(place+1) < 20 {
		t.Errorf("the person's render was number %d of %d: only %d flood renders were still waiting", place+1, n, n-(place+1))
	}
	busy := 0
	for _, a := range answers {
		if a.action == "redirect" || a.action == "checking" {
			continue
		}
		if a.action != "warn" || !strings.Contains(a.body, "Too many links") && !strings.Contains(a.body, "確認待ちのリンクが多すぎる") {
			t.Errorf("a flood click: %d %s", a.status, a.action)
		}
		busy++
	}
	if busy == 0 || testutil.ToFloat64(e.srv.m.saturated) != float64(busy) {
		t.Errorf("%d flood clicks got sandbox-busy, kensa_render_saturated_total %v", busy, testutil.ToFloat64(e.srv.m.saturated))
	}
	// A saturated verdict is not cached: once the flood is over, the link
	// is rendered.
	for f.Stats().Running+f.Stats().Queued > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	for i, a := range answers {
		if a.action == "warn" {
			link := fmt.Sprintf("http://%s/offer/t/%d", floodHost, i)
			if b := e.settle(e.get(e.link(link))); b.action != "redirect" {
				t.Errorf("after the flood, %s: %s", link, b.action)
			}
			break
		}
	}
}
