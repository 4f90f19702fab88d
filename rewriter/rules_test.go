package rewriter

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// msg builds a one-part message.
func msg(ctype, cte, body string) []byte {
	h := "From: a@example.top\r\nTo: b@example.co.jp\r\nSubject: t\r\nMessage-ID: <t@example.top>\r\nMIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\n"
	if cte != "" {
		h += "Content-Transfer-Encoding: " + cte + "\r\n"
	}
	return []byte(h + "\r\n" + body)
}

// bodyOf returns the body of a rewritten one-part message.
func bodyOf(out []byte) string {
	_, bs := splitHeader(out)
	return string(out[bs:])
}

// opened returns the destinations of the Kensa links in s (HTML-escaped
// ampersands undone), in order.
func opened(t *testing.T, codec *linktoken.Codec, s string) []linktoken.Decoded {
	t.Helper()
	s = strings.ReplaceAll(s, "&amp;", "&")
	var ds []linktoken.Decoded
	for _, r := range linktoken.Find(testBase, s) {
		d, err := codec.Open(s[r[0]:r[1]])
		if err != nil {
			t.Fatalf("Open(%q): %v", s[r[0]:r[1]], err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestHTMLRules(t *testing.T) {
	opts := testOptions(t)
	check := func(name, html string, wantDests ...string) {
		t.Helper()
		out, res := rewriteBytes(t, msg("text/html; charset=utf-8", "8bit", html), opts)
		ds := opened(t, opts.Codec, bodyOf(out))
		var got []string
		for _, d := range ds {
			got = append(got, d.Dest)
		}
		if strings.Join(got, " ") != strings.Join(wantDests, " ") || res.Links != len(wantDests) {
			t.Errorf("%s: links %q (%d), want %q\nout: %s", name, got, res.Links, wantDests, bodyOf(out))
		}
	}
	check("plain a", `<a href="https://a.example/x">x</a>`, "https://a.example/x")
	check("upper case tag and scheme", `<A HREF="HTTPS://a.example/X">x</A>`, "HTTPS://a.example/X")
	check("single quotes", `<a href='http://a.example/'>x</a>`, "http://a.example/")
	check("unquoted", `<a href=http://a.example/u>x</a>`, "http://a.example/u")
	check("entities", `<a href="https://a.example/?a=1&amp;b=2">x</a>`, "https://a.example/?a=1&b=2")
	check("spaces around", `<a href="  https://a.example/s  ">x</a>`, "https://a.example/s")
	check("area", `<map><area href="https://area.example/"></map>`, "https://area.example/")
	check("mailto tel cid data fragment relative", `<a href="mailto:x@a.example">m</a><a href="tel:0120">t</a><a href="cid:x">c</a><a href="data:text/html,x">d</a><a href="#top">f</a><a href="/rel">r</a><a href="javascript:alert(1)">j</a>`)
	check("images and link", `<img src="https://img.example/p.gif"><link href="https://css.example/s.css">`)
	check("form action and formaction", `<form action="https://form.example/"><button formaction="https://b.example/">go</button></form>`, "https://form.example/", "https://b.example/")
	check("comment and script", `<!-- <a href="https://c.example/">x</a> --><script>var s='<a href="https://s.example/">';</script>`)
	check("duplicate href: first one wins", `<a href="https://first.example/" href="https://second.example/">x</a>`, "https://first.example/")
	check("another base's look-alike path", `<a href="https://kensa.example.org/k/AAAA?u=https://x.example/">x</a>`, "https://kensa.example.org/k/AAAA?u=https://x.example/")

	// An existing Kensa link (valid or not) is never wrapped again.
	link, err := opts.Codec.Link(linktoken.Context{Issued: testNow}, "https://x.example/")
	if err != nil {
		t.Fatal(err)
	}
	for _, href := range []string{link, testBase + "/k/AAAA?u=https://forged.example/"} {
		src := msg("text/html; charset=utf-8", "8bit", `<a href="`+href+`">x</a>`)
		out, res := rewriteBytes(t, src, opts)
		if res.Links != 0 || res.Skipped["already-kensa"] != 1 || !bytes.HasSuffix(out, src) {
			t.Errorf("existing Kensa link %q: links %d skipped %v", href, res.Links, res.Skipped)
		}
	}
	check("safe links unwrapped", `<a href="https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fin.example%2Fp&amp;data=05&amp;reserved=0">x</a>`, "https://in.example/p")
	check("never-rewrite domain and subdomain", `<a href="https://example.co.jp/">o</a><a href="https://www.example.co.jp/x">o</a><a href="https://notexample.co.jp/">n</a>`, "https://notexample.co.jp/")
	check("no attributes", `<a>x</a><a name="n">y</a>`)
}

// A link Kensa cannot sign must not stay clickable: it becomes an unsigned
// Kensa link that carries the original for display only. A link a browser
// would not open at all is left alone; one it would open under another
// spelling is signed with the browser's reading.
func TestUnsignableLinks(t *testing.T) {
	opts := testOptions(t)
	for _, tc := range []struct{ href, want string }{
		{"https://a{b}.example/", "unsigned"},                            // a host browsers take and net/url refuses
		{"https://a.example/" + strings.Repeat("x", 17<<10), "unsigned"}, // too long
		{"https://exa mple.jp/", "refused"},                              // space in host
		{"http://[::1/", "refused"},                                      // broken IP literal
		{"https://ex%61mple.jp/", "https://example.jp/"},                 // escaped host
		{"https://a.example/\x01control", "https://a.example/%01control"},
	} {
		src := msg("text/html; charset=utf-8", "8bit", `<a href="`+tc.href+`">x</a>`)
		out, res := rewriteBytes(t, src, opts)
		if _, err := checkRewrite(opts.Codec, src, out); err != nil {
			t.Errorf("%q: %v", tc.href, err)
		}
		switch tc.want {
		case "refused":
			if res.Links != 0 || res.Skipped["browser-refuses"] != 1 {
				t.Errorf("%q: links %d skipped %v, want it left alone", tc.href, res.Links, res.Skipped)
			}
			continue
		case "unsigned":
			if res.Links != 1 || res.Skipped["unsigned"] != 1 {
				t.Errorf("%q: links %d skipped %v", tc.href, res.Links, res.Skipped)
			}
		default:
			ds := opened(t, opts.Codec, bodyOf(out))
			if res.Links != 1 || len(ds) != 1 || ds[0].Dest != tc.want {
				t.Errorf("%q: links %d %v, want %q", tc.href, res.Links, ds, tc.want)
			}
		}
		if bytes.Contains(out, []byte(`href="`+tc.href)) {
			t.Errorf("%q is still clickable", tc.href)
		}
	}
}

func TestMismatchFlag(t *testing.T) {
	opts := testOptions(t)
	check := func(visible, href, wantShown string) {
		t.Helper()
		out, _ := rewriteBytes(t, msg("text/html; charset=utf-8", "8bit", `<a href="`+href+`">`+visible+`</a>`), opts)
		ds := opened(t, opts.Codec, bodyOf(out))
		if len(ds) != 1 {
			t.Fatalf("%q: %d links", visible, len(ds))
		}
		c := ds[0].Context
		if c.ShownDomain != wantShown || (c.Flags&linktoken.FlagMismatch != 0) != (wantShown != "") {
			t.Errorf("visible %q href %q: shown %q flags %v, want %q", visible, href, c.ShownDomain, c.Flags, wantShown)
		}
	}
	check("https://www.amazon.co.jp/", "https://amazon-co-jp.example.top/", "amazon.co.jp")
	check("ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "https://amazon-co-jp.example.top/", "amazon.co.jp")
	check("paypal.com", "https://paypal.com.evil.example/", "paypal.com")
	check("www.amazon.co.jp", "https://www.amazon.co.jp/gp/", "")
	check("こちら", "https://a.example/", "")
	check("Click <b>here</b>", "https://a.example/", "")
}

func TestTextRules(t *testing.T) {
	opts := testOptions(t)
	check := func(text, want string) {
		t.Helper()
		out, _ := rewriteBytes(t, msg("text/plain; charset=utf-8", "8bit", text), opts)
		body := bodyOf(out)
		// Replace each Kensa link by its destination: the rest must be the input.
		var b strings.Builder
		pos := 0
		for _, r := range linktoken.Find(testBase, body) {
			d, err := opts.Codec.Open(body[r[0]:r[1]])
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(body[pos:r[0]] + "[" + d.Dest + "]")
			pos = r[1]
		}
		b.WriteString(body[pos:])
		if b.String() != want {
			t.Errorf("%q:\n got %q\nwant %q", text, b.String(), want)
		}
	}
	check("https://example.jp/loginからログイン", "[https://example.jp/login]からログイン")
	check("詳細はhttps://example.jp/a、https://example.jp/b。", "詳細は[https://example.jp/a]、[https://example.jp/b]。")
	check("（https://example.jp/c）「https://example.jp/d」", "（[https://example.jp/c]）「[https://example.jp/d]」")
	check("See https://example.com/a. Or (https://example.com/b), ok", "See [https://example.com/a]. Or ([https://example.com/b]), ok")
	check("visit www.example.jp/x now", "visit [http://www.example.jp/x] now")
	check("<https://example.com/angle?a=1&b=2>", "<[https://example.com/angle?a=1&b=2]>")
	check("mail info@example.jp, ftp://example.jp/f, tel:0120", "mail info@example.jp, ftp://example.jp/f, tel:0120")
	check("own https://portal.example.co.jp/x stays", "own https://portal.example.co.jp/x stays")
}

func TestPassThrough(t *testing.T) {
	opts := testOptions(t)
	check := func(name string, src []byte, opts Options, reason string) {
		t.Helper()
		var out bytes.Buffer
		res, err := Rewrite(&out, src, opts)
		var pt *PassThroughError
		if !errors.As(err, &pt) || pt.Reason != reason || res.PassThrough != reason {
			t.Errorf("%s: err %v, result %q; want pass-through %q", name, err, res.PassThrough, reason)
		}
		if !bytes.Equal(out.Bytes(), src) {
			t.Errorf("%s: output differs from input", name)
		}
	}
	small := opts
	small.Policy.MaxMessageBytes = 100
	check("too large", msg("text/plain", "", strings.Repeat("https://a.example/ ", 20)), small, "too-large")
	// An unparsable header no longer passes the message through (issue 16):
	// see TestAttackFallbacks.
	noCodec := opts
	noCodec.Codec = nil
	check("internal error", msg("text/plain", "", "https://a.example/"), noCodec, "internal-error")
}

func TestStructureKept(t *testing.T) {
	opts := testOptions(t)
	// LF line endings and a header with odd folding and case stay as they are.
	src := []byte("from:  a@example.top\nSUBJECT: folded\n  subject line\nContent-Type: text/plain;\n\tcharset=utf-8\n\nline https://a.example/ one\nline two\n")
	out, res := rewriteBytes(t, src, opts)
	if res.Links != 1 || bytes.Contains(out, []byte("\r\n")) {
		t.Fatalf("links %d, CRLF present: %q", res.Links, out)
	}
	wantHead := "X-Kensa-Links: 1\nfrom:  a@example.top\nSUBJECT: folded\n  subject line\nContent-Type: text/plain;\n\tcharset=utf-8\n\n"
	if !bytes.HasPrefix(out, []byte(wantHead)) || !bytes.HasSuffix(out, []byte(" one\nline two\n")) {
		t.Errorf("structure changed:\n%s", out)
	}

	// base64 keeps its line width and line breaks.
	text := strings.Repeat("本文です。https://b64.example/path ", 8)
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	var wrapped strings.Builder
	for len(enc) > 60 {
		wrapped.WriteString(enc[:60] + "\r\n")
		enc = enc[60:]
	}
	wrapped.WriteString(enc + "\r\n")
	out, res = rewriteBytes(t, msg("text/plain; charset=utf-8", "base64", wrapped.String()), opts)
	lines := strings.Split(strings.TrimSuffix(bodyOf(out), "\r\n"), "\r\n")
	for _, l := range lines[:len(lines)-1] {
		if len(l) != 60 {
			t.Fatalf("base64 line of %d columns, want 60: %q", len(l), l)
		}
	}
	if res.Links != 8 {
		t.Errorf("links %d, want 8", res.Links)
	}

	// No links: only the trace header; a second pass changes nothing.
	src = msg("text/plain", "", "nothing here\r\n")
	out, _ = rewriteBytes(t, src, opts)
	if string(out) != "X-Kensa-Links: 0\r\n"+string(src) {
		t.Errorf("no-link message: %q", out)
	}
	again, _ := rewriteBytes(t, out, opts)
	if !bytes.Equal(again, out) {
		t.Errorf("second pass changed a no-link message")
	}
}
