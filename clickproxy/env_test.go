package clickproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// countingScanner counts the renders the click proxy asks for and passes
// them on (to the fake scanner or the real sandbox).
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

// fakeScanner answers without a browser: a canned Result per host (see
// fakeResult), after delay (and slowHosts' own delays).
type fakeScanner struct {
	delay     time.Duration
	slowHosts map[string]time.Duration
}

// The fake's hosts and what it finds there.
const (
	fakeClean    = "www.example-shop.co.jp"
	fakePhish    = "rakuten-card.account-check.top" // malicious, with a screenshot
	fakeWarn     = "someone.github.io"              // suspicious
	fakeBroken   = "broken.example-media.jp"        // the scan fails: unknown
	fakeSlow     = "slow.example-media.jp"          // clean, after 3 s
	fakeIdPPhish = "rakuten.example-idp.com"        // malicious, on a trusted one-time domain
	fakeCloak    = "sagawa-fuzai.notice.top"        // clean for desktop browsers, malicious for phones
)

// fakeShot is the screenshot the fake takes of fakePhish.
var fakeShot = []byte("\xff\xd8\xff\xe0 fake jpeg")

func newFakeScanner() *fakeScanner {
	return &fakeScanner{slowHosts: map[string]time.Duration{fakeSlow: 3 * time.Second}}
}

func (f *fakeScanner) Scan(ctx context.Context, r sandbox.Request) (sandbox.Result, error) {
	host := hostOf(r.URL) // lenient, as the proxy is: the URL may not parse with net/url
	select {
	case <-time.After(f.delay + f.slowHosts[host]):
	case <-ctx.Done():
		return sandbox.Result{}, ctx.Err()
	}
	return fakeResultAs(r.URL, host, sandbox.DeviceOf(r.UserAgent))
}

func fakeResult(dest, host string) (sandbox.Result, error) {
	return fakeResultAs(dest, host, sandbox.DeviceDesktop)
}

// fakeResultAs is the fake's finding for a device class.
func fakeResultAs(dest, host string, dev sandbox.Device) (sandbox.Result, error) {
	rep := &capture.Report{URL: dest, FinalURL: dest, Status: 200, Chain: []capture.Hop{{URL: dest, Kind: "initial"}}}
	v := verdict.Verdict{Level: verdict.Clean, URL: dest, JudgedAt: time.Now()}
	reason := func(code verdict.Code, l verdict.Level, ja, en string) {
		v.Level = l
		v.Reasons = append(v.Reasons, verdict.Reason{Code: code, Level: l, JA: ja, EN: en})
	}
	switch host {
	case fakePhish, fakeIdPPhish:
		reason(verdict.CodeBrandImpersonated, verdict.Malicious, "楽天カードのログインページを装っています（"+host+"）。", "The page imitates Rakuten Card's login ("+host+").")
		rep.Screenshot = fakeShot
	case fakeCloak:
		if dev != sandbox.DeviceDesktop {
			reason(verdict.CodeCredentialForm, verdict.Malicious, "偽のログインページです（"+string(dev)+"）。", "A fake login page ("+string(dev)+").")
			rep.Screenshot = []byte("\xff\xd8\xff\xe0 " + string(dev))
		}
	case fakeWarn:
		reason(verdict.CodeCredentialForm, verdict.Suspicious, "パスワードを入力させるフォームがあります（github.io）。", "The page asks for a password (github.io).")
	case fakeBroken:
		return sandbox.Result{}, errors.New("fake: the render failed")
	}
	return sandbox.Result{Report: rep, Verdict: v}, nil
}

const apiToken = "test-api-token-0123456789"

// env is one or more click proxies on loopback with real Redis and the
// scanner the test gives.
type env struct {
	t       testing.TB
	base    string
	codec   *linktoken.Codec
	keyring *linktoken.Keyring
	policy  Policy
	redis   *redistest.Server
	rdb     *redis.Client
	scanner *countingScanner
	events  *clicklog.Log
	srv     *Server
	client  *http.Client
}

