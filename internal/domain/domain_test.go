package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	check("", "")
	check("example.co.jp", "example.co.jp")
	check("ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "example.co.jp")
	check("ＥＸＡＭＰＬＥ．ＪＰ", "EXAMPLE.JP")
	check("例え。jp", "例え.jp")
	check("例え｡jp", "例え.jp")
	check("例え．ｊｐ", "例え.jp")
	check("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ／ａ？ｂ＝１", "https://example.jp/a?b=1")
	check("ﾛｸﾞｲﾝ", "ﾛｸﾞｲﾝ")
	check("ｶﾀｶﾅ｡jp", "ｶﾀｶﾅ.jp")
	check("ￜ", "ￜ")
	check("\xff", "\ufffd")
	check("ログイン", "ログイン")
	check("a\u3000b", "a b")
}

func TestRegistrableDomain(t *testing.T) {
	check := func(host, want string) {
		t.Helper()
		got, err := Registrable(host)
		if want == "" {
			if err == nil {
				t.Errorf("Registrable(%q) = %q, want an error", host, got)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("Registrable(%q) = %q, %v, want %q", host, got, err, want)
		}
	}
	check("example.co.jp", "example.co.jp")
	check("a.b.example.co.jp", "example.co.jp")
	check("www.example.com", "example.com")
	check("WWW.Example.COM", "example.com")
	check("example.co.jp.", "example.co.jp")
	check("ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "example.co.jp")
	check("ｗｗｗ．ＥＸＡＭＰＬＥ．ｃｏｍ", "example.com")
	check("例え。jp", "xn--r8jz45g.jp")
	check("例え.jp", "xn--r8jz45g.jp")
	check("www.例え.jp", "xn--r8jz45g.jp")
	check("xn--r8jz45g.jp", "xn--r8jz45g.jp")
	check("XN--R8JZ45G.JP", "xn--r8jz45g.jp")
	check("日本語.jp", "xn--wgv71a119e.jp")
	check("例え.みんな", "xn--r8jz45g.xn--q9jyb4c")
	check("faß.de", "xn--fa-hia.de")
	check("my_host.example.jp", "example.jp")
	check("foo.github.io", "foo.github.io")
	check("paypal.com.evil.top", "evil.top")
	check("amazon-co-jp.example.top", "example.top")
	check("www.city.kawasaki.jp", "city.kawasaki.jp")
	check("foo.bar.kawasaki.jp", "foo.bar.kawasaki.jp")
	check("ﾛｸﾞｲﾝ.jp", "xn--eckxa6p0a.jp")
	check("ログイン.jp", "xn--eckxa6p0a.jp")
	check("example.unknowntld", "example.unknowntld")
	// Errors.
	check("", "")
	check(".", "")
	check("co.jp", "")
	check("jp", "")
	check("com", "")
	check("ｃｏ．ｊｐ", "")
	check("localhost", "")
	check("192.0.2.1", "")
	check("１９２．０．２．１", "")
	check("127.1", "")
	check("0x7f.1", "")
	check("::1", "")
	check("[2001:db8::1]", "")
	check("2001:db8::1", "")
	check("a..example.jp", "")
	check(".example.jp", "")
	check("exa mple.jp", "")
	check("exa*mple.jp", "")
	check("user@example.jp", "")
	check("example.jp:443", "")
	check("xn--zz.jp", "")
	check("\xff.jp", "")
	check("\ufffd.jp", "")
	check(strings.Repeat("a", 64)+".jp", "")
	check(strings.Repeat("例", 90)+".jp", "")
	check(strings.Repeat("a.", 600)+"jp", "")
}

// shownTable is the Shown table, one case a line; want "" means not a
// domain.
func shownTable(check func(visible, want string)) {
	check("https://example.jp/x", "example.jp")
	check("http://www.example.co.jp/", "example.co.jp")
	check("HTTPS://WWW.EXAMPLE.CO.JP/LOGIN?A=1#B", "example.co.jp")
	check("www.example.co.jp", "example.co.jp")
	check("example.co.jp", "example.co.jp")
	check("example.co.jp.", "example.co.jp")
	check("example.co.jp/login", "example.co.jp")
	check("example.co.jp:8443/login", "example.co.jp")
	check("ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "example.co.jp")
	check("ｈｔｔｐｓ：／／ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ／", "amazon.co.jp")
	check("例え。jp", "xn--r8jz45g.jp")
	check("https://例え.jp/パス", "xn--r8jz45g.jp")
	check("xn--r8jz45g.jp", "xn--r8jz45g.jp")
	check("  https://example.jp/x\n", "example.jp")
	check("\r\n\tpaypal.com\r\n", "paypal.com")
	check("\u3000www.example.jp\u3000", "example.jp")
	check("\u200bwww.example.jp\u200b", "example.jp")
	check("https://paypal.com@evil.top/", "evil.top")
	check("https://user@example.jp/", "example.jp")
	check("paypal.com", "paypal.com")
	check("foo.github.io", "foo.github.io")
	check("invoice.zip", "invoice.zip")
	// Not domains.
	check("", "")
	check("   ", "")
	check("Click here", "")
	check("こちらをクリック", "")
	check("詳細はこちら", "")
	check("Visit example.co.jp today", "")
	check("example.co.jp をご覧ください", "")
	check("user@example.jp", "")
	check("mailto:user@example.jp", "")
	check("invoice.pdf", "")
	check("readme.txt", "")
	check("report.docx", "")
	check("Node.js", "")
	check("v1.2.3", "")
	check("1.2.3.4", "")
	check("http://192.0.2.1/login", "")
	check("http://[2001:db8::1]/", "")
	check("co.jp", "")
	check("https://co.jp/", "")
	check("localhost", "")
	check("http://localhost:8080/", "")
	check("example", "")
	check("https://example/", "")
	check("Dr.Smith", "")
	check("e.g.", "")
	check("...", "")
	check("example.co.jp:abc", "")
	check("<https://example.jp/>", "")
	check("exa!mple.jp", "")
	check("\xffexample.jp", "")
}

func TestShownDomain(t *testing.T) {
	shownTable(func(visible, want string) {
		t.Helper()
		got, ok := Shown(visible)
		if got != want || ok != (want != "") {
			t.Errorf("Shown(%q) = %q, %v, want %q, %v", visible, got, ok, want, want != "")
		}
	})
}

// mismatchTable is the Mismatch table, one case a line.
func mismatchTable(check func(visible, href, shown string, mismatch bool)) {
	// Same registrable domain: no mismatch.
	check("https://example.jp/x", "https://example.jp/y", "example.jp", false)
	check("www.example.co.jp", "https://login.example.co.jp/auth", "example.co.jp", false)
	check("https://www.amazon.co.jp/", "https://amazon.co.jp/", "amazon.co.jp", false)
	check("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "https://www.example.co.jp/", "example.co.jp", false)
	check("例え。jp", "https://xn--r8jz45g.jp/", "xn--r8jz45g.jp", false)
	check("https://例え.jp/", "https://www.例え.jp/a", "xn--r8jz45g.jp", false)
	check("\n  https://www.example.jp/login\n", "https://www.example.jp/login", "example.jp", false)
	check("example.jp", "HTTPS://WWW.EXAMPLE.JP.:443/", "example.jp", false)
	check("example.jp", "https://user:pw@www.example.jp/", "example.jp", false)
	check("example.jp", "  https://www.exa\nmple.jp/  ", "example.jp", false)
	check("example.jp", `https:\\www.example.jp\x`, "example.jp", false)
	check("example.jp", "https:www.example.jp", "example.jp", false)
	check("example.jp", "//www.example.jp/", "example.jp", false)
	check("example.jp", "https://%77ww.example.jp/", "example.jp", false)
	check("example.jp", "mailto:info@example.jp?subject=x", "example.jp", false)
	// Different registrable domain: mismatch.
	check("example.co", "https://example.co.jp/", "example.co", true)
	check("paypal.com", "https://paypal.com.evil.top/login", "paypal.com", true)
	check("paypal.com", "paypal.com.evil.top", "paypal.com", true)
	check("https://www.amazon.co.jp/", "https://amazon-co-jp.example.top/", "amazon.co.jp", true)
	check("ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "https://amazon-co-jp.example.top/", "amazon.co.jp", true)
	check("\r\n  www.amazon.co.jp  \r\n", "https://evil.top/", "amazon.co.jp", true)
	check("https://example.jp/", "https://paypal.com@evil.top/", "example.jp", true)
	check("example.jp", "https://example.jp@evil.top/", "example.jp", true)
	check("example.jp", `https://evil.top\@example.jp/`, "example.jp", true)
	check("example.jp", "https://example.jp%2eevil.top/", "example.jp", true)
	check("example.jp", "http://192.0.2.1/example.jp", "example.jp", true)
	check("example.jp", "http://[2001:db8::1]/", "example.jp", true)
	check("example.jp", "http://3232235521/", "example.jp", true)
	check("example.jp", "https://co.jp/", "example.jp", true)
	check("example.jp", "javascript:alert(1)", "example.jp", true)
	check("example.jp", "/relative/path", "example.jp", true)
	check("example.jp", "", "example.jp", true)
	check("example.jp", "https://xn--zz.jp/", "example.jp", true)
	check("example.jp", "https://例え.jp/", "example.jp", true)
	check("example.jp", "mailto:info@evil.top", "example.jp", true)
	// Visible text that is not a domain: no mismatch whatever the href.
	check("Click here", "https://evil.top/", "", false)
	check("こちら", "https://evil.top/", "", false)
	check("invoice.pdf", "https://files.example.jp/invoice.pdf", "", false)
	check("readme.txt", "https://evil.top/", "", false)
	check("info@example.jp", "mailto:info@example.jp", "", false)
	check("", "https://evil.top/", "", false)
}

func TestMismatch(t *testing.T) {
	mismatchTable(func(visible, href, shown string, mismatch bool) {
		t.Helper()
		gotShown, gotMismatch := Mismatch(visible, href)
		if gotShown != shown || gotMismatch != mismatch {
			t.Errorf("Mismatch(%q, %q) = %q, %v, want %q, %v", visible, href, gotShown, gotMismatch, shown, mismatch)
		}
	})
}

func FuzzMismatch(f *testing.F) {
	mismatchTable(func(visible, href, _ string, _ bool) { f.Add(visible, href) })
	shownTable(func(visible, _ string) { f.Add(visible, "https://"+visible) })
	f.Fuzz(func(t *testing.T, visible, href string) {
		shown, mismatch := Mismatch(visible, href)
		reg, ok := Shown(visible)
		if shown != reg || (!ok && (shown != "" || mismatch)) {
			t.Fatalf("Mismatch(%q, %q) = %q, %v but Shown = %q, %v", visible, href, shown, mismatch, reg, ok)
		}
		if ok && (reg == "" || !utf8.ValidString(reg) || reg != strings.ToLower(reg)) {
			t.Fatalf("Shown(%q) = %q", visible, reg)
		}
		Fold(visible)
		Registrable(href)
	})
}
