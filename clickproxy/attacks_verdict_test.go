package clickproxy

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// The verdict attacks of issue 16 ("Click proxy": the verdict can be
// skipped or poisoned), one row each, against real Redis with a fake
// sandbox that judges the exact URL it is asked to render, as a site that
// answers every spelling differently would.

// testClock is a Config.Now that tests move forward.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// attackScanner renders nothing: malicious says whether the scan-th render
// of an exact URL (1 for the first) finds a phishing page.
type attackScanner struct {
	clock     *testClock
	malicious func(u string, scan int) (verdict.Code, bool)
	mu        sync.Mutex
	scans     map[string]int
}

func (a *attackScanner) Scan(ctx context.Context, r sandbox.Request) (sandbox.Result, error) {
	a.mu.Lock()
	a.scans[r.URL]++
	n := a.scans[r.URL]
	a.mu.Unlock()
	rep := &capture.Report{URL: r.URL, FinalURL: r.URL, Status: 200, Chain: []capture.Hop{{URL: r.URL, Kind: "initial"}}}
	v := verdict.Verdict{Level: verdict.Clean, URL: r.URL, JudgedAt: a.clock.Now()}
	if code, bad := a.malicious(r.URL, n); bad {
		v.Level = verdict.Malicious
		v.Reasons = []verdict.Reason{{Code: code, Level: verdict.Malicious, JA: "攻撃ページです。", EN: "An attack page."}}
	}
	return sandbox.Result{Report: rep, Verdict: v}, nil
}

// Hosts of the attacks.
const (
	atkPhish = "secure-login.account-check.top" // serves phishing to one exact spelling of a URL
	atkFlip  = "flip.example-shop.co.jp"        // harmless on the first request, phishing afterwards
)

// atkRand places every clean verdict's expiry half-way through the
// window: 5 + 0.5 × 15 = 12.5 minutes after the render.
const atkRand = 0.5

// oauthPhish is an OAuth consent request for an outside app that wants
// mail and contacts, with extra one-time-looking parameters.
func oauthPhish(endpoint, scope, extra string) string {
	return endpoint + "?client_id=8819-evil-app.apps.example&redirect_uri=https%3A%2F%2Fevil-app.example%2Fcb&response_type=code&scope=" + scope + "&" + extra
}

// newAttackEnv is a click proxy on the attack scanner, a test clock and a
// fixed Rand, trusting the default one-time domains and example-idp.com.
func newAttackEnv(t *testing.T, malicious func(string, int) (verdict.Code, bool)) (*env, *testClock) {
	clock := &testClock{t: time.Now()}
	sc := &attackScanner{clock: clock, malicious: malicious, scans: map[string]int{}}
	e := newEnvWith(t, Policy{TrustedOneTime: append([]string{"example-idp.com"}, DefaultTrustedOneTime...)}, sc)
	e.base, e.codec, e.srv = e.start(func(c *Config) {
		c.Now = clock.Now
		c.Rand = func() float64 { return atkRand }
	})
	return e, clock
}

