package clickproxy

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// TestForgedLinks: more than 100 forged, tampered and malformed links all
// get an error page, never a redirect. No browser: the fake scanner
// counts the one render of the good link.
func TestForgedLinks(t *testing.T) {
	e := newFakeEnv(t, Policy{})
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
