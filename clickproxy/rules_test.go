package clickproxy

import (
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox"
)

func TestOneTimeSigns(t *testing.T) {
	cases := []struct {
		url  string
		want bool
	}{
		{"https://accounts.example.com/reset-password?token=Zx81kPq0LmN3vB7tR2yW", true},
		{"https://example.com/login?magic=abcdef123456", true},
		{"https://example.com/verify?code=834221", true},
		{"https://news.example.com/unsubscribe?u=1234567&list=9", true},
		{"https://example.com/confirm/Zx81kPq0LmN3vB7tR2yWq9LmN3vB7t", true},
		{"https://example.com/auth/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", true},
		{"https://example.com/a/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", false}, // a random ID alone
		{"https://docs.google.com/forms/d/e/1FAIpQLSfD3kq9ZpWm2xRvT7yB8nC4hJ6/viewform", false},
		{"https://app.example.com/?reset_token=Zx81kPq0LmN3", true},
		{"https://example.com/articles/2026/11/how-to-bake-bread", false},
		{"https://shop.example.com/item?id=12345&color=red", false},
		{"https://example.com/search?q=token", false},
		{"https://example.com/?code=ab", false}, // too short to be a token
		{"https://example.com/products/very-long-product-name-with-words", false},
		// OAuth's own parameters are never one-time signs (issue 16).
		{"https://accounts.google.com/o/oauth2/v2/auth?client_id=1&nonce=Zx81kPq0LmN3&state=Zx81kPq0LmN3", false},
		{"https://login.example.com/authorize?code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", false},
		{"https://app.example.com/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyzABC123", false},
		{"https://app.example.com/#access_token=2YotnFZFEjr1zCsicMWpAA", false},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.url)
		if got := OneTimeSigns(u); (len(got) > 0) != c.want {
			t.Errorf("%s: %v, want one-time %v", c.url, got, c.want)
		}
	}
}