var testKeyring = func() *linktoken.Keyring {
	kr, err := linktoken.NewKeyring(7, linktoken.Key{ID: 7, Secret: bytes.Repeat([]byte{7}, linktoken.SecretSize), Created: time.Unix(1.7e9, 0)})
	if err != nil {
		panic(err)
	}
	return kr
}()

// newFakeEnv is a click proxy with the fake scanner: no browser.
func newFakeEnv(t testing.TB, policy Policy) *env {
	return newEnvWith(t, policy, newFakeScanner())
}

func newEnvWith(t testing.TB, policy Policy, sc sandbox.Scanner) *env {
	redis.SetLogger(&logging.VoidLogger{}) // the outage test would print a line per reconnect
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, MaxRetries: -1, DialTimeout: 300 * time.Millisecond, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	events, err := clicklog.New(clicklog.Config{Redis: rdb, Lines: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		events.Close(ctx)
	})
	if policy.TrustedOneTime == nil {
		policy.TrustedOneTime = []string{"example-idp.com"}
	}
	e := &env{
		t: t, keyring: testKeyring, policy: policy, redis: rs, rdb: rdb, events: events,
		scanner: &countingScanner{Scanner: sc, urls: map[string]int{}},
		client: &http.Client{
			Timeout:       60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 300},
		},
	}
	e.base, e.codec, e.srv = e.start(nil)
	return e
}

// start starts one more click proxy on the env's Redis, click log and
// scanner; edit changes its configuration.
func (e *env) start(edit func(*Config)) (string, *linktoken.Codec, *Server) {
	t := e.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	codec, err := linktoken.NewCodec(base, e.keyring)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Codec: codec, Keyring: e.keyring, Redis: e.rdb, Scanner: e.scanner, Events: e.events, Policy: e.policy,
		Wait: 2 * time.Second, RenderTimeout: 20 * time.Second, APITokens: []string{apiToken},
		// Every test client is 127.0.0.1: no limit unless a test sets one.
		ClickLimit: RateLimit{Rate: -1}, APILimit: RateLimit{Rate: -1}, LoginLimit: RateLimit{Rate: -1}, PrincipalLimit: RateLimit{Rate: -1},
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// ReadBufferSize as in kensa serve (cmd/kensa newClickServer): the
	// largest request line and headers a client can send.
	hs := &fasthttp.Server{Handler: srv.Handler(), ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, ReadBufferSize: 8 << 10}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Shutdown()
		srv.Close()
	})
	return base, codec, srv
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
	reProceed = regexp.MustCompile(`href="((?:/[a-z]+)?/p/[^"]+)"`) // under a base path too
	reShot    = regexp.MustCompile(`<img src="(/shot/[^"]+)"`)
)

func (e *env) get(u string, hdr ...string) answer {
	e.t.Helper()
	return e.do("GET", u, "", hdr...)
}

func (e *env) do(method, u, body string, hdr ...string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	req.Header.Set("Accept-Language", "ja,en;q=0.8")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, u, err)
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

// verdictCase is one destination and what a person's click on it must get.
type verdictCase struct {
	name, dest, action string
	status             int
	body               []string // what the page must show (besides the click ID)
}

// checkVerdicts clicks each case's link, checks the answer and the page,
// then clicks again and checks that the answer came from memory.
func checkVerdicts(t *testing.T, e *env, cases []verdictCase) {
	t.Helper()
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
}

// clickAt clicks a link to dest at this server, or (other) at the replica
// whose base URL is base2, and follows the checking page until an answer.
func (e *env) clickAt(dest string, other bool, base2 string) answer {
	link := e.link(dest)
	if other {
		link = base2 + strings.TrimPrefix(link, e.base) // the same link, at the other replica
	}
	a := e.get(link)
	for j := 0; a.action == "checking" && j < 30; j++ {
		time.Sleep(time.Second)
		a = e.get(link[:strings.Index(link, "/k/")] + a.refresh)
	}
	return a
}
