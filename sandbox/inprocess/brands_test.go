package inprocess

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// brandPages are the hand-made pages of testdata/brands, each served under
// a phishing-like host and, as its benign twin, under the brand's own
// host: brands on no brand list (a crypto exchange, an art community, a
// Japanese online bank), a rental server's account alert and its real
// control panel, and a delivery-notice APK lure.
var brandPages = []struct {
	host, file string
	want       verdict.Level
	code       verdict.Code
}{
	{"coinvault-login-secure.top", "coinvault-signin.html", verdict.Malicious, verdict.CodeBrandImpersonated},
	{"www.coinvault.com", "coinvault-signin.html", verdict.Clean, ""},
	{"artfolio-accounts.xyz", "artfolio-login.html", verdict.Malicious, verdict.CodeBrandImpersonated},
	{"accounts.artfolio.net", "artfolio-login.html", verdict.Clean, ""},
	{"midorinet-bank-jp-support.com", "midori-bank.html", verdict.Malicious, verdict.CodeBrandImpersonated},
	{"www.midorinet-bank.co.jp", "midori-bank.html", verdict.Clean, ""},
	{"srv-panel-info.example.org", "server-alert.html", verdict.Malicious, verdict.CodeCombinedSignals},
	{"secure.xserver.ne.jp", "server-panel.html", verdict.Clean, ""},
	{"xserver-account-verify.top", "server-panel.html", verdict.Malicious, verdict.CodeBrandImpersonated},
	// A real OAuth provider's sign-in on its own domain, and the same page
	// on a kit's host.
	{"accounts.google.com", "oauth-signin.html", verdict.Clean, ""},
	{"accounts-google.com.account-verify.site", "oauth-signin.html", verdict.Malicious, verdict.CodeBrandImpersonated},
	{"parcel-notice.example.net", "apk-lure.html", verdict.Malicious, verdict.CodeCombinedSignals},
	// One sign alone (unknown-sources text in a help article): a warning,
	// never a block.
	{"help.example.org", "android-help.html", verdict.Suspicious, verdict.CodeUnknownSources},
}

// TestBrandPages renders each brand page through the real sandbox and
// judges it with the built-in brand list and with an empty one: the
// verdict must not depend on the list. It also checks that the render
// captured where the page names itself (site name, icons, headings,
// copyright), which the rules read.
func TestBrandPages(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	files := map[string]string{}
	for _, p := range brandPages {
		files[p.host] = p.file
	}
	site, err := testsite.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[strings.Split(r.Host, ":")[0]]
		if !ok || r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, "/v3/signin") {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "brands", f))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	ctx := context.Background()
	s, err := New(ctx, Config{
		Browser:       browser.Config{RenderTimeout: 20 * time.Second, Concurrency: 1},
		TestMapHosts:  site.Addr,
		TestTrustSPKI: []string{site.SPKI},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	empty := rules.Policy{Brands: rules.DefaultBrands().Without(func(rules.Brand) bool { return true })}
	for _, p := range brandPages {
		res, err := s.Scan(ctx, sandbox.Request{URL: "http://" + p.host + "/"})
		if err != nil {
			t.Fatal(err)
		}
		rep := res.Report
		if rep.Err != "" {
			t.Errorf("%s: render failed: %s", p.host, rep.Err)
			continue
		}
		if p.file == "coinvault-signin.html" {
			if rep.SiteName != "CoinVault" || len(rep.Icons) != 1 || !strings.HasSuffix(rep.Icons[0], "/static/coinvault-favicon.ico") ||
				!slices.Contains(rep.Headings, "CoinVault にログイン") || rep.Copyright != "© 2026 CoinVault K.K. All rights reserved." {
				t.Errorf("%s: site name %q, icons %q, headings %q, copyright %q", p.host, rep.SiteName, rep.Icons, rep.Headings, rep.Copyright)
			}
		}
		for _, pol := range []rules.Policy{{}, empty} {
			v := rules.Judge(rep, pol)
			found := p.code == ""
			for _, r := range v.Reasons {
				found = found || r.Code == p.code
			}
			if v.Level != p.want || !found {
				t.Errorf("%s (%s, %d brands): %s %+v, want %s with %q", p.host, p.file, listLen(pol), v.Level, v.Reasons, p.want, p.code)
			}
		}
	}
}

func listLen(p rules.Policy) int {
	if p.Brands == nil {
		return rules.DefaultBrands().Len()
	}
	return p.Brands.Len()
}
