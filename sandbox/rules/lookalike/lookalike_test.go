package lookalike

import "testing"

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