// TestIsOAuthAuthorize: authorisation requests, however they are spelt,
// never take the one-time shortcut; ordinary one-time links do.
func TestIsOAuthAuthorize(t *testing.T) {
	cases := []struct {
		url  string
		want bool
	}{
		{"https://accounts.google.com/o/oauth2/v2/auth?client_id=1&nonce=Zx81kPq0LmN3", true},
		{"https://LOGIN.microsoftonline.com/common/oauth2/v2.0/authorize?x=1", true},
		{"https://sso.example.com/oauth/authz?response_type=code&client_id=a&scope=mail", true},
		{"https://sso.example.com/x?response_type=code&client_id=a&redirect_uri=https%3A%2F%2Fa.example", true},
		{"https://acme.okta.com/oauth2/v1/authorize?client_id=a&state=Zx81kPq0LmN3", true},
		{"https://idp.example.com/as/authorization.oauth2?client_id=a", true},
		{"https://kc.example.com/realms/x/protocol/openid-connect/auth?scope=openid", true},
		{"https://accounts.google.com/AccountChooser?continue=https%3A%2F%2Faccounts.google.com%2Fo%2Foauth2%2Fauth%3Fclient_id%3D1%26redirect_uri%3Dhttps%253A%252F%252Fa.example", true},
		{"https://accounts.example.com/reset-password?token=Zx81kPq0LmN3vB7tR2yW", false},
		{"https://example.com/verify?otp=834221a&client=web", false},
		{"https://example.com/authorize/Zx81kPq0LmN3vB7tR2yW", false}, // a path alone: no request
	}
	for _, c := range cases {
		u, err := parseDest(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := isOAuthAuthorize(c.url, u); got != c.want {
			t.Errorf("%s: %v, want %v", c.url, got, c.want)
		}
	}
}

func TestLooksLikeScanner(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	chrome := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	ranges := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
	ip := netip.MustParseAddr("192.0.2.10")
	hour := now.Add(-time.Hour)
	cases := []struct {
		name, method, ua, lang string
		ip                     netip.Addr
		issued                 time.Time
		want                   bool
	}{
		{"person", "GET", chrome, "ja-JP,ja;q=0.9", ip, hour, false},
		{"HEAD", "HEAD", chrome, "ja", ip, hour, true},
		{"curl", "GET", "curl/8.5.0", "", ip, hour, true},
		{"no UA", "GET", "", "ja", ip, hour, true},
		{"no Accept-Language", "GET", chrome, "", ip, hour, true},
		{"scanner range", "GET", chrome, "ja", netip.MustParseAddr("203.0.113.7"), hour, true},
		{"mapped address in range", "GET", chrome, "ja", netip.MustParseAddr("::ffff:203.0.113.7"), hour, true},
		{"seconds after delivery", "GET", chrome, "ja", ip, now.Add(-3 * time.Second), true},
		{"Office link preview", "GET", "Mozilla/5.0 (compatible; MSOffice 16) Microsoft Office/16.0", "ja", ip, hour, true},
	}
	for _, c := range cases {
		got, why := LooksLikeScanner(c.method, c.ua, c.lang, c.ip, c.issued, now, ScannerHints{Ranges: ranges})
		if got != c.want || got && why == "" {
			t.Errorf("%s: %v %q, want %v", c.name, got, why, c.want)
		}
	}
}

func TestProceedToken(t *testing.T) {
	p := proceedSigner{key: []byte("0123456789abcdef0123456789abcdef"), ttl: 10 * time.Minute}
	now := time.Unix(1.8e9, 0)
	d := [16]byte{1, 2, 3}
	tok := p.sign("a1b2c3d4e5f60718", d, now)
	id, got, err := p.open(tok, now.Add(time.Minute))
	if err != nil || id != "a1b2c3d4e5f60718" || got != d {
		t.Fatalf("open: %q %x %v", id, got, err)
	}
	if _, _, err := p.open(tok, now.Add(11*time.Minute)); err == nil {
		t.Error("expired token accepted")
	}
	other := proceedSigner{key: []byte("fedcba9876543210fedcba9876543210"), ttl: time.Minute}
	if _, _, err := other.open(tok, now); err == nil {
		t.Error("token accepted under another key")
	}
	for i := range tok {
		b := []byte(tok)
		b[i] ^= 1
		if _, _, err := p.open(string(b), now); err == nil {
			t.Errorf("token with byte %d changed accepted", i)
		}
	}
	for _, bad := range []string{"", ".", "abc", "a.b", strings.Repeat("A", 600) + ".x"} {
		if _, _, err := p.open(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseDestAndHosts(t *testing.T) {
	for in, want := range map[string]string{
		"https://evil.example/sale%zz":      "https://evil.example/sale%25zz",
		"https://evil.example/%":            "https://evil.example/%25",
		"HTTPS://ＥＶＩＬ.example./login":       "https://evil.example/login",
		"https://xn--pypal-4ve.com/":        "https://xn--pypal-4ve.com/",
		"https://pаypal.com/":               "https://xn--pypal-4ve.com/",
		"http://shop.example/a?b=%E3%81%82": "http://shop.example/a?b=%E3%81%82",
	} {
		u, err := parseDest(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := normalizeURL(u); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"mailto:a@b", "/relative", "https://", "javascript:alert(1)"} {
		if _, err := parseDest(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	cases := map[string]string{
		"HTTP://WWW.Example.COM:80/a?b=1#frag": "http://www.example.com/a?b=1",
		"https://example.com:443":              "https://example.com/",
		"https://user:pw@example.com/x":        "https://example.com/x",
		"https://example.com./x?":              "https://example.com/x?",
		"http://[::1]:8080/":                   "http://[::1]:8080/",
		"https://example.com/a%2Fb?q=%41":      "https://example.com/a%2Fb?q=%41",
	}
	for in, want := range cases {
		u, _ := url.Parse(in)
		if got := normalizeURL(u); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestCanonicalURL: the cache key and rendered URL folds only what no
// page can tell apart, and keeps every spelling that can change the page.
func TestCanonicalURL(t *testing.T) {
	cases := map[string]string{
		"https://example.com/a?b=1#frag":        "https://example.com/a?b=1#frag",
		"HTTP://WWW.Example.COM:80/a?b=1#frag":  "http://www.example.com/a?b=1#frag",
		"https://example.com:443":               "https://example.com/",
		"https://example.com:0443/x":            "https://example.com/x",
		"https://example.com:/x":                "https://example.com/x",
		"https://example.com:8443/x":            "https://example.com:8443/x",
		"https://example.com?q":                 "https://example.com/?q",
		"https://example.com#f":                 "https://example.com/#f",
		"https://user:pw@example.com/x":         "https://user:pw@example.com/x",
		"https://User@EXAMPLE.com/x":            "https://User@example.com/x",
		"https://example.com./x?":               "https://example.com./x?",
		"https://EXAMPLE.com../x":               "https://example.com../x",
		"https://ＥＸＡＭＰＬＥ.com/x":                 "https://example.com/x",
		"https://pаypal.com/":                   "https://xn--pypal-4ve.com/",
		"http://[::1]:8080/":                    "http://[::1]:8080/",
		"https://example.com/a%2Fb?q=%41":       "https://example.com/a%2Fb?q=%41",
		"https://example.com/sale%zz?a=%":       "https://example.com/sale%zz?a=%",
		"https://example.com/b?z=1&a=2#x?y#z":   "https://example.com/b?z=1&a=2#x?y#z",
		"https://a@b@example.com/":              "https://a@b@example.com/",
		"https://example.com/path/../x/./y?a=b": "https://example.com/path/../x/./y?a=b",
	}
	for in, want := range cases {
		u, err := parseDest(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := canonicalURL(in, u); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestCanonicalURLNoAlloc: an already canonical destination, the common
// case, costs the cached-click path no allocation.
func TestCanonicalURLNoAlloc(t *testing.T) {
	dest := "https://shop.example-store.jp/sale?id=42#top"
	u, _ := parseDest(dest)
	if n := testing.AllocsPerRun(100, func() { _ = canonicalURL(dest, u) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func TestOverrideNormalize(t *testing.T) {
	ok := []Override{
		{List: "block", Kind: "url", Value: "HTTPS://Evil.Example/x"},
		{List: "allow", Kind: "host", Value: "Login.Example.co.jp."},
		{List: "block", Kind: "domain", Value: "example.co.jp"},
	}
	for _, o := range ok {
		if err := normalizeOverride(&o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	o := Override{List: "grey", Kind: "domain", Value: "www.example.co.jp"}
	err := normalizeOverride(&o)
	if err == nil || !strings.Contains(err.Error(), "list must be") || !strings.Contains(err.Error(), "not a registrable domain") {
		t.Errorf("want both problems, got %v", err)
	}
}

func TestConfigListsEveryProblem(t *testing.T) {
	_, err := New(Config{Policy: Policy{Unknown: "maybe"}, APITokens: []string{"short"}, ClickLimit: RateLimit{Burst: -1}, APILimit: RateLimit{Rate: math.NaN()}})
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"codec", "keyring", "Redis", "scanner", "click log", "unknown verdicts", "API token", "click rate limit", "API rate limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func FuzzProceedOpen(f *testing.F) {
	p := proceedSigner{key: []byte("0123456789abcdef0123456789abcdef"), ttl: time.Minute}
	now := time.Unix(1.8e9, 0)
	f.Add(p.sign("a1b2c3d4e5f60718", [16]byte{1}, now))
	f.Add("AAAA.BBBB")
	f.Fuzz(func(t *testing.T, tok string) {
		id, _, err := p.open(tok, now)
		if err == nil && p.sign(id, [16]byte{}, now) == "" {
			t.Fatal("unreachable")
		}
	})
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?b=1#c", "HTTP://[::1]:80/", "http://a.b./%zz", "https://xn--pypal-4ve.com/",
		"https://u:p@EXAMPLE.com.:0443?q#f", "https://ＥＸＡＭＰＬＥ.com../", "http://a.com:/#", "https://0..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		n := normalizeURL(u)
		u2, err := url.Parse(n)
		if err != nil {
			t.Fatalf("normalised %q to unparseable %q: %v", s, n, err)
		}
		if n2 := normalizeURL(u2); n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, n2)
		}
		// The cache key is idempotent too, for what linktoken signs (its
		// authority has no backslash; parseDest reads it), and keeps the
		// fragment and user info.
		if strings.ContainsRune(s, '\\') || !strings.Contains(s, "://") {
			return
		}
		d, err := parseDest(s)
		if err != nil {
			return
		}
		c := canonicalURL(s, d)
		d2, err := parseDest(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if c2 := canonicalURL(c, d2); c2 != c {
			t.Fatalf("canonicalURL not idempotent: %q -> %q -> %q", s, c, c2)
		}
		if d.Fragment != "" && d2.Fragment != d.Fragment || d.User.String() != d2.User.String() {
			t.Fatalf("canonicalURL lost the fragment or user info: %q -> %q", s, c)
		}
	})
}

// TestMemos: a Server's memos answer as the functions they remember do,
// and stay bounded.
func TestMemos(t *testing.T) {
	m := newMemo[uaInfo](uaMemoMax)
	for i := range uaMemoMax + 10 {
		ua := "Mozilla/5.0 Chrome/131." + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		switch i % 3 {
		case 0:
			ua = "curl/8." + ua
		case 1:
			ua += " (Linux; Android 14)"
		}
		if got, want := m.get(ua, newUAInfo), (uaInfo{scannerAgent(ua), sandbox.DeviceOf(ua)}); got != want {
			t.Fatalf("%q: %+v, want %+v", ua, got, want)
		}
	}
	if n := m.len(); n > uaMemoMax {
		t.Errorf("memo holds %d entries, more than %d", n, uaMemoMax)
	}

	s := &Server{dests: newMemo[destKey](destMemoMax)}
	for i := range destMemoMax + 10 {
		dest := fmt.Sprintf("https://Shop%d.Example-Store.jp:443/sale?id=%d#x", i%50, i)
		if i%5 == 0 {
			dest = "http://xn--r8jz45g.jp/" + strings.Repeat("a", destMemoBytes) // too long to remember
		}
		for range 2 { // computed, then remembered
			got, _, err := s.destKeyOf(dest)
			u, _ := parseDest(dest)
			if want := newDestKey(dest, u); err != nil || got != want {
				t.Fatalf("%q: %+v, %v; want %+v", dest, got, err, want)
			}
		}
	}
	if n := s.dests.len(); n > destMemoMax {
		t.Errorf("destination memo holds %d entries, more than %d", n, destMemoMax)
	}
	if _, _, err := s.destKeyOf("javascript:alert(1)"); err == nil {
		t.Error("a destination parseDest refuses was accepted")
	}
}
