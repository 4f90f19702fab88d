package pages

import (
	"strings"
	"testing"
)

func describeTable(check func(raw string, want Destination)) {
	// A homograph: Cyrillic "а" in "pаypal".
	check("https://xn--pypal-4ve.com/login", Destination{
		Scheme: "https", Host: "xn--pypal-4ve.com", HostASCII: "xn--pypal-4ve.com", HostUnicode: "p\u0430ypal.com",
		Registrable: "xn--pypal-4ve.com", RegistrableUnicode: "p\u0430ypal.com", Path: "/login",
	})
	check("https://login.amazon.co.jp.account-verify.top/x", Destination{
		Scheme: "https", Host: "login.amazon.co.jp.account-verify.top", HostASCII: "login.amazon.co.jp.account-verify.top",
		HostUnicode: "login.amazon.co.jp.account-verify.top", Registrable: "account-verify.top", RegistrableUnicode: "account-verify.top",
		Before: "login.amazon.co.jp.", Path: "/x",
	})
	check("https://例え.jp/パス", Destination{
		Scheme: "https", Host: "例え.jp", HostASCII: "xn--r8jz45g.jp", HostUnicode: "例え.jp",
		Registrable: "xn--r8jz45g.jp", RegistrableUnicode: "例え.jp", Path: "/%E3%83%91%E3%82%B9",
	})
	check("HTTPS://WWW.Example.CO.JP:8443/a?b=1#c", Destination{
		Scheme: "https", Host: "WWW.Example.CO.JP", HostASCII: "www.example.co.jp", HostUnicode: "www.example.co.jp",
		Registrable: "example.co.jp", RegistrableUnicode: "example.co.jp", Before: "www.", Port: "8443", Path: "/a?b=1#c",
	})
	check("https://ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ/", Destination{
		Scheme: "https", Host: "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", HostASCII: "www.example.co.jp", HostUnicode: "www.example.co.jp",
		Registrable: "example.co.jp", RegistrableUnicode: "example.co.jp", Before: "www.", Path: "/",
	})
	check("https://www.rakuten.co.jp@rakuten-card.account-check.top/login", Destination{
		Scheme: "https", Host: "rakuten-card.account-check.top", HostASCII: "rakuten-card.account-check.top",
		HostUnicode: "rakuten-card.account-check.top", Registrable: "account-check.top", RegistrableUnicode: "account-check.top",
		Before: "rakuten-card.", Path: "/login",
	})
	check("https://example.com./", Destination{
		Scheme: "https", Host: "example.com.", HostASCII: "example.com.", HostUnicode: "example.com.",
		Registrable: "example.com", RegistrableUnicode: "example.com", After: ".", Path: "/",
	})
	// No registrable domain: the whole host is highlighted.
	check("http://192.168.0.1/admin", Destination{
		Scheme: "http", Host: "192.168.0.1", HostASCII: "192.168.0.1", HostUnicode: "192.168.0.1",
		Registrable: "192.168.0.1", RegistrableUnicode: "192.168.0.1", Path: "/admin",
	})
	check("http://[::1]:8080/", Destination{
		Scheme: "http", Host: "::1", HostASCII: "::1", HostUnicode: "::1",
		Registrable: "::1", RegistrableUnicode: "::1", Port: "8080", Path: "/",
	})
	check("https://co.jp/", Destination{
		Scheme: "https", Host: "co.jp", HostASCII: "co.jp", HostUnicode: "co.jp",
		Registrable: "co.jp", RegistrableUnicode: "co.jp", Path: "/",
	})
	check("https://intranet/", Destination{
		Scheme: "https", Host: "intranet", HostASCII: "intranet", HostUnicode: "intranet",
		Registrable: "intranet", RegistrableUnicode: "intranet", Path: "/",
	})
	// An invalid punycode label is shown as written, and a host that is
	// not a valid domain name has no registrable domain.
	check("https://xn--zz.example.com/", Destination{
		Scheme: "https", Host: "xn--zz.example.com", HostASCII: "xn--zz.example.com", HostUnicode: "xn--zz.example.com",
		Registrable: "xn--zz.example.com", RegistrableUnicode: "xn--zz.example.com", Path: "/",
	})
	check(`https://evil.example/"><script>alert(1)</script>`, Destination{
		Scheme: "https", Host: "evil.example", HostASCII: "evil.example", HostUnicode: "evil.example",
		Registrable: "evil.example", RegistrableUnicode: "evil.example",
		Path: "/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E",
	})
	check("mailto:someone@example.com", Destination{Scheme: "mailto", Path: "someone@example.com"})
	check("not a url", Destination{Path: "not%20a%20url"})
	check("", Destination{})
	check("http://[::1", Destination{}) // unparseable: Raw only
}

func TestDescribe(t *testing.T) {
	describeTable(func(raw string, want Destination) {
		t.Helper()
		want.Raw = raw
		if got := Describe(raw); got != want {
			t.Errorf("Describe(%q)\n got %+v\nwant %+v", raw, got, want)
		}
	})
}

func FuzzDescribe(f *testing.F) {
	describeTable(func(raw string, _ Destination) { f.Add(raw) })
	f.Add("https://аррӏе.com/")
	f.Add("https://xn--80ak6aa92e.com/")
	f.Add("https://例え。テスト/")
	f.Add("http://0x7f.1/")
	f.Add("https://a..b.example.com/")
	f.Add("https://%65vil.example/")
	f.Add("https://" + strings.Repeat("a.", 200) + "com/")
	f.Fuzz(func(t *testing.T, raw string) {
		d := Describe(raw)
		if got := d.Before + d.RegistrableUnicode + d.After; got != d.HostUnicode {
			t.Fatalf("Describe(%q): %q + %q + %q != %q", raw, d.Before, d.RegistrableUnicode, d.After, d.HostUnicode)
		}
		if d.Host != "" && d.HostUnicode == "" {
			t.Fatalf("Describe(%q): host %q but no Unicode form", raw, d.Host)
		}
		if d.HostUnicode != "" && !strings.HasSuffix(d.HostASCII, d.Registrable) && !strings.HasSuffix(strings.TrimSuffix(d.HostASCII, "."), d.Registrable) {
			t.Fatalf("Describe(%q): registrable %q is not the end of %q", raw, d.Registrable, d.HostASCII)
		}
	})
}
