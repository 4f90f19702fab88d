package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/sandbox/rules/lookalike"
)

// lookalikeOwn is the organisation's own domain in these tests.
var lookalikeOwn = []string{"example.co.jp"}

func TestLookalike(t *testing.T) {
	own := lookalikeOwn
	check := func(host, brand, kind string) {
		t.Helper()
		hit, ok := Lookalike(host, own)
		if kind == "" {
			if ok {
				t.Errorf("Lookalike(%q) = %+v, want no hit", host, hit)
			}
			return
		}
		if !ok || hit.Brand != brand || hit.Kind != kind {
			t.Errorf("Lookalike(%q) = %+v, %v; want %s %s", host, hit, ok, brand, kind)
		}
	}
	// The research notes' cases for the organisation's example.co.jp
	// (detection.md §7.1 R2, R3).
	check("example.co", lookalike.OwnBrand, lookalike.TLDSwap)
	check("example.com", lookalike.OwnBrand, lookalike.TLDSwap)
	check("example.jp", lookalike.OwnBrand, lookalike.TLDSwap)
	check("ｅｘａｍｐｌｅ．ｃｏｍ", lookalike.OwnBrand, lookalike.TLDSwap)
	check("exampleco.jp", lookalike.OwnBrand, lookalike.BrandInLabel)
	check("example-co.jp", lookalike.OwnBrand, lookalike.BrandInLabel)
	check("examp1e.co.jp", lookalike.OwnBrand, lookalike.Homoglyph)
	check("exarnple.co.jp", lookalike.OwnBrand, lookalike.Homoglyph)
	check("exampie.co.jp", lookalike.OwnBrand, lookalike.Homoglyph)
	check("exampl.co.jp", lookalike.OwnBrand, lookalike.EditDistance)
	check("examples.co.jp", lookalike.OwnBrand, lookalike.EditDistance)
	check("example.co.jp.login-check.test", lookalike.OwnBrand, lookalike.BrandInSubdomain)
	check("example.co.jp", "", "")
	check("www.example.co.jp", "", "")
	check("EXAMPLE.CO.JP.", "", "")
	check("xn--exmple-4nf.co.jp", lookalike.OwnBrand, lookalike.MixedScript) // exаmple with a Cyrillic а
	check("example-login.jp", lookalike.OwnBrand, lookalike.BrandInLabel)

	// The brand list alone from here on.
	own = nil

	// tld-swap
	check("amazon.xyz", "Amazon", lookalike.TLDSwap)
	check("rakuten-card.com", "楽天", lookalike.TLDSwap)
	check("sagawa-exp.com", "佐川急便", lookalike.TLDSwap)
	check("kuronekoyamato.com", "ヤマト運輸", lookalike.TLDSwap)
	check("mufg.co.jp", "MUFG (三菱UFJ)", lookalike.TLDSwap)
	check("paypay.com", "PayPay", lookalike.TLDSwap)
	check("paypal.com.mx", "PayPal", lookalike.TLDSwap)
	check("smbc-card.jp", "三井住友 (SMBC)", lookalike.TLDSwap)
	check("amazon.web.app", "Amazon", lookalike.BrandInLabel) // a tenant on a hosting platform

	// edit-distance
	check("amazom.co.jp", "Amazon", lookalike.EditDistance)
	check("amzaon.com", "Amazon", lookalike.EditDistance) // a swap is one edit
	check("rakutem.co.jp", "楽天", lookalike.EditDistance)
	check("micosoft.com", "Microsoft", lookalike.EditDistance)
	check("mircosfot.com", "Microsoft", lookalike.EditDistance) // two edits for 8+ letters
	check("gooogle.com", "Google", lookalike.EditDistance)
	check("netflx.com", "Netflix", lookalike.EditDistance)
	check("docomo-mobile.net", "", "")
	check("amazon-login-verify.top", "Amazon", lookalike.BrandInLabel)
	check("amazom-login.top", "Amazon", lookalike.EditDistance) // a near miss next to a lure word
	check("email.com", "", "")                                  // not gmail: the first letter differs
	check("switch.com", "", "")                                 // not twitch
	check("interest.com", "", "")                               // not pinterest
	check("mizuno.jp", "", "")                                  // mizuho is a keyword, not a domain label

	// homoglyph
	check("amaz0n.co.jp", "Amazon", lookalike.Homoglyph)
	check("paypa1.com", "PayPal", lookalike.Homoglyph)
	check("g00gle.com", "Google", lookalike.Homoglyph)
	check("rnicrosoft.com", "Microsoft", lookalike.Homoglyph)
	check("vvordpress.com", "WordPress", lookalike.Homoglyph)
	check("amazön.com", "Amazon", lookalike.Homoglyph)
	check("xn--80ak6aa92e.com", "Apple", lookalike.Homoglyph) // аррӏе, all Cyrillic
	check("аррӏе.com", "Apple", lookalike.Homoglyph)
	check("1ine.me", "LINE", lookalike.Homoglyph)
	check("iine.jp", "", "") // いいね, not LINE: short names need a digit or non-ASCII look-alike
	check("faceb00k-recovery.cfd", "Facebook", lookalike.Homoglyph)
	check("myfaceb00k-helpdesk.app", "Facebook", lookalike.Homoglyph)
	check("accounts-faceb00k.com-67.cfd", "Facebook", lookalike.Homoglyph)

	// mixed-script
	check("pаypal.com", "PayPal", lookalike.MixedScript)
	check("xn--80aa0cbo65f.com", "PayPal", lookalike.Homoglyph) // dnstwist's раураӏ: all Cyrillic, so a homoglyph
	check("pаypal-lоgin.com", "PayPal", lookalike.MixedScript)
	check("login.gооgle.evil.top", "Google", lookalike.MixedScript)
	check("tеst-site.com", "", lookalike.MixedScript)         // Cyrillic е, imitates nothing we know
	check("xn--ecka4nb.jp", "PayPay", lookalike.BrandInLabel) // ペイペイ.jp: one script, not a homograph
	check("例え.jp", "", "")
	check("amazonログイン.com", "Amazon", lookalike.BrandInLabel) // Latin with Katakana is not mixed-script, but ログイン is a lure
	check("xn--exmple-4nf.co.jp", "", lookalike.MixedScript)  // without the organisation's domain: imitates nothing we know

	// brand-in-subdomain
	check("amazon.co.jp.account-verify.top", "Amazon", lookalike.BrandInSubdomain)
	check("www.amazon.co.jp-login.com", "Amazon", lookalike.BrandInSubdomain)
	check("accounts-amazon.com-13.online", "Amazon", lookalike.BrandInSubdomain)
	check("paypal.com.evil.top", "PayPal", lookalike.BrandInSubdomain)
	check("www.line.me-login.shop", "LINE", lookalike.BrandInSubdomain)
	check("netflix.security-check-83.xyz", "Netflix", lookalike.BrandInSubdomain)
	check("amazon-co-jp.example.top", "Amazon", lookalike.BrandInSubdomain)
	check("楽天.evil.top", "楽天", lookalike.BrandInSubdomain)
	check("rakuten.zoom.us", "", "")         // a company's vanity subdomain on a SaaS: no lure
	check("apple.my.salesforce.com", "", "") // "my" alone is no lure

	// brand-in-label
	check("amazon-co-jp-login.example", "Amazon", lookalike.BrandInLabel)
	check("rakuten-card-security.com", "楽天", lookalike.BrandInLabel)
	check("mydropbox-helpdesk.xyz", "Dropbox", lookalike.BrandInLabel)
	check("instagram-signin.web.app", "Instagram", lookalike.BrandInLabel)
	check("sagawa-fuzai.top", "佐川急便", lookalike.BrandInLabel)
	check("kuroneko-redelivery.com", "ヤマト運輸", lookalike.BrandInLabel)
	check("aupay-login.com", "au (KDDI)", lookalike.BrandInLabel)
	check("au-login.net", "au (KDDI)", lookalike.BrandInLabel)
	check("smbc-card-security.com", "三井住友 (SMBC)", lookalike.BrandInLabel)
	check("楽天-ログイン.com", "楽天", lookalike.BrandInLabel)

	// Negatives: real domains and their subdomains, look-alike words,
	// brands' local sites, and other people's domains.
	check("amazon.co.jp", "", "")
	check("www.amazon.co.jp", "", "")
	check("ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "", "")
	check("login.microsoftonline.com", "", "")
	check("accounts.google.com", "", "")
	check("mail.yahoo.co.jp", "", "")
	check("www.jp-bank.japanpost.jp", "", "")
	check("paypal.com", "", "")
	check("google.de", "", "") // a global brand's local site
	check("amazon.fr", "", "")
	check("sony.co.jp", "", "")
	check("example.org", "", "")
	check("lineage.com", "", "")
	check("online.com", "", "")
	check("helpline.org", "", "")
	check("line-art.jp", "", "")
	check("australia.com", "", "")
	check("au-pair.com", "", "")
	check("idea-support.com", "", "") // not "id"+"ea"
	check("pineapple.com", "", "")
	check("apple-pie-recipes.com", "", "")
	check("steamboat.com", "", "")
	check("amazonia.org", "", "")
	check("yamato-kogyo.co.jp", "", "")
	check("origin-cdn.example.net", "", "")
	check("goo.ne.jp", "", "")
	check("mdn.github.io", "", "")
	check("startbootstrap.github.io", "", "")
	check("getbootstrap.com", "", "")
	check("203.0.113.7", "", "")
	check("[::1]", "", "")
	check("localhost", "", "")
	check("co.jp", "", "")
	check("", "", "")
	check("\xff.com", "", "")
}

// Own domains are optional, may be host names, and are never hits
// themselves.
func TestLookalikeOwn(t *testing.T) {
	check := func(host string, own []string, want bool) {
		t.Helper()
		if _, ok := Lookalike(host, own); ok != want {
			t.Errorf("Lookalike(%q, %q) hit = %v, want %v", host, own, ok, want)
		}
	}
	check("kensa-mai1.co.jp", nil, false)
	check("kensa-mai1.co.jp", []string{"mail.kensa-mail.co.jp"}, true)
	check("kensa-mail.co.jp", []string{"kensa-mail.co.jp"}, false)
	check("sso.kensa-mail.co.jp", []string{"KENSA-MAIL.CO.JP"}, false)
	check("kensa-mail.com", []string{"kensa-mail.co.jp", "", "not a domain", "127.0.0.1"}, true)
}

// No brand's own domain, nor a subdomain of it, is a lookalike.
func TestLookalikeBrandDomains(t *testing.T) {
	for _, b := range Brands() {
		for _, d := range b.Domains {
			for _, h := range []string{d, "www." + d, "login.secure." + d} {
				if hit, ok := Lookalike(h, nil); ok {
					t.Errorf("%s (%s): %+v", h, b.Name, hit)
				}
			}
		}
	}
}

func TestLookalikeReasons(t *testing.T) {
	check := func(host string, own []string, ja, en string) {
		t.Helper()
		rs := LookalikeReasons(host, own)
		if len(rs) != 1 {
			t.Fatalf("LookalikeReasons(%q) = %v, want one reason", host, rs)
		}
		r := rs[0]
		if r.Code != verdict.CodeLookalikeDomain || r.Level != verdict.Suspicious || r.Evidence["host"] != host || r.Evidence["kind"] == "" {
			t.Errorf("LookalikeReasons(%q) = %+v", host, r)
		}
		if !strings.Contains(r.JA, ja) || !strings.Contains(r.EN, en) {
			t.Errorf("LookalikeReasons(%q):\n JA %s\n EN %s\nwant %q / %q", host, r.JA, r.EN, ja, en)
		}
	}
	check("amazon-co-jp-login.example", nil,
		"このドメイン amazon-co-jp-login.example は Amazon の本物のドメイン amazon.co.jp に似せています。",
		"The domain amazon-co-jp-login.example imitates Amazon's real domain amazon.co.jp.")
	check("amazon-co-jp.example.top", nil,
		"このドメイン amazon-co-jp.example.top は Amazon の本物のドメイン amazon.co.jp に似せています。本当のサイトは example.top で",
		"The site is really example.top")
	check("rakuten.xyz", nil, "末尾（.xyz）が違います", "the ending (.xyz) is different")
	check("amazom.co.jp", nil, "綴りが1文字だけ違います", "one letter different")
	check("paypa1.com", nil, "形の似た文字", "look-alike characters")
	check("pаypal.com", nil, "pаypal.com (xn--pypal-4ve.com) は PayPal の本物のドメイン paypal.com", "Cyrillic+Latin")
	check("tеst-site.com", nil, "複数の文字体系（キリル文字とラテン文字）", "mixes letters from different scripts (Cyrillic+Latin)")
	check("sagawa-fuzai.top", nil, "佐川急便 の本物のドメイン sagawa-exp.co.jp に似せています。名前を含んでいますが", "contains the name")
	check("example.com", lookalikeOwn, "このドメイン example.com はあなたの組織のドメイン example.co.jp に似せています。", "your organisation's domain example.co.jp")
	if rs := LookalikeReasons("www.amazon.co.jp", nil); rs != nil {
		t.Errorf("real domain: %v", rs)
	}
}

// brandCorpusEntry is one page of the shared corpus manifest.
type brandCorpusEntry struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Brand string `json:"brand"`
	Host  string `json:"host"`
	Title string `json:"title"`
}

