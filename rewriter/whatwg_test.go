package rewriter

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

// whatwgKnownDiffs lists the rows of testdata/whatwg-urltestdata.json that
// parseWebURL deliberately does not follow, and why.
var whatwgKnownDiffs = map[string]string{}

// TestWHATWGURLTestData runs parseWebURL over the web-platform-tests rows
// selected in testdata/whatwg-urltestdata.json.
func TestWHATWGURLTestData(t *testing.T) {
	b, err := os.ReadFile("testdata/whatwg-urltestdata.json")
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Tests []struct {
			Input   string  `json:"input"`
			Base    *string `json:"base"`
			Href    string  `json:"href"`
			Failure bool    `json:"failure"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	pass, skipped := 0, 0
	for _, tc := range data.Tests {
		if why, ok := whatwgKnownDiffs[tc.Input]; ok {
			t.Logf("not followed: %q: %s", tc.Input, why)
			skipped++
			continue
		}
		var base *webURL
		if tc.Base != nil && *tc.Base != "about:blank" {
			var ok bool
			if base, ok = parseWebURL(*tc.Base, nil); !ok {
				t.Errorf("base %q does not parse", *tc.Base)
				continue
			}
		}
		u, ok := parseWebURL(tc.Input, base)
		switch {
		case tc.Failure && ok:
			t.Errorf("%q (base %v): got %q, want failure", tc.Input, deref(tc.Base), u)
		case !tc.Failure && !ok:
			t.Errorf("%q (base %v): failed, want %q", tc.Input, deref(tc.Base), tc.Href)
		case !tc.Failure && u.String() != tc.Href:
			t.Errorf("%q (base %v): got %q, want %q", tc.Input, deref(tc.Base), u, tc.Href)
		default:
			pass++
		}
	}
	t.Logf("WHATWG URL test data: %d of %d rows pass, %d deliberately not followed", pass, len(data.Tests), skipped)
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// FuzzWHATWGvsNetURL: where both parseWebURL and net/url accept an input,
// net/url reading the normalised URL sees the same host and path as the
// browser does. This is what lets the click proxy, which uses net/url, check
// the host the reader will open.
func FuzzWHATWGvsNetURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a/b?c#d",
		`https:/\host.example/`,
		"HTTP://Example.COM:80/./a/../b",
		"http://user:pa ss@example.com/%7e/ x",
		"//host.example/x",
		"http://[::1]:8080/",
		"https://例え.jp/パス?クエリ",
		"http://0x7f.1/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := parseWebURL(s, nil)
		if !ok {
			return
		}
		norm := u.String()
		nu, err := url.Parse(norm)
		if err != nil {
			return // net/url refuses some browser-valid spellings ("{" in a host)
		}
		if !strings.EqualFold(nu.Scheme, u.scheme) {
			t.Fatalf("%q -> %q: scheme %q vs %q", s, norm, nu.Scheme, u.scheme)
		}
		if h := nu.Host; h != u.host+portSuffix(u.port) {
			t.Fatalf("%q -> %q: net/url host %q, WHATWG %q", s, norm, h, u.host+portSuffix(u.port))
		}
		if p := nu.EscapedPath(); p != "/"+strings.Join(u.path, "/") && nu.RawPath == "" && nu.Path != "/"+strings.Join(u.path, "/") {
			t.Fatalf("%q -> %q: net/url path %q, WHATWG %q", s, norm, p, "/"+strings.Join(u.path, "/"))
		}
		// Normalising is idempotent.
		if again, ok := parseWebURL(norm, nil); !ok || again.String() != norm {
			t.Fatalf("%q -> %q -> %v", s, norm, again)
		}
	})
}

func portSuffix(p string) string {
	if p == "" {
		return ""
	}
	return ":" + p
}

// TestPlainHost checks parseHost's shortcut for plain names against the
// full "domain to ASCII" path, over every name of up to 5 characters from
// a small alphabet that holds what makes a name special (dots, hyphens,
// digits, "xn"), and some longer ones.
func TestPlainHost(t *testing.T) {
	const alphabet = "ax-.0n9"
	var names []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		names = append(names, prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			gen(prefix+alphabet[i:i+1], n-1)
		}
	}
	gen("", 5)
	names = append(names, "shop.example.jp", "example.com.", "1.2.3.4", "0x7f.1", "192.168.0.1.", "a..b", "-a-.b-", "xn--a.com", "a.xn--p1ai",
		"foo.09", "0.0.0.0x", "999999999999", "a.b.c.d.e.f.g.h.i.j.k.l.m", strings.Repeat("a", 300)+".com")
	plain := 0
	for _, s := range names {
		if !isPlainHost(s) {
			continue
		}
		plain++
		gotHost, gotOK := parseHost(s)
		wantHost, wantOK := parseHostIDNA(s)
		if gotHost != wantHost || gotOK != wantOK {
			t.Errorf("parseHost(%q) = %q, %v; the full path says %q, %v", s, gotHost, gotOK, wantHost, wantOK)
		}
	}
	if plain < 10000 {
		t.Fatalf("only %d plain names tried", plain)
	}
}
