package clickproxy

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/sandbox"
)

// recordingScanner remembers every render it is asked for, in the order
// they start, and passes them on.
type recordingScanner struct {
	sandbox.Scanner
	mu   sync.Mutex
	reqs []sandbox.Request
}

func (r *recordingScanner) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Scanner.Scan(ctx, req)
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
