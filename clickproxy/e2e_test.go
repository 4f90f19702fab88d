package clickproxy

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
)

// countingScanner counts the renders the click proxy asks for and passes
// them to the real sandbox.
type countingScanner struct {
	sandbox.Scanner
	n    atomic.Int64
	mu   sync.Mutex
	urls map[string]int
}

func (c *countingScanner) Scan(ctx context.Context, r sandbox.Request) (sandbox.Result, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.urls[r.URL]++
	c.mu.Unlock()
	return c.Scanner.Scan(ctx, r)
}

func (c *countingScanner) count(u string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.urls[u]
}

const apiToken = "test-api-token-0123456789"

// env is one running click proxy with real Redis and the real sandbox.
type env struct {
	t       testing.TB
	base    string
	codec   *linktoken.Codec
	redis   *redistest.Server
	rdb     *redis.Client
	scanner *countingScanner
	events  *clicklog.Log
	srv     *Server
	client  *http.Client
}

// sites are the destinations, under realistic names, all served by one
// loopback test server that the sandbox maps every name to.
func sites(w http.ResponseWriter, r *http.Request) {
	host := strings.Split(r.Host, ":")[0]
	html := func(s string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, s)
	}
	switch {
	case host == "www.example-shop.co.jp", host == "accounts.example-idp.com", host == "news.example-media.jp":
		html(`<html><head><title>Example Shop</title></head><body><h1>セール開催中</h1><p>` + strings.Repeat("新着商品のお知らせです。", 20) + `</p></body></html>`)
	case host == "rakuten-card.account-check.top", host == "rakuten.example-idp.com":
		html(`<html><head><title>楽天カード ログイン</title></head><body><img alt="楽天カード" src="/logo.png"><form action="/p" method="post">ユーザID<input name="u"> パスワード<input type="password" name="p"><button>ログイン</button></form></body></html>`)
	case host == "someone.github.io":
		html(`<html><head><title>Member login</title></head><body><form action="/p" method="post">User <input name="u"> Password <input type="password" name="p"></form><p>` + strings.Repeat("Welcome back. ", 20) + `</p></body></html>`)
	case host == "friend-request.sns-example.com":
		http.Redirect(w, r, "https://accounts.google.com/o/oauth2/v2/auth?client_id=123-abc.apps.googleusercontent.com&redirect_uri=https://friend-request.sns-example.com/cb&response_type=code&scope=https://www.googleapis.com/auth/contacts.readonly%20https://www.googleapis.com/auth/gmail.send", http.StatusFound)
	case host == "accounts.google.com":
		html(`<html><head><title>Sign in - Google Accounts</title></head><body><p>` + strings.Repeat("Choose an account to continue. ", 10) + `</p></body></html>`)
	case host == "kuroneko-app.delivery-check.top":
		if r.URL.Path == "/app.apk" {
			w.Header().Set("Content-Type", "application/vnd.android.package-archive")
			w.Header().Set("Content-Disposition", `attachment; filename="yamato.apk"`)
			w.Write([]byte("PK\x03\x04 fake apk"))
			return
		}
		html(`<html><head><title>ヤマト運輸</title><meta http-equiv="refresh" content="0;url=/app.apk"></head><body>アプリをインストールしてください</body></html>`)
	case host == "slow.example-media.jp":
		time.Sleep(3 * time.Second)
		html(`<html><head><title>Slow news</title></head><body><p>` + strings.Repeat("A slow but honest page. ", 20) + `</p></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

func newEnv(t testing.TB, policy Policy) *env {
	testenv.Require(t, testenv.Chromium)
	redis.SetLogger(&logging.VoidLogger{}) // the outage test would print a line per reconnect
	rs := redistest.Start(t)
	site, err := testsite.Start(http.HandlerFunc(sites))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	sb, err := inprocess.New(context.Background(), inprocess.Config{
		Browser:       browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 2},
		TestMapHosts:  site.Addr,
		TestTrustSPKI: []string{site.SPKI},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, MaxRetries: -1, DialTimeout: 300 * time.Millisecond, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	events, err := clicklog.New(clicklog.Config{Redis: rdb, Log: clicklog.NewZap(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	kr, err := linktoken.NewKeyring(7, linktoken.Key{ID: 7, Secret: bytes.Repeat([]byte{7}, linktoken.SecretSize), Created: time.Unix(1.7e9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := linktoken.NewCodec(base, kr)
	if err != nil {
		t.Fatal(err)
	}
	sc := &countingScanner{Scanner: sb, urls: map[string]int{}}
	if policy.Unknown == "" {
		policy.ProceedSuspicious, policy.ProceedUnknown = true, true
	}
	if policy.TrustedOneTime == nil {
		policy.TrustedOneTime = []string{"example-idp.com"}
	}
	srv, err := New(Config{
		Codec: codec, Keyring: kr, Redis: rdb, Scanner: sc, Events: events, Policy: policy,
		Wait: 2 * time.Second, RenderTimeout: 20 * time.Second, APITokens: []string{apiToken},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &fasthttp.Server{Handler: srv.Handler(), ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Shutdown()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		events.Close(ctx)
	})
	return &env{
		t: t, base: base, codec: codec, redis: rs, rdb: rdb, scanner: sc, events: events, srv: srv,
		client: &http.Client{
			Timeout:       60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 300},
		},
	}
}

func (e *env) link(dest string) string {
	l, err := e.codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp", MessageDigest: linktoken.MessageDigest("<m1@example.co.jp>")}, dest)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

type answer struct {
	status           int
	action, clickID  string
	location         string
	body             string
	header           http.Header
	refresh, proceed string
}

var (
	reReport  = regexp.MustCompile(`<form class="report" method="post" action="([^"]+)"`)
	reRefresh = regexp.MustCompile(`http-equiv="refresh" content="\d+;\s*url=([^"]+)"`)
	reProceed = regexp.MustCompile(`href="(/p/[^"]+)"`)
)

