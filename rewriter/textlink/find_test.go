package textlink

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// findTable is the Find table: a text and the exact spans Find must return,
// one case a line. TestFind checks it and FuzzFind is seeded with it.
func findTable(check func(text string, want ...string)) {
	// Japanese text after a link is not part of it.
	check("https://example.jp/loginからログイン", "https://example.jp/login")
	check("https://example.jp/login からログイン", "https://example.jp/login")
	check("https://example.jp/login\u3000からログイン", "https://example.jp/login")
	check("詳細はhttps://example.jp/aをご覧ください。", "https://example.jp/a")
	check("詳細はhttps://example.jp/a", "https://example.jp/a")
	check("https://example.jp/a。次の文", "https://example.jp/a")
	check("https://example.jp/a、https://example.jp/b", "https://example.jp/a", "https://example.jp/b")
	check("「https://example.jp/a」", "https://example.jp/a")
	check("『https://example.jp/a』", "https://example.jp/a")
	check("【https://example.jp/a】", "https://example.jp/a")
	check("〔https://example.jp/a〕", "https://example.jp/a")
	check("（https://example.jp/a）", "https://example.jp/a")
	check("https://example.jp/a）まで", "https://example.jp/a")
	check("https://example.jp/a．", "https://example.jp/a")
	check("https://example.jp/ａｂｃ", "https://example.jp/")
	check("https://example.jp/ﾛｸﾞｲﾝ", "https://example.jp/")
	check("https://example.jp/a※要ログイン", "https://example.jp/a")
	check("https://example.jp/a→こちら", "https://example.jp/a")
	check("https://example.jp/a★", "https://example.jp/a")
	check("https://example.jp/a…", "https://example.jp/a")
	check("“https://example.com/a”", "https://example.com/a")
	check("https://example.jp/a\u200bb", "https://example.jp/a")
	check("https://example.jp/a.から", "https://example.jp/a")
	check("https://example.jp/a(日本)", "https://example.jp/a")
	check("https://example.jp/?q=日本", "https://example.jp/?q=")
	check("https://example.jp/#フラグメント", "https://example.jp/#")
	check("https://example.jp/aとhttps://example.jp/b", "https://example.jp/a", "https://example.jp/b")
	check("https://example.jp/aとwww.example.jp/b", "https://example.jp/a", "www.example.jp/b")
	// Japanese text right after the host.
	check("https://example.jpからログイン", "https://example.jp")
	check("https://example.jp。", "https://example.jp")
	check("https://example.jp:8443からログイン", "https://example.jp:8443")
	check("https://example.jpまたはinfo@example.jp", "https://example.jp")
	check("www.example.co.jpへ", "www.example.co.jp")
	check("https://example.jp)から", "https://example.jp")
	// Internationalized hosts.
	check("https://例え.jp/path", "https://例え.jp/path")
	check("https://例え.jp/パス", "https://例え.jp/")
	check("https://例え.jpへ", "https://例え.jp")
	check("https://日本語.例え.jp/a です", "https://日本語.例え.jp/a")
	check("https://例え.みんな/a", "https://例え.みんな/a")
	check("https://例え.みんなです")
	check("https://例え.みんな'です", "https://例え.みんな")
	check("https://例え.みんな.", "https://例え.みんな")
	check("https://例え.みんな./a", "https://例え.みんな./a")
	check("https://a.例えです", "https://a") // the host stops where Japanese starts; "a" alone is a host
	check("https://データ.example.jp/a", "https://データ.example.jp/a")
	check("https://bücher.example/Café", "https://bücher.example/Café")
	check("https://xn--r8jz45g.jp/", "https://xn--r8jz45g.jp/")
	check("https://例え。jp/")
	check("https://ｅｘａｍｐｌｅ.jp/")
	// Trailing punctuation and brackets.
	check("See https://example.com/a.", "https://example.com/a")
	check("https://example.com/a, and more", "https://example.com/a")
	check("https://example.com/a: the site", "https://example.com/a")
	check("https://example.com/a; b", "https://example.com/a")
	check("Go to https://example.com/a!", "https://example.com/a")
	check("Is it https://example.com/a?", "https://example.com/a")
	check("'https://example.com/a'", "https://example.com/a")
	check(`"https://example.com/a"`, "https://example.com/a")
	check("(see https://example.jp/a)", "https://example.jp/a")
	check("[https://example.jp/a]", "https://example.jp/a")
	check("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)")
	check("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)")
	check("https://example.jp/a?b=c.", "https://example.jp/a?b=c")
	check("https://example.jp/a/...", "https://example.jp/a/")
	// Angle brackets.
	check("<https://example.jp/a>", "https://example.jp/a")
	check("<URL:https://example.jp/a>", "https://example.jp/a")
	check("<www.example.jp>", "www.example.jp")
	check("<https://example.jp/a>から", "https://example.jp/a")
	// Shapes of URLs.
	check("https://example.jp:8443/x?q=1&r=2#frag", "https://example.jp:8443/x?q=1&r=2#frag")
	check("https://example.jp/%E3%83%AD%E3%82%B0%E3%82%A4%E3%83%B3?x=%20", "https://example.jp/%E3%83%AD%E3%82%B0%E3%82%A4%E3%83%B3?x=%20")
	check("https://example.jp/~user/a", "https://example.jp/~user/a")
	check("https://example.jp/@user/status", "https://example.jp/@user/status")
	check("https://example.jp/a~", "https://example.jp/a~")
	check("HTTPS://EXAMPLE.JP/A", "HTTPS://EXAMPLE.JP/A")
	check("Http://Example.jp", "Http://Example.jp")
	check("hTtPs://example.jp/", "hTtPs://example.jp/")
	check("http://localhost:8080/x", "http://localhost:8080/x")
	check("http://192.0.2.1/login", "http://192.0.2.1/login")
	check("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x")
	check("https://user:pass@example.jp/", "https://user:pass@example.jp/")
	check("https://paypal.com@evil.top/", "https://paypal.com@evil.top/")
	check("https://example.jp/redirect?u=https://example.com/", "https://example.jp/redirect?u=https://example.com/")
	check("https://example.jp/a,https://example.jp/b", "https://example.jp/a,https://example.jp/b")
	check("https://my_host.example.jp/", "https://my_host.example.jp/")
	check("https://example.jp./a", "https://example.jp./a")
	// www. without a scheme.
	check("www.example.co.jp", "www.example.co.jp")
	check("www.example.co.jp.", "www.example.co.jp")
	check("Visit www.example.com/a?b=1 today.", "www.example.com/a?b=1")
	check("WWW.EXAMPLE.COM", "WWW.EXAMPLE.COM")
	check("詳細はwww.example.jp/aまで", "www.example.jp/a")
	check("(www.example.jp)", "www.example.jp")
	check("www.example")
	check("www.1.2")
	check("www.")
	check("www..example.jp")
	// Ends of text and lines.
	check("https://example.jp", "https://example.jp")
	check("https://example.jp/", "https://example.jp/")
	check("https://example.jp/a\nb", "https://example.jp/a")
	check("https://example.jp/a\r\nb", "https://example.jp/a")
	check("https://example.jp/a\tb", "https://example.jp/a")
	check("https://example.jp/a\n/b", "https://example.jp/a")
	check("https://\nexample.jp/a")
	check("line one https://a.example.jp/1\nline two https://b.example.jp/2\r\n", "https://a.example.jp/1", "https://b.example.jp/2")
	// English sentences.
	check("Please visit https://www.example.com/path/to/page.html for details.", "https://www.example.com/path/to/page.html")
	check("Two links: https://a.example.com and http://b.example.org/x.", "https://a.example.com", "http://b.example.org/x")
	check("No links here. Just www and http words, e.g. example.com or e-mail.")
	// Look-alikes that are not links.
	check("")
	check("http://")
	check("https://")
	check("http:// example.jp")
	check("http:// www.example.jp", "www.example.jp")
	check("http:///path")
	check("http://intranet/path", "http://intranet/path") // browsers open one-label hosts (issue 16)
	check("http://3232235786/", "http://3232235786/")     // 192.168.1.10 in one number
	check("http://0xCB007109/login", "http://0xCB007109/login")
	check("see http://intranet.", "http://intranet")
	check("https://例え")
	check("http://.example.jp")
	check("http://example..jp")
	check("http://example.jp:abc", "http://example.jp")
	check("http:/example.jp")
	check("http//example.jp")
	check("https:example.jp")
	check("htps://example.jp")
	check("ttp://example.jp")
	check("xhttp://example.jp")
	check("git+https://example.jp/repo")
	check("ftp://example.jp/file")
	check("ftp://www.example.jp/file")
	check("file:///etc/passwd")
	check("mailto:user@example.jp")
	check("user@example.jp")
	check("user@www.example.jp")
	check("user＠www.example.jp")
	check("www.example.jp@example.com")
	check("a.www.example.jp")
	check("xwww.example.jp")
	check("wwww.example.jp")
	check("example.co.jp")
	check("invoice.pdf")
	check("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ")
	check("ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ")
	check("https://example.jp/\xffa", "https://example.jp/")
	check("\xffhttps://example.jp/a", "https://example.jp/a")
	// Found by FuzzFind: the host rules and the grammar must agree.
	check("http://え.み. 0000")
	check("http://0.と(.0", "http://0")
	// Limits.
	check("https://" + strings.Repeat("a.", 300) + "jp")
	check("https://" + strings.Repeat("例.", 200) + "jp")
	check("https://例え.jp"+strings.Repeat("あ", 300), "https://例え.jp")
	check("https://" + strings.Repeat("a", 64) + ".jp")
	check("https://example.jp/"+strings.Repeat("a", 9000), "https://example.jp/"+strings.Repeat("a", 8192-19))
}

