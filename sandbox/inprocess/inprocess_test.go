package inprocess

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
)

// TestScanner renders local pages under realistic names through the real
// egress proxy and Chromium, and checks the verdicts end to end: a
// credential phish, a clean page, and a smishing kit that shows desktop
// browsers a 404 but sends Android an APK (the second render catches it).
func TestScanner(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "secure-amazon-co-jp.example.top":
			w.Write([]byte(`<html><head><title>Amazon.co.jp サインイン</title></head><body><form action="/s" method="post">Eメール<input name="email"> パスワード<input type="password" name="pw"><button>ログイン</button></form></body></html>`))
		case "www.example.org":
			w.Write([]byte(`<html><head><title>Example Domain</title></head><body><h1>Example Domain</h1><p>This domain is for use in illustrative examples in documents. You may use this domain in literature without prior coordination.</p></body></html>`))
		case "kuroneko-fuzai.example.top":
			if strings.Contains(r.UserAgent(), "Android") {
				if r.URL.Path == "/app.apk" {
					w.Header().Set("Content-Type", "application/vnd.android.package-archive")
					w.Header().Set("Content-Disposition", `attachment; filename="yamato.apk"`)
					w.Write([]byte("PK\x03\x04 fake apk"))
					return
				}
				w.Write([]byte(`<html><head><title>ヤマト運輸</title><meta http-equiv="refresh" content="0;url=/app.apk"></head><body>アプリをインストールしてください</body></html>`))
				return
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	ctx := context.Background()
	s, err := New(ctx, Config{
		Browser:      browser.Config{RenderTimeout: 8 * time.Second, Concurrency: 1},
		TestMapHosts: netip.MustParseAddrPort(site.Listener.Addr().String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(url string, want verdict.Level, code verdict.Code) {
		t.Helper()
		res, err := s.Scan(ctx, sandbox.Request{URL: url, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"})
		if err != nil {
			t.Fatal(err)
		}
		found := code == ""
		for _, r := range res.Verdict.Reasons {
			found = found || r.Code == code
		}
		if res.Verdict.Level != want || !found {
			t.Errorf("%s: %s %+v (report err %q), want %s with %s", url, res.Verdict.Level, res.Verdict.Reasons, res.Report.Err, want, code)
		}
	}
	check("http://secure-amazon-co-jp.example.top/signin", verdict.Malicious, verdict.CodeBrandImpersonated)
	check("http://www.example.org/", verdict.Clean, "")
	check("http://kuroneko-fuzai.example.top/", verdict.Malicious, verdict.CodeCloaking)
	if _, err := s.Scan(ctx, sandbox.Request{URL: "javascript:alert(1)"}); err == nil {
		t.Error("a javascript: URL was scanned")
	}
}

// TestCloakingRenders: a page that looks empty to the clicker's browser
// is rendered again as Android and as iPhone. A kit that answers desktop
// browsers with a 404, Android with a credential form and iPhones with an
// Apple ID form is cloaking, whichever device clicks first. The benign
// twins: a site that lays out the same short page for phones, and a dead
// link (404 for everyone), are not.
func TestCloakingRenders(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua := r.UserAgent()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.Host {
		case "smbc-card-verify.example-secure.top":
			switch {
			case strings.Contains(ua, "Android"):
				w.Write([]byte(`<html><head><title>三井住友カード ログイン</title></head><body><img alt="三井住友カード" src="/logo.png"><form action="/s" method="post">カード会員ID<input name="id"> パスワード<input type="password" name="pw"><button>ログイン</button></form></body></html>`))
			case strings.Contains(ua, "iPhone"):
				w.Write([]byte(`<html><head><title>Apple ID</title></head><body><h1>Apple IDでサインイン</h1><form action="/a" method="post"><input type="email" name="appleid" placeholder="Apple ID"><input type="password" name="pw" placeholder="パスワード"><button>サインイン</button></form></body></html>`))
			default:
				http.NotFound(w, r)
			}
		case "www.tenki-mobile.example":
			if strings.Contains(ua, "Mobile") {
				w.Write([]byte(`<html><head><title>天気</title><meta name="viewport" content="width=device-width"></head><body><p>晴れ</p></body></html>`))
				return
			}
			w.Write([]byte(`<html><head><title>天気</title></head><body><p>東京 晴れ</p></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	ctx := context.Background()
	s, err := New(ctx, Config{
		Browser:      browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 2},
		TestMapHosts: netip.MustParseAddrPort(site.Listener.Addr().String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	scan := func(url, ua string) sandbox.Result {
		t.Helper()
		res, err := s.Scan(ctx, sandbox.Request{URL: url, UserAgent: ua})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	cloaking := func(v verdict.Verdict) string {
		for _, r := range v.Reasons {
			if r.Code == verdict.CodeCloaking {
				return r.Evidence["difference"]
			}
		}
		return ""
	}
	res := scan("http://smbc-card-verify.example-secure.top/login", desktop)
	if res.Verdict.Level != verdict.Malicious || !strings.HasPrefix(cloaking(res.Verdict), "HTTP 404 / a page") || !res.Report.Mobile {
		t.Errorf("kit, clicked on a desktop: %s %+v (report err %q, mobile %v)", res.Verdict.Level, res.Verdict.Reasons, res.Report.Err, res.Report.Mobile)
	}
	// An iPhone sees the Apple ID form itself: no second render needed.
	if res := scan("http://smbc-card-verify.example-secure.top/login", uaIPhone); res.Verdict.Level != verdict.Malicious || res.Report.UserAgent != uaIPhone {
		t.Errorf("kit, clicked on an iPhone: %s %+v", res.Verdict.Level, res.Verdict.Reasons)
	}
	for _, u := range []string{"http://www.tenki-mobile.example/", "http://dead-link.example.jp/gone"} {
		if res := scan(u, desktop); res.Verdict.Level == verdict.Malicious || res.Verdict.Level == verdict.Suspicious || cloaking(res.Verdict) != "" {
			t.Errorf("%s: %s %+v", u, res.Verdict.Level, res.Verdict.Reasons)
		}
	}
}