func (e *env) get(u string, hdr ...string) answer {
	e.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	req.Header.Set("Accept-Language", "ja,en;q=0.8")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, action: resp.Header.Get("X-Kensa-Action"), clickID: resp.Header.Get("X-Kensa-Click-Id"),
		location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
	if m := reRefresh.FindStringSubmatch(a.body); m != nil {
		a.refresh = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if m := reProceed.FindStringSubmatch(a.body); m != nil {
		a.proceed = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	return a
}

// settle follows "checking" pages until the final answer.
func (e *env) settle(a answer) answer {
	e.t.Helper()
	for i := 0; a.action == "checking" && i < 30; i++ {
		if a.refresh == "" {
			e.t.Fatalf("checking page without a follow-up: %s", a.body)
		}
		time.Sleep(time.Second)
		a = e.get(e.base + a.refresh)
	}
	return a
}

func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("X-Kensa-Click-Id") == "" {
		t.Errorf("%s: security headers missing: %v", what, h)
	}
}

// TestClicks runs every verdict path end to end: real Redis, the real
// sandbox rendering local sites under realistic names, and the proxy over
// loopback HTTP.
func TestClicks(t *testing.T) {
	e := newEnv(t, Policy{})
	cases := []struct {
		name, dest, action string
		status             int
		body               []string
	}{
		{"clean", "http://www.example-shop.co.jp/sale?id=42", "redirect", 303, nil},
		{"credential phish", "http://rakuten-card.account-check.top/login", "block", 403, []string{"楽天", "rakuten-card.account-check.top"}},
		{"OAuth consent lure", "http://friend-request.sns-example.com/accept", "block", 403, []string{"連絡先"}},
		{"APK lure", "http://kuroneko-app.delivery-check.top/", "block", 403, []string{"yamato.apk"}},
		{"free-hosting login", "https://someone.github.io/login", "warn", 200, []string{"github.io"}},
	}
	for _, c := range cases {
		a := e.settle(e.get(e.link(c.dest)))
		checkHeaders(t, c.name, a.header)
		if a.action != c.action || a.status != c.status {
			t.Errorf("%s: %d %s, want %d %s\n%s", c.name, a.status, a.action, c.status, c.action, a.body)
			continue
		}
		if c.action == "redirect" && a.location != c.dest {
			t.Errorf("%s: Location %q", c.name, a.location)
		}
		if c.action != "redirect" {
			if a.location != "" {
				t.Errorf("%s: a %s page with a Location header", c.name, c.action)
			}
			if strings.Contains(a.body, `href="`+c.dest) {
				t.Errorf("%s: the page links to the destination", c.name)
			}
			for _, s := range append(c.body, a.clickID) {
				if !strings.Contains(a.body, s) {
					t.Errorf("%s: page lacks %q", c.name, s)
				}
			}
		}
		// The second click is answered from memory, without a render.
		before := e.scanner.n.Load()
		b := e.get(e.link(c.dest))
		if b.action != c.action || e.scanner.n.Load() != before {
			t.Errorf("%s: second click %s, renders %d -> %d", c.name, b.action, before, e.scanner.n.Load())
		}
	}

	// A warning's "continue anyway" goes on, once per click, to that
	// destination only.
	a := e.get(e.link("https://someone.github.io/login"), "Accept-Language", "en-US,en;q=0.9")
	if a.proceed == "" || !strings.Contains(a.body, "lang=\"en\"") {
		t.Fatalf("warning without a continue link, or not in English: %s", a.body)
	}
	p := e.get(e.base + a.proceed)
	if p.status != 303 || p.location != "https://someone.github.io/login" || p.action != "redirect" {
		t.Errorf("proceed: %d %q %s", p.status, p.location, p.action)
	}
	forged := strings.Replace(a.proceed, a.proceed[len(a.proceed)-3:], "AAA", 1)
	if f := e.get(e.base + forged); f.status < 400 || f.location != "" {
		t.Errorf("forged proceed token: %d %q", f.status, f.location)
	}

	// "Report this" on a block page reaches the SOC's list; a forged one
	// (another click ID with this MAC) does not.
	blk := e.get(e.link("http://rakuten-card.account-check.top/login"))
	m := reReport.FindStringSubmatch(blk.body)
	if m == nil {
		t.Fatalf("block page without a report form")
	}
	report := strings.ReplaceAll(m[1], "&amp;", "&")
	post := func(u string) int {
		resp, err := e.client.Post(e.base+u, "application/x-www-form-urlencoded", strings.NewReader("click_id="+blk.clickID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(report); code != 200 {
		t.Errorf("report: %d", code)
	}
	post(strings.Replace(report, "c="+blk.clickID, "c="+strings.Repeat("0", 16), 1))
	if n, _ := e.rdb.LLen(context.Background(), keyReports).Result(); n != 1 {
		t.Errorf("%d reports recorded, want 1", n)
	}

	// The checking page follows up by itself.
	slow := e.get(e.link("http://slow.example-media.jp/story"))
	if slow.action != "checking" || slow.refresh == "" {
		t.Errorf("slow destination: %s, refresh %q", slow.action, slow.refresh)
	} else if fin := e.settle(slow); fin.action != "redirect" || fin.clickID != slow.clickID {
		t.Errorf("after checking: %s (click %s, was %s)", fin.action, fin.clickID, slow.clickID)
	}

	// A destination net/url cannot parse (a stray "%") is still a link
	// Kensa signed: it is checked and answered, and the service lives on.
	odd := "http://www.example-shop.co.jp/sale%zz"
	// (Go's test server answers such a request 400, so the page is judged
	// unknown: a warning.)
	if a := e.settle(e.get(e.link(odd))); a.status >= 500 || (a.action != "redirect" && a.action != "warn") || a.location != "" && a.location != odd {
		t.Errorf("stray %%: %d %s %q", a.status, a.action, a.location)
	}
	if h := e.get(e.base + "/healthz"); h.status != 200 {
		t.Errorf("after the stray %%: healthz %d", h.status)
	}
	// The follow-up of a click needs its MAC, not only the click ID.
	if f := e.get(e.base + "/w/" + a.clickID); f.status != 410 || f.location != "" {
		t.Errorf("follow-up without its MAC: %d %q", f.status, f.location)
	}

	// The unsigned form is shown, never followed.
	x := e.get(e.codec.Unsigned("http://www.example-shop.co.jp/" + strings.Repeat("a", 40)))
	if x.status >= 300 && x.status < 400 || x.location != "" || !strings.Contains(x.body, "www.example-shop.co.jp") {
		t.Errorf("unsigned link: %d %q", x.status, x.location)
	}

	// Health, readiness and metrics.
	if h := e.get(e.base + "/healthz"); h.status != 200 {
		t.Errorf("healthz %d", h.status)
	}
	if r := e.get(e.base + "/readyz"); r.status != 200 {
		t.Errorf("readyz %d %s", r.status, r.body)
	}

	// Every click is in the click log, with its action.
	ctx := context.Background()
	waitWritten(t, e.events)
	evs, err := e.events.Recent(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, ev := range evs {
		actions[ev.Action]++
		if ev.ClickID == "" || ev.Time.IsZero() {
			t.Errorf("incomplete event %+v", ev)
		}
	}
	proceeded := 0
	for _, ev := range evs {
		if ev.Proceeded && ev.Action == "redirect" && ev.Source == "proceed" {
			proceeded++
		}
	}
	if actions["redirect"] < 3 || actions["block"] < 6 || actions["warn"] < 3 || proceeded != 1 || actions["checking"] < 1 {
		t.Errorf("click log actions %v, %d proceeded", actions, proceeded)
	}
}

func waitWritten(t *testing.T, l *clicklog.Log) {
	t.Helper()
	for i := 0; i < 100; i++ {
		st := l.Stats()
		if st.Written+st.Dropped >= st.Emitted && st.Buffered == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("click log not flushed: %+v", l.Stats())
}

// TestHerd: 200 people click the same new link at once. One render, and
// all 200 get the answer.
func TestHerd(t *testing.T) {
	e := newEnv(t, Policy{})
	dest := "http://rakuten-card.account-check.top/login?campaign=herd"
	var wg sync.WaitGroup
	results := make([]answer, 200)
	for i := range results {
		wg.Go(func() { results[i] = e.settle(e.get(e.link(dest))) })
	}
	wg.Wait()
	if n := e.scanner.count(dest); n != 1 {
		t.Errorf("%d renders for 200 concurrent clicks, want 1", n)
	}
	for i, a := range results {
		if a.action != "block" {
			t.Errorf("click %d: %s", i, a.action)
		}
	}
}

// TestOverrides: the API needs a token; block and allow lists win over
// verdicts, the most specific entry first.
func TestOverrides(t *testing.T) {
	e := newEnv(t, Policy{})
	api := func(method, path, body, token string) (int, string) {
		req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := api("GET", "/api/v1/overrides", "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := api("GET", "/api/v1/overrides", "", "wrong-token-0123456789"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code, body := api("POST", "/api/v1/overrides", `{"list":"grey","kind":"domain","value":"http://x/"}`, apiToken); code != 400 || !strings.Contains(body, "list must be") || !strings.Contains(body, "not a host name") {
		t.Errorf("bad override: %d %s", code, body)
	}
	clean := "http://www.example-shop.co.jp/item/1"
	if a := e.get(e.link(clean)); a.action != "redirect" {
		t.Fatalf("before the override: %s", a.action)
	}
	if code, body := api("POST", "/api/v1/overrides", `{"list":"block","kind":"domain","value":"example-shop.co.jp","note":"compromised"}`, apiToken); code != 201 {
		t.Fatalf("add: %d %s", code, body)
	}
	if a := e.get(e.link(clean)); a.action != "block" || !strings.Contains(a.body, "管理者") {
		t.Errorf("blocked domain: %s", a.action)
	}
	// An exact-URL allow beats the domain block.
	if code, body := api("POST", "/api/v1/overrides", `{"list":"allow","kind":"url","value":"HTTP://WWW.EXAMPLE-SHOP.CO.JP/item/1"}`, apiToken); code != 201 {
		t.Fatalf("add allow: %d %s", code, body)
	}
	if a := e.get(e.link(clean)); a.action != "redirect" {
		t.Errorf("allowed URL under a blocked domain: %s", a.action)
	}
	if code, body := api("GET", "/api/v1/overrides", "", apiToken); code != 200 || strings.Count(body, `"list"`) != 2 {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ := api("DELETE", "/api/v1/overrides?list=block&kind=domain&value=example-shop.co.jp", "", apiToken); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if a := e.get(e.link("http://www.example-shop.co.jp/item/2")); a.action != "redirect" {
		t.Errorf("after removing the block: %s", a.action)
	}
	// A phish allowed by an administrator is let through.
	phish := "http://rakuten-card.account-check.top/login?allow=1"
	api("POST", "/api/v1/overrides", `{"list":"allow","kind":"host","value":"rakuten-card.account-check.top"}`, apiToken)
	if a := e.get(e.link(phish)); a.action != "redirect" || e.scanner.count(phish) != 0 {
		t.Errorf("allowed host: %s, %d renders", a.action, e.scanner.count(phish))
	}
	if code, body := api("GET", "/api/v1/clicks?n=5", "", apiToken); code != 200 || !strings.Contains(body, `"click_id"`) {
		t.Errorf("clicks API: %d %s", code, body)
	}
}

// TestOneTimeLinks: a one-time link on a trusted domain is judged from the
// URL alone (no render burns it); the same on an unknown domain is
// rendered.
func TestOneTimeLinks(t *testing.T) {
	e := newEnv(t, Policy{})
	trusted := "https://accounts.example-idp.com/reset-password?token=Zx81kPq0LmN3vB7tR2yW&user=42"
	a := e.get(e.link(trusted))
	if a.action != "redirect" || a.location != trusted || e.scanner.count(trusted) != 0 {
		t.Errorf("trusted one-time link: %s %q, %d renders", a.action, a.location, e.scanner.count(trusted))
	}
	other := "http://news.example-media.jp/confirm?token=Zx81kPq0LmN3vB7tR2yW"
	if a := e.settle(e.get(e.link(other))); a.action != "redirect" || e.scanner.count(other) != 1 {
		t.Errorf("untrusted one-time link: %s, %d renders", a.action, e.scanner.count(other))
	}
	// Once the trusted domain had a bad verdict, its one-time links are
	// rendered too.
	if a := e.settle(e.get(e.link("http://rakuten.example-idp.com/login"))); a.action != "block" {
		t.Fatalf("phish on the trusted domain: %s", a.action)
	}
	again := "https://accounts.example-idp.com/reset-password?token=Qw81kPq0LmN3vB7tR2yZ"
	if a := e.settle(e.get(e.link(again))); e.scanner.count(again) != 1 {
		t.Errorf("one-time link on a domain with a bad record: %s, %d renders", a.action, e.scanner.count(again))
	}
	waitWritten(t, e.events)
	evs, _ := e.events.Recent(context.Background(), 10)
	found := false
	for _, ev := range evs {
		if ev.URL == trusted && ev.Source == "one-time" && strings.Contains(strings.Join(ev.Reasons, ","), "one-time-link") {
			found = true
		}
	}
	if !found {
		t.Errorf("no one-time event for %s in %+v", trusted, evs)
	}
}

// TestForgedLinks: more than 100 forged, tampered and malformed links all
// get an error page, never a redirect.
func TestForgedLinks(t *testing.T) {
	e := newEnv(t, Policy{})
	good := e.link("http://www.example-shop.co.jp/sale?id=42")
	if a := e.get(good); a.action != "redirect" {
		t.Fatalf("good link: %s", a.action)
	}
	other, _ := linktoken.NewKeyring(9, linktoken.Key{ID: 9, Secret: bytes.Repeat([]byte{9}, linktoken.SecretSize)})
	otherCodec, _ := linktoken.NewCodec(e.base, other)
	unknownKey, _ := otherCodec.Link(linktoken.Context{Issued: time.Now()}, "http://evil.example/")
	u, _ := url.Parse(good)
	tok := strings.TrimPrefix(u.Path, "/k/")
	var bad []string
	// Every character of the token changed.
	for i := range tok {
		c := byte('A')
		if tok[i] == 'A' {
			c = 'B'
		}
		bad = append(bad, e.base+"/k/"+tok[:i]+string(c)+tok[i+1:]+"?"+u.RawQuery)
	}
	// Every character of the destination changed.
	esc := url.QueryEscape("http://www.example-shop.co.jp/sale?id=42")
	for i := range esc {
		if esc[i] == '%' || i > 0 && esc[i-1] == '%' || i > 1 && esc[i-2] == '%' {
			continue
		}
		c := byte('x')
		if esc[i] == 'x' {
			c = 'y'
		}
		bad = append(bad, e.base+"/k/"+tok+"?u="+esc[:i]+string(c)+esc[i+1:])
	}
	// The destination changed in many ways.
	for _, d := range []string{"http://evil.example/", "https://www.example-shop.co.jp/sale?id=42", "http://www.example-shop.co.jp/sale?id=43",
		"http://www.example-shop.co.jp.evil.example/sale?id=42", "javascript:alert(1)", "//evil.example/", "http://www.example-shop.co.jp/sale?id=42&x=1",
		"http://www.example-shop.co.jp@evil.example/", "data:text/html,<script>alert(1)</script>", ""} {
		bad = append(bad, e.base+"/k/"+tok+"?u="+url.QueryEscape(d))
	}
	bad = append(bad,
		unknownKey,
		e.base+"/k/",
		e.base+"/k/"+tok,
		e.base+"/k/"+tok[:len(tok)/2]+"?"+u.RawQuery,
		e.base+"/k/"+tok+tok+"?"+u.RawQuery,
		e.base+"/k/"+strings.Repeat("A", 2000)+"?"+u.RawQuery,
		e.base+"/k/%00"+tok+"?"+u.RawQuery,
		e.base+"/k/"+tok+"?u=",
		e.base+"/k/"+tok+"?z=deflate&d=evil.example",
		e.base+"/k/../k/"+tok+"x?"+u.RawQuery,
		e.base+"/x?u="+url.QueryEscape("http://evil.example/"),
	)
	if len(bad) < 100 {
		t.Fatalf("only %d forged links", len(bad))
	}
	rejected := 0
	for _, b := range bad {
		a := e.get(b)
		if a.location == "http://www.example-shop.co.jp/sale?id=42" {
			// Text run into the end of a link (OpenTrimmed): the signed
			// prefix verifies and leads where Kensa signed, nowhere else.
			continue
		}
		rejected++
		if a.location != "" || (a.status >= 300 && a.status < 400) || a.action == "redirect" || a.action == "proceed" {
			t.Errorf("%s: %d %s Location=%q", b, a.status, a.action, a.location)
		}
		if a.status != 400 && a.status != 410 && a.status != 404 && !strings.Contains(b, "/x?") {
			t.Errorf("%s: status %d, want 400, 404 or 410", b, a.status)
		}
		if strings.Contains(a.body, `href="http://evil.example`) {
			t.Errorf("%s: page links to the forged destination", b)
		}
		checkHeaders(t, b, a.header)
	}
	if e.scanner.n.Load() != 1 {
		t.Errorf("forged links caused renders: %d", e.scanner.n.Load()-1)
	}
	if rejected < 100 {
		t.Errorf("only %d links rejected", rejected)
	}
	t.Logf("%d forged links rejected; %d were text run into a good link", rejected, len(bad)-rejected)
}

// TestRedisOutage: Redis is killed mid-test and restarted. Clicks keep
// being answered (from memory, or by rendering), nothing crashes, and no
// click event is lost: they wait in memory and reach the stream later.
func TestRedisOutage(t *testing.T) {
	e := newEnv(t, Policy{})
	known := "http://www.example-shop.co.jp/known"
	if a := e.settle(e.get(e.link(known))); a.action != "redirect" {
		t.Fatalf("before: %s", a.action)
	}
	e.redis.Stop()
	if a := e.get(e.link(known)); a.action != "redirect" {
		t.Errorf("cached verdict with Redis down: %s", a.action)
	}
	if a := e.settle(e.get(e.link("http://rakuten-card.account-check.top/login?outage=1"))); a.action != "block" {
		t.Errorf("new destination with Redis down: %s", a.action)
	}
	if r := e.get(e.base + "/readyz"); r.status != 503 {
		t.Errorf("readyz with Redis down: %d", r.status)
	}
	for i := 0; i < 20; i++ {
		e.get(e.link(known))
	}
	e.redis.Restart()
	waitWritten(t, e.events)
	st := e.events.Stats()
	if st.Dropped != 0 || st.Written < st.Emitted {
		t.Errorf("events lost: %+v", st)
	}
	n, err := e.rdb.XLen(context.Background(), clicklog.DefaultStream).Result()
	if err != nil {
		t.Fatal(err)
	}
	// The stream was lost with Redis (no persistence): what the outage
	// buffered, and what came after, must all be there.
	if n < 22 {
		t.Errorf("%d events in the stream after the restart, want at least 22 (%+v)", n, st)
	}
	if r := e.get(e.base + "/readyz"); r.status != 200 {
		t.Errorf("readyz after restart: %d %s", r.status, r.body)
	}
}