func TestFind(t *testing.T) {
	check := func(text string, want ...string) {
		t.Helper()
		links := Find(text)
		if err := checkLinks(text, links); err != nil {
			t.Errorf("Find(%q): %v", text, err)
		}
		var got []string
		for _, l := range links {
			got = append(got, text[l.Start:l.End])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Find(%q) = %q, want %q", text, got, want)
		}
	}
	findTable(check)
}

// TestFindLink checks the Link fields themselves.
func TestFindLink(t *testing.T) {
	check := func(text string, want ...Link) {
		t.Helper()
		if got := Find(text); !reflect.DeepEqual(got, want) {
			t.Errorf("Find(%q) = %+v, want %+v", text, got, want)
		}
	}
	check("https://example.jp/loginからログイン", Link{0, 24, "https://example.jp/login", false})
	check("詳細はwww.example.jp/aまで", Link{9, 25, "http://www.example.jp/a", true})
	check("a www.x.jp b HTTP://y.jp", Link{2, 10, "http://www.x.jp", true}, Link{13, 24, "HTTP://y.jp", false})
	check("no link", []Link(nil)...)
}

// checkLinks verifies the invariants of a Find result: links in order, not
// overlapping, within the text, non-empty, valid UTF-8, URL consistent with
// the span, and each found alone and whole by Find over its own text.
func checkLinks(text string, links []Link) error {
	prev := 0
	for i, l := range links {
		if l.Start < prev || l.Start >= l.End || l.End > len(text) {
			return fmt.Errorf("link %d %+v out of order or range (previous end %d, len %d)", i, l, prev, len(text))
		}
		prev = l.End
		span := text[l.Start:l.End]
		if !utf8.ValidString(span) {
			return fmt.Errorf("link %d %q is not valid UTF-8", i, span)
		}
		want := span
		if l.Schemeless {
			want = "http://" + span
		}
		if l.URL != want {
			return fmt.Errorf("link %d URL %q, want %q", i, l.URL, want)
		}
		if strings.ContainsAny(span, " \t\r\n") {
			return fmt.Errorf("link %d %q contains white space", i, span)
		}
		again := Find(span)
		if len(again) != 1 || again[0] != (Link{0, len(span), l.URL, l.Schemeless}) {
			return fmt.Errorf("link %d %q: Find over it alone = %+v", i, span, again)
		}
	}
	return nil
}

