package clickproxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

const testExtOrigin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"

// checkCall is GET /api/v1/check?url=u on base, with a token and an Origin
// ("" for none).
func (e *env) checkCall(base, u, token, origin string) (int, http.Header, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", base+api.PathCheck+"?url="+url.QueryEscape(u), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// settleCheck asks until the answer is no longer "checking".
func (e *env) settleCheck(base, u string) api.Check {
	e.t.Helper()
	for i := 0; i < 60; i++ {
		code, _, body := e.checkCall(base, u, apiToken, testExtOrigin)
		var c api.Check
		if err := json.Unmarshal([]byte(body), &c); code != 200 || err != nil {
			e.t.Fatalf("check %s: %d %s", u, code, body)
		}
		if c.Status != api.CheckChecking {
			return c
		}
		if c.RetryMS <= 0 {
			e.t.Fatalf("checking without retry_ms: %s", body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	e.t.Fatalf("check %s: still checking", u)
	return api.Check{}
}

// TestCheck: the hover check answers verdicts with the interstitial's
// reasons, starts one render per destination shared with clicks, verifies
// Kensa links, and is logged as hover-check, not as a click.
func TestCheck(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	base, codec, _ := e.start(func(c *Config) { c.ExtensionOrigins = []string{testExtOrigin} })

	phish := "http://" + fakePhish + "/login"
	code, h, body := e.checkCall(base, phish, apiToken, testExtOrigin)
	var first api.Check
	if err := json.Unmarshal([]byte(body), &first); code != 200 || err != nil || first.Status != api.CheckChecking || first.URL != phish {
		t.Fatalf("first check: %d %s", code, body)
	}
	if h.Get("Access-Control-Allow-Origin") != testExtOrigin || h.Get("Vary") != "Origin" {
		t.Errorf("CORS headers: %v", h)
	}
	c := e.settleCheck(base, phish)
	if c.Status != api.CheckDone || c.Level != verdict.Malicious || len(c.Reasons) != 1 || c.Reasons[0].Code != verdict.CodeBrandImpersonated ||
		!strings.Contains(c.Reasons[0].JA, "楽天カード") || !strings.Contains(c.Reasons[0].EN, "Rakuten") || c.Screenshot == "" {
		t.Errorf("phish: %+v", c)
	}
	// The screenshot path is the interstitial's, under the click proxy.
	if a := e.get(base+c.Screenshot, "Origin", testExtOrigin); a.status != 200 || a.body != string(fakeShot) || a.header.Get("Access-Control-Allow-Origin") != testExtOrigin {
		t.Errorf("screenshot %s: %d %v", c.Screenshot, a.status, a.header)
	}
	// A click after the hover uses the hover's render.
	if a := e.get(codec.Base() + strings.TrimPrefix(e.linkWith(codec, phish), codec.Base())); a.action != "block" {
		t.Errorf("click after hover: %s", a.action)
	}
	if n := e.scanner.count(phish); n != 1 {
		t.Errorf("%d renders of %s, want 1", n, phish)
	}

	clean := e.settleCheck(base, "http://"+fakeClean+"/sale?id=1")
	if clean.Level != verdict.Clean || len(clean.Reasons) != 0 || clean.Screenshot != "" || clean.KensaLink {
		t.Errorf("clean: %+v", clean)
	}

	// A Kensa link: its destination is checked, with the mail's signs.
	l, err := codec.Link(linktoken.Context{Issued: time.Now(), Flags: linktoken.FlagPasswordForm}, "http://"+fakeClean+"/sale?id=1")
	if err != nil {
		t.Fatal(err)
	}
	kl := e.settleCheck(base, l)
	if !kl.KensaLink || kl.URL != "http://"+fakeClean+"/sale?id=1" || kl.Level != verdict.Suspicious || len(kl.Reasons) != 1 || kl.Reasons[0].Code != verdict.CodeMailPasswordForm {
		t.Errorf("Kensa link: %+v", kl)
	}
	if n := e.scanner.count("http://" + fakeClean + "/sale?id=1"); n != 1 {
		t.Errorf("%d renders of the clean page, want 1", n)
	}
	// A one-time link is never rendered for a hover: it could be used up.
	reset := "http://" + fakeClean + "/account/reset?token=Zq8xK2mW9vT4pL7nR3sY6bJ1"
	ot := e.settleCheck(base, reset)
	if ot.Level != verdict.Unknown || len(ot.Reasons) != 1 || ot.Reasons[0].Code != verdict.CodeHoverOneTime || e.scanner.count(reset) != 0 {
		t.Errorf("one-time link: %+v, %d renders", ot, e.scanner.count(reset))
	}
	// A forged one is refused, never checked as its destination.
	forged := l[:len(l)-1] + "2"
	if code, _, body := e.checkCall(base, forged, apiToken, testExtOrigin); code != 400 || !strings.Contains(body, "bad-signature") {
		t.Errorf("forged Kensa link: %d %s", code, body)
	}

	// Bad input is a 400 with a readable error.
	for _, u := range []string{"", "javascript:alert(1)", "/relative", "ftp://example.jp/", strings.Repeat("a", api.MaxCheckURL+1)} {
		if code, _, body := e.checkCall(base, u, apiToken, testExtOrigin); code != 400 || apiError(t, "bad url", body).Code != api.CodeBadRequest {
			t.Errorf("url %.30q: %d %s", u, code, body)
		}
	}

	// The SOC sees hover checks as such, never as clicks.
	waitWritten(t, e.events)
	code, body = e.api("GET", api.PathClicks+"?n=1000", "", apiToken)
	var list api.ClickList
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil {
		t.Fatalf("clicks: %d %s", code, body)
	}
	hovers, clicks := 0, 0
	for _, ev := range list.Clicks {
		switch {
		case ev.Action == "hover-check" && ev.URL == phish:
			hovers++
		case ev.Action == "block" && ev.URL == phish:
			clicks++
		}
	}
	if hovers < 2 || clicks != 1 {
		t.Errorf("click log: %d hover checks and %d clicks of the phish, want >= 2 and 1", hovers, clicks)
	}
}

// TestCheckAccess: a token is needed, only configured extension origins
// get CORS (no wildcard), and each token has its own limit.
func TestCheckAccess(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	other := "other-token-0123456789abc"
	base, _, _ := e.start(func(c *Config) {
		c.ExtensionOrigins = []string{testExtOrigin}
		c.APITokens = append(c.APITokens, other)
		c.CheckLimit = RateLimit{Rate: 0.001, Burst: 2}
	})
	dest := "http://" + fakeClean + "/"
	for _, tok := range []string{"", "wrong-token-0123456789"} {
		if code, h, body := e.checkCall(base, dest, tok, testExtOrigin); code != 401 || apiError(t, "no token", body).Code != api.CodeUnauthorized || h.Get("Access-Control-Allow-Origin") != testExtOrigin {
			t.Errorf("token %q: %d %s %v", tok, code, body, h)
		}
	}
	for _, o := range []string{"https://evil.example", "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba", "null"} {
		code, h, body := e.checkCall(base, dest, apiToken, o)
		if code != 403 || apiError(t, "origin", body).Code != api.CodeForbidden || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %s: %d %s", o, code, body)
		}
	}
	// Preflight.
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+api.PathCheck+"?url=x", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := pre(testExtOrigin); r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != testExtOrigin ||
		r.Header.Get("Access-Control-Allow-Headers") != "Authorization" || r.Header.Get("Access-Control-Allow-Methods") != "GET" {
		t.Errorf("preflight: %d %v", r.StatusCode, r.Header)
	}
	if r := pre("https://evil.example"); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a page: %d %v", r.StatusCode, r.Header)
	}
	// Per token: the burst of 2, then 429 with Retry-After; the other
	// token is not affected.
	for i := 0; i < 2; i++ {
		if code, _, body := e.checkCall(base, dest, apiToken, ""); code != 200 {
			t.Fatalf("check %d: %d %s", i, code, body)
		}
	}
	if code, h, body := e.checkCall(base, dest, apiToken, ""); code != 429 || apiError(t, "limited", body).Code != api.CodeRateLimited || h.Get("Retry-After") == "" {
		t.Errorf("third check: %d %s", code, body)
	}
	if code, _, body := e.checkCall(base, dest, other, ""); code != 200 {
		t.Errorf("other token: %d %s", code, body)
	}
}

func TestExtensionOrigins(t *testing.T) {
	for _, o := range []string{testExtOrigin, "moz-extension://2b7a9c1e-5f3d-4c2a-9e8b-1a2b3c4d5e6f"} {
		if err := ValidExtensionOrigin(o); err != nil {
			t.Errorf("%s: %v", o, err)
		}
	}
	for _, o := range []string{"*", "chrome-extension://*", "chrome-extension://", "https://example.com", "chrome-extension://abc/", "chrome-extension://abc/x", "chrome-extension://a b", " chrome-extension://abc"} {
		if ValidExtensionOrigin(o) == nil {
			t.Errorf("%q accepted", o)
		}
	}
	cfg := Config{ExtensionOrigins: []string{"*", "https://x.example"}}
	cfg.defaults()
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), `"*"`) || !strings.Contains(err.Error(), "https://x.example") {
		t.Errorf("validate: %v", err)
	}
}

func (e *env) linkWith(c *linktoken.Codec, dest string) string {
	l, err := c.Link(linktoken.Context{Issued: time.Now()}, dest)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}
