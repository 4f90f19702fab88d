package lookalike

import (
	"strings"
	"testing"
)

// The checks on a brand list of their own; sandbox/rules tests them with
// the real brand list and the corpus.
func TestChecker(t *testing.T) {
	c := New([]Brand{
		{Name: "Example Bank", Names: []string{"Example Bank", "例銀行"}, Domains: []string{"examplebank.co.jp", "live.example"}, Keys: []string{"exbank"}},
		{Name: "Globex", Domains: []string{"globex.com"}, Global: true},
	}, map[string]bool{"live": true})
	check := func(host, brand, kind string) {
		t.Helper()
		hit, ok := c.Check(host, []string{"kensa-corp.co.jp"})
		if kind == "" {
			if ok {
				t.Errorf("Check(%q) = %+v, want no hit", host, hit)
			}
			return
		}
		if !ok || hit.Brand != brand || hit.Kind != kind {
			t.Errorf("Check(%q) = %+v, %v; want %s %s", host, hit, ok, brand, kind)
		}
		if rs := c.Reasons(host, []string{"kensa-corp.co.jp"}); len(rs) != 1 || rs[0].JA == "" || rs[0].EN == "" {
			t.Errorf("Reasons(%q) = %+v", host, rs)
		}
	}
	check("examplebank.co.jp", "", "")
	check("www.examplebank.co.jp", "", "")
	check("globex.de", "", "") // a global brand's local site
	check("live.example", "", "")
	check("live-login.example", "", "") // "live" is not a key
	check("examplebank.xyz", "Example Bank", TLDSwap)
	check("examp1ebank.co.jp", "Example Bank", Homoglyph)
	check("exampelbank.co.jp", "Example Bank", EditDistance)
	check("examplebank.co.jp.verify.top", "Example Bank", BrandInSubdomain)
	check("exbank-login.top", "Example Bank", BrandInLabel)
	check("例銀行-ログイン.com", "Example Bank", BrandInLabel)
	check("globex.xyz", "Globex", TLDSwap)
	check("kensa-corp.com", OwnBrand, TLDSwap)
	check("xn--exmple-4nf.com", "", MixedScript)
	if bad := c.BadKeys(); bad != nil {
		t.Errorf("BadKeys() = %q", bad)
	}
	if bad := New([]Brand{{Name: "Login", Domains: []string{"login.example"}}}, nil).BadKeys(); len(bad) != 1 {
		t.Errorf("BadKeys() = %q, want the lure word login", bad)
	}
}

// NameInHost needs no brand list: a name the page claims, found in the
// host the way kits put it there, and the brand's own domain left alone.
func TestNameInHost(t *testing.T) {
	check := func(host, name string, want bool, kind string) {
		t.Helper()
		hit, ok := NameInHost(host, name)
		if ok != want || ok && hit.Kind != kind {
			t.Errorf("NameInHost(%q, %q) = %+v, %v; want %v %s", host, name, hit, ok, want, kind)
		}
	}
	// Unlisted brands: a crypto exchange, an art community, an online bank.
	check("coinvault-login-secure.top", "coinvault", true, BrandInLabel)
	check("mycoinvault-helpdesk.com", "coinvault", true, BrandInLabel)
	check("coinvault.account-verify.online", "coinvault", true, BrandInSubdomain)
	check("login.coinvault.com.verify-id.top", "coinvault", true, BrandInSubdomain)
	check("c0invault.com", "coinvault", true, Homoglyph)
	check("artfolio-accounts.xyz", "artfolio", true, BrandInLabel)
	check("artfolio-jp.com", "artfolio", true, BrandInLabel)
	check("artfolio-update.net", "artfolio", true, BrandInLabel)
	check("artfolio-signin2.web.app", "artfolio", true, BrandInLabel)
	check("sakuranet-bank-jp-support.com", "sakuranet", true, BrandInLabel)
	check("さくら銀行-ログイン.com", "さくら銀行", true, BrandInLabel)
	// Benign twins: the brand's own domain under any suffix, its
	// subdomains, and names the host does not carry with a lure.
	check("coinvault.com", "coinvault", false, "")
	check("login.coinvault.com", "coinvault", false, "")
	check("coinvault.co.jp", "coinvault", false, "")
	check("secure.coin-vault.jp", "coinvault", false, "")
	check("demos.creative-tim.com", "creativetim", false, "")
	check("getbootstrap.com", "bootstrap", false, "")
	check("dexidp.io", "dex", false, "")
	check("coinvault.example-partner.com", "coinvault", false, "")
	check("artfolio-gallery.com", "artfolio", false, "")
	check("さくら銀行.jp", "さくら銀行", false, "")
	check("a-login.com", "a", false, "")
	// Two letters: whole hyphen parts with a lure, or "my" glued on.
	check("qv-account-unlock.live", "qv", true, BrandInLabel)
	check("myqv-helpdesk.shop", "qv", true, BrandInLabel)
	check("qvideo-login.com", "qv", false, "")
}