func FuzzFind(f *testing.F) {
	findTable(func(text string, _ ...string) { f.Add(text) })
	f.Add(benchText)
	f.Fuzz(func(t *testing.T, text string) {
		if err := checkLinks(text, Find(text)); err != nil {
			t.Fatalf("Find(%q): %v", text, err)
		}
	})
}

// benchText is a few KB of mixed Japanese and English mail text with links.
var benchText = strings.Repeat(`お世話になっております。株式会社サンプルの山田です。
先日ご依頼いただいた資料を以下のURLにアップロードしました。
https://files.example.co.jp/share/2024/report.pdf?token=abc123からダウンロードしてください。
ログインは「https://login.example.jp/」、お問い合わせは support@example.jp まで。
詳細はwww.example.co.jp/info をご覧ください（パスワードは別途お送りします）。

Hello team, the meeting notes are at https://docs.example.com/d/1AbC_dEf/edit#heading=h.x1
and the recording is on (https://video.example.org/watch?v=12345). Please review by Friday.
Thanks, and see you next week. -- Taro
`, 4)

func BenchmarkFind(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	for b.Loop() {
		Find(benchText)
	}
}

func BenchmarkFindNoLinks(b *testing.B) {
	text := strings.Repeat("お世話になっております。本日はよろしくお願いいたします。Thank you for the e-mail. See you at 3 p.m. tomorrow.\n", 30)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Find(text)
	}
}

// BenchmarkFindAdversarial runs Find over crafted texts that made earlier
// versions quadratic: candidates inside other candidates' windows, open
// brackets, long hosts. Each should cost about as much per byte as
// BenchmarkFind.
func BenchmarkFindAdversarial(b *testing.B) {
	for _, p := range []string{"http://", "http://a@", "http://a.b/.(", "http://a.b/([", "www.a.b!", "例www.", "http://x.え"} {
		text := strings.Repeat(p, 64<<10/len(p)) + ")"
		b.Run(fmt.Sprintf("%q", p), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Find(text)
			}
		})
	}
}
