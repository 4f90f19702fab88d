package clickproxy

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
)

// The end-to-end tests: the real sandbox (Chromium) behind the click
// proxy. Every other handler test uses the fake scanner (env_test.go).

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
		// A sign-in form on free hosting is clean alone (docs/detection.md);
		// one that sends the password to another site is a warning.
		html(`<html><head><title>Member login</title></head><body><form action="https://collect.example-forms.net/p" method="post">User <input name="u"> Password <input type="password" name="p"></form><p>` + strings.Repeat("Welcome back. ", 20) + `</p></body></html>`)
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

// newEnv is a click proxy with the real sandbox, rendering the sites
// above under their realistic names.
func newEnv(t testing.TB, policy Policy) *env {
	testenv.Require(t, testenv.Chromium)
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
	return newEnvWith(t, policy, sb)
}

// TestEndToEnd runs each kind of destination through the real sandbox:
// the verdicts come from Chromium and the sandbox's rules, the answers
// from the proxy over loopback HTTP.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t, Policy{})
	cases := []verdictCase{
		{"clean", "http://www.example-shop.co.jp/sale?id=42", "redirect", 303, nil},
		{"credential phish", "http://rakuten-card.account-check.top/login", "block", 403, []string{"楽天", "rakuten-card.account-check.top"}},
		{"OAuth consent lure", "http://friend-request.sns-example.com/accept", "block", 403, []string{"連絡先"}},
		{"APK lure", "http://kuroneko-app.delivery-check.top/", "block", 403, []string{"yamato.apk"}},
		{"free-hosting login posting elsewhere", "https://someone.github.io/login", "warn", 200, []string{"github.io", "collect.example-forms.net"}},
	}
	checkVerdicts(t, e, cases)

	// A slow page gets the checking page, which follows up by itself.
	slow := e.get(e.link("http://slow.example-media.jp/story"))
	if slow.action != "checking" || slow.refresh == "" {
		t.Errorf("slow destination: %s, refresh %q", slow.action, slow.refresh)
	} else if fin := e.settle(slow); fin.action != "redirect" || fin.clickID != slow.clickID {
		t.Errorf("after checking: %s (click %s, was %s)", fin.action, fin.clickID, slow.clickID)
	}

	// A destination net/url cannot parse (a stray "%") is still a link
	// Kensa signed: it is checked and answered, and the service lives on.
	// (Go's test server answers such a request 400, so the page is judged
	// unknown: a warning.)
	odd := "http://www.example-shop.co.jp/sale%zz"
	if a := e.settle(e.get(e.link(odd))); a.status >= 500 || (a.action != "redirect" && a.action != "warn") || a.location != "" && a.location != odd {
		t.Errorf("stray %%: %d %s %q", a.status, a.action, a.location)
	}
	if r := e.get(e.base + "/readyz"); r.status != 200 {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
}