// lookalikeManifest reads the page corpus's manifest.json (internal/testenv).
func lookalikeManifest(t *testing.T) []brandCorpusEntry {
	t.Helper()
	path := filepath.Join(testenv.CorpusDir(t, "pages"), "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("corpus manifest: %v", err)
	}
	var m []brandCorpusEntry
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// brandSlug reduces a brand name to the manifest's spelling ("EA (Origin)"
// and "ea-origin" both give "eaorigin").
func brandSlug(s string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// brandIs reports whether the manifest's brand slug names the brand called
// name in the table.
func brandIs(slug, name string) bool {
	want := brandSlug(slug)
	for _, b := range Brands() {
		if b.Name != name {
			continue
		}
		if brandSlug(b.Name) == want {
			return true
		}
		for _, n := range b.Names {
			if brandSlug(n) == want {
				return true
			}
		}
	}
	return false
}

// TestLookalikeCorpus checks the lookalike rule and the brand list over the
// shared corpus: every phishing page with a brand must be recognised by its
// host (a lookalike of that brand) or by its title (BrandsInText names the
// brand), at least 90 % of them; no benign host may be a lookalike.
func TestLookalikeCorpus(t *testing.T) {
	m := lookalikeManifest(t)
	var phish, byHost, byTitle, either, anyHit, noBrand, noBrandHit, benign, fp int
	brands := map[string]bool{}
	for _, e := range m {
		hit, ok := Lookalike(e.Host, nil)
		switch e.Label {
		case "benign":
			benign++
			if ok {
				fp++
				t.Errorf("benign %s (%s): lookalike %+v", e.ID, e.Host, hit)
			}
		case "phish":
			if e.Brand == "" {
				noBrand++
				if ok {
					noBrandHit++
				}
				continue
			}
			phish++
			brands[e.Brand] = true
			if !slices.ContainsFunc(Brands(), func(b Brand) bool { return brandIs(e.Brand, b.Name) }) {
				t.Errorf("brand %q of %s is not in the brand list", e.Brand, e.ID)
			}
			h := ok && brandIs(e.Brand, hit.Brand)
			tt := false
			for _, b := range BrandsInText(e.Title) {
				tt = tt || brandIs(e.Brand, b.Name)
			}
			if ok {
				anyHit++
			}
			if h {
				byHost++
			}
			if tt {
				byTitle++
			}
			if h || tt {
				either++
			} else {
				t.Logf("not recognised: %s host=%s title=%q brand=%s (lookalike %+v %v)", e.ID, e.Host, e.Title, e.Brand, hit, ok)
			}
		}
	}
	t.Logf("phishing pages with a brand: %d (%d brands); recognised %d (%.1f%%): by host %d, by title %d; any lookalike hit %d",
		phish, len(brands), either, 100*float64(either)/float64(max(phish, 1)), byHost, byTitle, anyHit)
	t.Logf("phishing pages without a brand: %d, lookalike hits %d", noBrand, noBrandHit)
	t.Logf("benign pages: %d, lookalike hits (false positives) %d", benign, fp)
	if phish == 0 || benign == 0 {
		t.Fatal("manifest has no phishing or no benign pages")
	}
	if float64(either) < 0.9*float64(phish) {
		t.Errorf("recognised %d of %d phishing pages with a brand, want at least 90%%", either, phish)
	}
}

func FuzzLookalike(f *testing.F) {
	for _, s := range []string{
		"amazon.co.jp", "www.amazon.co.jp-login.com", "amazon.co.jp.account-verify.top", "paypa1.com",
		"xn--80ak6aa92e.com", "pаypal.com", "楽天-ログイン.com", "ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "example.co",
		"faceb00k-recovery.cfd", "1.2.3.4", "[::1]", "", ".", "..", "xn--", "a.b.c.d.e.f.g.h.web.app",
		"Yahoo! JAPAN IDでログイン", "auからのお知らせ",
	} {
		f.Add(s, "example.co.jp")
	}
	kinds := map[string]bool{lookalike.TLDSwap: true, lookalike.EditDistance: true, lookalike.Homoglyph: true,
		lookalike.MixedScript: true, lookalike.BrandInSubdomain: true, lookalike.BrandInLabel: true}
	f.Fuzz(func(t *testing.T, host, own string) {
		hit, ok := Lookalike(host, []string{own})
		rs := LookalikeReasons(host, []string{own})
		if ok != (len(rs) == 1) || len(rs) > 1 {
			t.Fatalf("Lookalike(%q) = %v but %d reasons", host, ok, len(rs))
		}
		if ok {
			if !kinds[hit.Kind] || (hit.Brand == "") != (hit.Target == "") || (hit.Brand == "" && hit.Kind != lookalike.MixedScript) {
				t.Fatalf("Lookalike(%q) = %+v", host, hit)
			}
			r := rs[0]
			if r.Code != verdict.CodeLookalikeDomain || r.Level != verdict.Suspicious || r.JA == "" || r.EN == "" {
				t.Fatalf("LookalikeReasons(%q) = %+v", host, r)
			}
			if _, owned := BrandForDomain(host); owned {
				t.Fatalf("Lookalike(%q) hit a brand's own domain: %+v", host, hit)
			}
		}
		BrandsInText(host)
		BrandsInText(own)
	})
}
