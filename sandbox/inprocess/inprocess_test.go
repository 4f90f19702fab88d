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
