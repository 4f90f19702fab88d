package linktoken

import (
	"errors"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := string(escape(nil, in)); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
		if back, err := unescape(want); err != nil || back != in {
			t.Errorf("unescape(%q) = %q, %v, want %q", want, back, err, in)
		}
	}
	check("AZaz09", "AZaz09")
	check("-._~:/?=&;,@!$+*x", "-._~:/?=&;,@!$+*x")
	check(" \"#%'()<>[\\]^`{|}x", "%20%22%23%25%27%28%29%3C%3E%5B%5C%5D%5E%60%7B%7C%7Dx")
	check("\x00\x1f\x7f\x80\xff", "%00%1F%7F%80%FF")
	check("a#frag", "a%23frag")
	check("100%", "100%25")
	check("%2F", "%252F")
	check("a+b", "a+b")
	check("日本", "%E6%97%A5%E6%9C%AC")
	// The last byte is literal only if it cannot be taken for punctuation.
	check("a", "a")
	check("a/", "a/")
	check("a-", "a-")
	check("a_", "a_")
	check("a~", "a~")
	check("a9", "a9")
	check("a.", "a%2E")
	check("a:", "a%3A")
	check("a?", "a%3F")
	check("a=", "a%3D")
	check("a&", "a%26")
	check("a;", "a%3B")
	check("a,", "a%2C")
	check("a@", "a%40")
	check("a!", "a%21")
	check("a$", "a%24")
	check("a+", "a%2B")
	check("a*", "a%2A")
	check("a..", "a.%2E")
	check(".", "%2E")
	check("", "")
}

func TestEscapeEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		mid := string(escape(nil, string([]byte{byte(c), 'x'})))
		last := string(escape(nil, string([]byte{'x', byte(c)})))
		isLiteral := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?=&;,@!$+*", byte(c)) >= 0
		isLastLiteral := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~/", byte(c)) >= 0
		if (len(mid) == 2) != isLiteral {
			t.Errorf("byte %#02x not last: escaped to %q", c, mid)
		}
		if (len(last) == 2) != isLastLiteral {
			t.Errorf("byte %#02x last: escaped to %q", c, last)
		}
	}
}

func TestEscapeHost(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := string(escapeHost(nil, in)); got != want {
			t.Errorf("escapeHost(%q) = %q, want %q", in, got, want)
		}
	}
	check("example.jp", "example.jp")
	check("example.jp:8443", "example.jp:8443")
	check("a&z=b", "a%26z=b")
	check("example.jp.", "example.jp%2E")
	check("例え.jp", "%E4%BE%8B%E3%81%88.jp")
	check("[::1]:80", "%5B::1%5D:80")
}

func TestUnescape(t *testing.T) {
	check := func(in, want string, wantErr error) {
		t.Helper()
		got, err := unescape(in)
		if !errors.Is(err, wantErr) || err == nil && got != want {
			t.Errorf("unescape(%q) = %q, %v, want %q, %v", in, got, err, want, wantErr)
		}
	}
	check("a%2e", "a.", nil)
	check("a%2E", "a.", nil)
	check("%41%42", "AB", nil)
	check("a+b", "a+b", nil)
	check("a b\"<", "a b\"<", nil)
	check("%E6%97%A5", "日", nil)
	check("%", "", ErrMalformed)
	check("%4", "", ErrMalformed)
	check("a%4", "", ErrMalformed)
	check("%G0", "", ErrMalformed)
	check("%0G", "", ErrMalformed)
	check("%%41", "", ErrMalformed)
	check("a#b", "", ErrMalformed)
	check("a%23b", "a#b", nil)
}

func TestFind(t *testing.T) {
	const b = "https://k.example"
	check := func(base, text string, want ...string) {
		t.Helper()
		var got []string
		for _, r := range Find(base, text) {
			got = append(got, text[r[0]:r[1]])
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Errorf("Find(%q, %q) = %q, want %q", base, text, got, want)
		}
	}
	check(b, "")
	check(b, "no link")
	check(b, b+"/k/T?u=https://x.jp/a", b+"/k/T?u=https://x.jp/a")
	check(b, "see "+b+"/k/T?u=https://x.jp/a.", b+"/k/T?u=https://x.jp/a")
	check(b, "see "+b+"/k/T?u=https://x.jp/a%2E.", b+"/k/T?u=https://x.jp/a%2E")
	check(b, "("+b+"/k/T?u=https://x.jp/a)", b+"/k/T?u=https://x.jp/a")
	check(b, "<"+b+"/k/T?u=https://x.jp/a>", b+"/k/T?u=https://x.jp/a")
	check(b, "'"+b+"/k/T?u=https://x.jp/a'", b+"/k/T?u=https://x.jp/a")
	check(b, b+"/k/T?u=https://x.jp/a,;:!?", b+"/k/T?u=https://x.jp/a")
	check(b, b+"/k/T?u=https://x.jp/a/.", b+"/k/T?u=https://x.jp/a/")
	check(b, b+"/k/T?u=https://x.jp/%E6%97%A5本", b+"/k/T?u=https://x.jp/%E6%97%A5")
	check(b, b+"/k/T?u=https://x.jp/a%2", b+"/k/T?u=https://x.jp/a")
	check(b, b+"/k/T?u=https://x.jp/a%zz", b+"/k/T?u=https://x.jp/a")
	check(b, b+"/k/T?u=https://x.jp/a#b", b+"/k/T?u=https://x.jp/a")
	check(b, b+"/k/T?u=a\n"+b+"/k/U?u=b", b+"/k/T?u=a", b+"/k/U?u=b")
	check(b, b+"/k/T?u=a "+b+"/k/U?u=b.", b+"/k/T?u=a", b+"/k/U?u=b")
	check(b, b+"/k/T?u=a"+b+"/k/U?u=b", b+"/k/T?u=a"+b+"/k/U?u=b") // no separator: one run
	check(b, b+"/k/")
	check(b, b+"/k/.")
	check(b, b+"/x/T?u=a")
	check(b, "https://other.example/k/T?u=a")
	check(b, "https://k.example.evil/k/T?u=a")
	check("", "anything/k/x")
	check("https://m.example/kensa", "https://m.example/kensa/k/T?u=a.", "https://m.example/kensa/k/T?u=a")
}

func TestFindFindsEveryLink(t *testing.T) {
	c := testCodec(t, 7)
	for _, dest := range []string{"https://x.jp/a", "https://x.jp/a.", "https://x.jp/a?b=", "https://x.jp/%2F", "https://x.jp/#", "https://例え.jp/", longDest(3000)} {
		link, err := c.Link(Context{Issued: testIssued}, dest)
		if err != nil {
			t.Fatal(err)
		}
		for _, wrap := range []string{"%s", "%s.", "(%s)", "<%s>", "%s,", "\"%s\"", "%s...", "%s?", "%s!", "%s:", "%s;", "%s'", "%s*", "%s="} {
			text := "x " + strings.Replace(wrap, "%s", link, 1) + " y"
			r := Find(testBase, text)
			if len(r) != 1 || text[r[0][0]:r[0][1]] != link {
				t.Errorf("Find(%q) = %v, want the link", text, r)
			}
		}
	}
}