func TestAttacksVerdict(t *testing.T) {
	const (
		googleAuth = "https://accounts.google.com/o/oauth2/v2/auth"
		msAuth     = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
		genericIdP = "https://sso.example-idp.com/oauth/authz" // not in sandbox/rules' table
		gScope     = "https%3A%2F%2Fmail.google.com%2F%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcontacts.readonly"
		msScope    = "Mail.Read%20Contacts.Read%20offline_access"
		pkce       = "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
	)
	cases := []struct {
		name  string
		decoy string // clicked first, when set: another spelling of dest
		dest  string // the real URL
		want  string // the action of its real verdict
		// render is the URL the sandbox must have rendered (exactly) for
		// dest's verdict: dest itself, or its canonical form.
		render string
		// recheck > 0: dest is harmless on its first render and phishing on
		// later ones; it is clicked every recheck with the clock advanced,
		// and must be blocked within DefaultTTLs.CleanMax of the render.
		recheck time.Duration
	}{
		// 1. The one-time shortcut must not skip OAuth consent requests.
		{name: "oauth google nonce", dest: oauthPhish(googleAuth, gScope, "nonce=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth google code_challenge", dest: oauthPhish(googleAuth, gScope, pkce), want: "block"},
		{name: "oauth google state", dest: oauthPhish(googleAuth, gScope, "state=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth microsoft nonce", dest: oauthPhish(msAuth, msScope, "nonce=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth microsoft code_challenge", dest: oauthPhish(msAuth, msScope, pkce), want: "block"},
		{name: "oauth microsoft state", dest: oauthPhish(msAuth, msScope, "state=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth generic nonce", dest: oauthPhish(genericIdP, msScope, "nonce=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth generic code_challenge", dest: oauthPhish(genericIdP, msScope, pkce), want: "block"},
		{name: "oauth generic state", dest: oauthPhish(genericIdP, msScope, "state=Zx81kPq0LmN3vB7tR2yW"), want: "block"},
		{name: "oauth path without response_type", dest: "https://acme.okta.com/oauth2/v1/authorize?client_id=0oa1evil&scope=" + msScope + "&login_token=Zx81kPq0LmN3vB7tR2yW", want: "block"},
		{name: "oauth wrapped in continue=", dest: "https://accounts.google.com/AccountChooser?continue=" + url.QueryEscape(oauthPhish(googleAuth, gScope, "nonce=Zx81kPq0LmN3vB7tR2yW")) + "&token=Zx81kPq0LmN3vB7tR2yW", want: "block"},
		// 2. A decoy spelling clicked first must not lend its verdict to
		// the real URL. Spellings a page can tell apart are rendered on
		// their own; those it cannot share the canonical URL's render.
		{name: "decoy trailing dot", decoy: "https://" + atkPhish + "./login?r=dot", dest: "https://" + atkPhish + "/login?r=dot", want: "block"},
		{name: "decoy userinfo", decoy: "https://support@" + atkPhish + "/login?r=user", dest: "https://" + atkPhish + "/login?r=user", want: "block"},
		{name: "decoy fragment", decoy: "https://" + atkPhish + "/login?r=frag#benign", dest: "https://" + atkPhish + "/login?r=frag", want: "block"},
		{name: "decoy default port", decoy: "https://" + atkPhish + ":443/login?r=port", dest: "https://" + atkPhish + "/login?r=port", want: "block"},
		{name: "decoy upper-case host", decoy: "https://" + strings.ToUpper(atkPhish) + "/login?r=case", dest: "https://" + atkPhish + "/login?r=case", want: "block"},
		// 3. Harmless on the first request does not stick.
		{name: "benign first render", dest: "https://" + atkFlip + "/sale?r=flip", want: "block", recheck: time.Minute},
	}
	phish := map[string]bool{} // the exact URLs atkPhish serves phishing to
	for _, c := range cases {
		if c.decoy != "" {
			phish[c.dest] = true
		}
	}
	e, clock := newAttackEnv(t, func(u string, scan int) (verdict.Code, bool) {
		decoded, _ := url.QueryUnescape(u)
		switch {
		case strings.Contains(decoded, "client_id=") && (strings.Contains(decoded, "mail.google.com") || strings.Contains(decoded, "Mail.Read")):
			return verdict.CodeOAuthHighRisk, true // what the OAuth rule finds in a real render
		case phish[u]:
			return verdict.CodeBrandImpersonated, true
		case hostOf(u) == atkFlip:
			return verdict.CodeCredentialForm, scan > 1
		}
		return "", false
	})
	sc := e.scanner

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each row on its own: an earlier row's bad verdict on the
			// same domain would keep the one-time shortcut off anyway.
			ctx := context.Background()
			if keys, _ := e.rdb.Keys(ctx, keyBadHist+"*").Result(); len(keys) > 0 {
				e.rdb.Del(ctx, keys...)
			}
			render := c.render
			if render == "" {
				render = c.dest
			}
			if c.decoy != "" {
				d := e.settle(e.get(e.link(c.decoy)))
				if du, _ := parseDest(c.decoy); canonicalURL(c.decoy, du) == c.dest {
					// No page can tell the spellings apart: the decoy got
					// the real URL's render and verdict.
					if d.action != c.want || sc.count(c.decoy) != 0 {
						t.Errorf("decoy %s: %s, %d renders of its own spelling", c.decoy, d.action, sc.count(c.decoy))
					}
				} else if sc.count(c.decoy) != 1 || d.action != "redirect" {
					t.Errorf("decoy %s: %s, rendered %d times, want its own render (clean)", c.decoy, d.action, sc.count(c.decoy))
				}
			}
			a := e.settle(e.get(e.link(c.dest)))
			if c.recheck > 0 {
				a = recheckUntil(t, e, clock, c.dest, a, c.recheck)
			}
			if a.action != c.want || a.status == 303 {
				t.Errorf("%s: %d %s, want %s", c.dest, a.status, a.action, c.want)
			}
			if c.want != "redirect" && a.location != "" {
				t.Errorf("%s: redirected to %q", c.dest, a.location)
			}
			if sc.count(render) == 0 {
				t.Errorf("%s: %s never rendered", c.dest, render)
			}
			// And it stays: a second click gets the same real verdict.
			if b := e.get(e.link(c.dest)); b.action != c.want || b.location != "" && c.want != "redirect" {
				t.Errorf("%s: second click %s %q", c.dest, b.action, b.location)
			}
		})
	}
}

// recheckUntil clicks dest every step (the clock advanced) after its first
// answer a, which must be a redirect (the page was harmless), until it is
// blocked, and fails unless that happens within DefaultTTLs.CleanMax of
// the first render, with exactly one more render.
func recheckUntil(t *testing.T, e *env, clock *testClock, dest string, a answer, step time.Duration) answer {
	t.Helper()
	if a.action != "redirect" || a.location != dest || e.scanner.count(dest) != 1 {
		t.Fatalf("first click: %s %q, %d renders; want a redirect after one render", a.action, a.location, e.scanner.count(dest))
	}
	trusted := DefaultTTLs.Clean + time.Duration(atkRand*float64(DefaultTTLs.CleanMax-DefaultTTLs.Clean))
	for elapsed := step; elapsed <= DefaultTTLs.CleanMax; elapsed += step {
		clock.advance(step)
		a = e.settle(e.get(e.link(dest)))
		if a.action != "redirect" {
			if elapsed < trusted {
				t.Errorf("re-rendered after %v, before the %v the verdict was trusted for", elapsed, trusted)
			}
			if n := e.scanner.count(dest); n != 2 {
				t.Errorf("%d renders, want 2", n)
			}
			return a
		}
		if a.location != dest {
			t.Errorf("redirect to %q, want the signed destination", a.location)
		}
	}
	t.Fatalf("still redirected %v after the first render", DefaultTTLs.CleanMax)
	return a
}

// TestOneTimeShortcutRecorded: a real one-time link on a trusted domain
// still takes the shortcut (no render), and every shortcut is recorded in
// the domain's history apart from its clean URLs.
func TestOneTimeShortcutRecorded(t *testing.T) {
	e, _ := newAttackEnv(t, func(string, int) (verdict.Code, bool) { return "", false })
	for _, dest := range []string{
		"https://accounts.example-idp.com/reset-password?token=Zx81kPq0LmN3vB7tR2yW",
		"https://accounts.example-idp.com/verify?otp=834221a",
	} {
		a := e.get(e.link(dest))
		if a.action != "redirect" || a.location != dest || e.scanner.count(dest) != 0 {
			t.Errorf("%s: %s %q, %d renders; want the shortcut", dest, a.action, a.location, e.scanner.count(dest))
		}
	}
	ctx := context.Background()
	if n, _ := e.rdb.PFCount(ctx, tagged(keySkipHist, "example-idp.com")).Result(); n != 2 {
		t.Errorf("%d shortcuts recorded, want 2", n)
	}
	if n, _ := e.rdb.PFCount(ctx, tagged(keyCleanHist, "example-idp.com")).Result(); n != 0 {
		t.Errorf("shortcuts made the domain look cleaner: %d clean URLs", n)
	}
	if ttl, _ := e.rdb.TTL(ctx, tagged(keySkipHist, "example-idp.com")).Result(); ttl <= 0 || ttl > historyTTL {
		t.Errorf("shortcut history TTL %v", ttl)
	}
}

// TestCleanTTLWindow: a clean verdict's lifetime is in [Clean, CleanMax),
// wherever Rand puts it; other levels have theirs.
func TestCleanTTLWindow(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.5, 0.999999, -1, 1} {
		d := DefaultTTLs.of(verdict.Clean, r)
		if d < DefaultTTLs.Clean || d >= DefaultTTLs.CleanMax {
			t.Errorf("rand %v: clean TTL %v, want in [%v, %v)", r, d, DefaultTTLs.Clean, DefaultTTLs.CleanMax)
		}
	}
	if d := (TTLs{Clean: time.Hour}).of(verdict.Clean, 0.5); d != time.Hour {
		t.Errorf("no CleanMax: %v, want exactly Clean", d)
	}
	if d := DefaultTTLs.of(verdict.Malicious, 0.5); d != DefaultTTLs.Malicious {
		t.Errorf("malicious TTL %v", d)
	}
}

// TestCleanRecheckHerd: when a clean verdict expires, the next clicks,
// spread over two replicas, re-render it once.
func TestCleanRecheckHerd(t *testing.T) {
	e, clock := newAttackEnv(t, func(u string, scan int) (verdict.Code, bool) {
		return verdict.CodeCredentialForm, hostOf(u) == atkFlip && scan > 1
	})
	base2, _, _ := e.start(func(c *Config) {
		c.Now = clock.Now
		c.Rand = func() float64 { return atkRand }
	})
	dest := "https://" + atkFlip + "/sale?r=herd"
	if a := e.settle(e.get(e.link(dest))); a.action != "redirect" {
		t.Fatalf("first click: %s", a.action)
	}
	clock.advance(DefaultTTLs.CleanMax)
	var wg sync.WaitGroup
	results := make([]answer, 40)
	for i := range results {
		wg.Go(func() { results[i] = e.clickAt(dest, i%2 == 1, base2) })
	}
	wg.Wait()
	if n := e.scanner.count(dest); n != 2 {
		t.Errorf("%d renders, want 2 (the first click, one re-check for 40 clicks on two replicas)", n)
	}
	for i, a := range results {
		if a.action != "block" || a.location != "" {
			t.Errorf("click %d: %s %q", i, a.action, a.location)
		}
	}
}
