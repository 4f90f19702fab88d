package clickproxy

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
	"github.com/kensa-mail/kensa/sandbox/remote"
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
	case host == "campaign-info.example-notice.top", host == "smart-notice.example-delivery.top":
		// A kit that cloaks by device: desktop browsers get a harmless
		// page (or, on the second host, a 404), Android a card company's
		// sign-in, iPhones an Apple ID form.
		ua := r.UserAgent()
		switch {
		case strings.Contains(ua, "Android"):
			html(`<html><head><title>楽天カード ログイン</title></head><body><img alt="楽天カード" src="/logo.png"><form action="/p" method="post">ユーザID<input name="u"> パスワード<input type="password" name="p"><button>ログイン</button></form></body></html>`)
		case strings.Contains(ua, "iPhone"):
			html(`<html><head><title>Apple ID</title></head><body><h1>Apple IDでサインイン</h1><form action="/a" method="post"><input type="email" name="appleid" placeholder="Apple ID"><input type="password" name="pw" placeholder="パスワード"><button>サインイン</button></form></body></html>`)
		case host == "smart-notice.example-delivery.top":
			http.NotFound(w, r)
		default:
			html(`<html><head><title>キャンペーンのお知らせ</title></head><body><h1>春のキャンペーン</h1><p>` + strings.Repeat("ご応募ありがとうございました。結果は後日お知らせします。", 5) + `</p></body></html>`)
		}
	case host == "slow.example-media.jp":
		time.Sleep(3 * time.Second)
		html(`<html><head><title>Slow news</title></head><body><p>` + strings.Repeat("A slow but honest page. ", 20) + `</p></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

// newEnv is a click proxy with the real sandbox in process (serve
// --sandbox=local), rendering the sites above under their realistic names.
func newEnv(t testing.TB, policy Policy) *env { return newEnvSandbox(t, policy, "local") }

// newEnvSandbox is newEnv with the sandbox local, or remote: behind the
// render queue on the env's Redis (sandbox/remote, serve --sandbox=remote),
// with a worker rendering on the same Chromium.
func newEnvSandbox(t testing.TB, policy Policy, mode string) *env {
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
	if mode == "local" {
		return newEnvWith(t, policy, sb)
	}
	queue := &lateScanner{}
	e := newEnvWith(t, policy, queue)
	client, err := remote.NewClient(context.Background(), remote.ClientConfig{Redis: e.rdb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	queue.set(client)
	w, err := remote.NewWorker(remote.WorkerConfig{Redis: e.rdb, Scanner: sb, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// lateScanner is a Scanner set after the env exists: the render queue's
// client needs the env's Redis.
type lateScanner struct {
	mu sync.Mutex
	sc interface {
		sandbox.Scanner
		Ready() error
	}
}

func (l *lateScanner) set(sc interface {
	sandbox.Scanner
	Ready() error
}) {
	l.mu.Lock()
	l.sc = sc
	l.mu.Unlock()
}

func (l *lateScanner) get() interface {
	sandbox.Scanner
	Ready() error
} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sc
}

func (l *lateScanner) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	return l.get().Scan(ctx, req)
}

func (l *lateScanner) Ready() error { return l.get().Ready() }

// TestEndToEnd runs each kind of destination through the real sandbox:
// the verdicts come from Chromium and the sandbox's rules, the answers
// from the proxy over loopback HTTP.
// Both sandboxes pass it: in process (serve --sandbox=local) and behind
// the render queue (--sandbox=remote).
func TestEndToEnd(t *testing.T) {
	for _, mode := range []string{"local", "remote"} {
		t.Run(mode, func(t *testing.T) { endToEnd(t, newEnvSandbox(t, Policy{}, mode)) })
	}
}

func endToEnd(t *testing.T, e *env) {
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

// TestEndToEndCloaking (issue 11 item 4): a kit that shows desktop
// browsers a harmless page and phones phishing. The desktop click comes
// first and is redirected (its page is harmless); the later Android and
// iPhone clicks on the same link are not answered from that verdict: each
// is rendered as that phone and blocked. When the kit shows desktop
// browsers a 404 instead, the desktop click is blocked too (the sandbox
// renders both phones and finds the cloaking). A shop that shows every
// device the same page is redirected for each.
func TestEndToEndCloaking(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newEnv(t, Policy{})
	const desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	phones := map[string]string{
		"Android": "Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
		"iPhone":  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	}
	for _, tc := range []struct{ dest, desktopAction string }{
		{"http://campaign-info.example-notice.top/spring?id=77", "redirect"},
		{"http://smart-notice.example-delivery.top/track?no=4412", "block"},
	} {
		link := e.link(tc.dest)
		a := e.settle(e.get(link, "User-Agent", desktop))
		if a.action != tc.desktopAction {
			t.Errorf("%s, desktop first: %d %s, want %s\n%s", tc.dest, a.status, a.action, tc.desktopAction, a.body)
		}
		for _, name := range []string{"Android", "iPhone"} {
			a := e.settle(e.get(link, "User-Agent", phones[name]))
			if a.action != "block" || a.status != 403 || a.location != "" {
				t.Errorf("%s, %s after desktop: %d %s %q, want a block\n%s", tc.dest, name, a.status, a.action, a.location, a.body)
			}
		}
		// The desktop's answer has not changed.
		if a := e.get(link, "User-Agent", desktop); a.action != tc.desktopAction {
			t.Errorf("%s, desktop again: %s", tc.dest, a.action)
		}
	}
	// The benign twin: a shop that shows every device the same page is
	// redirected for each of them.
	shop := e.link("http://www.example-shop.co.jp/spring?id=9")
	for _, ua := range []string{desktop, phones["Android"], phones["iPhone"]} {
		if a := e.settle(e.get(shop, "User-Agent", ua)); a.action != "redirect" {
			t.Errorf("shop as %s: %d %s\n%s", ua, a.status, a.action, a.body)
		}
	}
}