func TestLureWords(t *testing.T) {
	if got := LureWords("login.secure-account-verify.top"); strings.Join(got, ",") != "secure,account,verify" {
		t.Errorf("LureWords = %q", got)
	}
	if got := LureWords("login.example.com"); got != nil {
		t.Errorf("LureWords(login.example.com) = %q, want none", got)
	}
}

func TestEmbeddedDomain(t *testing.T) {
	check := func(host, want string) {
		t.Helper()
		got, _, ok := EmbeddedDomain(host)
		if ok != (want != "") || got != want {
			t.Errorf("EmbeddedDomain(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
	check("vk.com.account-verify.top", "vk.com")
	check("www.coinvault.co.jp-login.com", "coinvault.co.jp")
	check("accounts-coinvault.com-13.online", "coinvault.com")
	check("login.coinvault.com.verify-id.top", "coinvault.com")
	// Benign twins: ordinary hosts, and a TLD-like label that ends the
	// name.
	check("www.example.com", "")
	check("login.coinvault.com", "")
	check("www.jp.example.com", "")
	check("mail.example.co.jp", "")
	check("shop.co.example.org", "")
	check("a.com.example.net", "")
}

// FuzzNameInHost: any host and name, never a panic; a hit is one of the
// three kinds, never the name's own registrable domain; an embedded domain
// is written in the host.
func FuzzNameInHost(f *testing.F) {
	for _, s := range [][2]string{
		{"coinvault-login-secure.top", "coinvault"}, {"coinvault.com.account-verify.online", "coinvault"},
		{"www.coinvault.co.jp-login.com", "coinvault"}, {"さくら銀行-ログイン.com", "さくら銀行"}, {"c0invault.com", "coinvault"},
		{"xn--80ak6aa92e.com", "apple"}, {"..", ""}, {"a.b.c.d.e.f.g", "b"}, {"qv-account-unlock.live", "qv"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, name string) {
		hit, ok := NameInHost(host, name)
		if ok {
			switch hit.Kind {
			case BrandInLabel, BrandInSubdomain, Homoglyph:
			default:
				t.Fatalf("NameInHost(%q, %q) kind %q", host, name, hit.Kind)
			}
			if h, ok := parseHost(host); ok && strings.ReplaceAll(h.label, "-", "") == strings.ReplaceAll(Lower(Normalize(name)), "-", "") {
				t.Fatalf("NameInHost(%q, %q) hit the name's own domain", host, name)
			}
		}
		if e, _, ok := EmbeddedDomain(host); ok {
			h, _ := parseHost(host)
			first := e[:strings.IndexByte(e, '.')]
			if h == nil || !strings.Contains(h.ascii, first) {
				t.Fatalf("EmbeddedDomain(%q) = %q, not in the host", host, e)
			}
		}
		LureWords(host)
	})
}
