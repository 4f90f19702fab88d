package rewriter

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	xhtml "golang.org/x/net/html"
)

// FuzzRewrite: for any input, Rewrite never panics and always writes a
// complete message; when the input re-parses, the output has the same tree
// and text outside links (the oracle); and rewriting the output changes
// nothing.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob("../testdata/rewrite/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Add(msg("text/plain; charset=iso-2022-jp", "7bit", "\x1b$B$3$s$K$A$O\x1b(Bhttps://a.example/x\x1b$B$3\x1b(B\r\n"))
	f.Add(msg("text/html; charset=shift_jis", "quoted-printable", "<a href=3D\"https://a.example/=\r\nx\">=82=A0</a>"))
	f.Add(msg(`multipart/mixed; boundary="b"`, "", "--b\r\nContent-Type: text/plain\r\n\r\nhttps://a.example/\r\n--b--\r\n"))
	f.Add(msg("text/calendar; charset=utf-8", "7bit", "BEGIN:VEVENT\r\nDESCRIPTION:x https://a.example/\r\n b\\,c\r\nURL:https://b.example/\r\nEND:VEVENT\r\n"))
	f.Add(msg("image/svg+xml", "base64", "PHN2Zz48YSB4bGluazpocmVmPSJodHRwczovL2EuZXhhbXBsZS8iPng8L2E+PC9zdmc+\r\n"))
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		var out bytes.Buffer
		res, err := Rewrite(&out, src, opts)
		if err != nil && !IsPassThrough(err) {
			t.Fatalf("Rewrite: %v", err)
		}
		if res.PassThrough != "" {
			if !bytes.Equal(out.Bytes(), src) {
				t.Fatal("pass-through output differs from input")
			}
			return
		}
		if len(res.Fallbacks) == 0 {
			if _, err := checkRewrite(opts.Codec, src, out.Bytes()); err != nil {
				if _, perr := oracleLeaves(src); perr == nil && sameTree(src) {
					t.Fatalf("oracle: %v", err)
				}
			}
		}
		var again bytes.Buffer
		if _, err := Rewrite(&again, out.Bytes(), opts); err != nil && !IsPassThrough(err) {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("not idempotent:\n%q\n%q", out.Bytes(), again.Bytes())
		}
	})
}

// FuzzScanAttr: scanAttr, which says where an href's value lies in the raw
// bytes of a tag, never panics, returns offsets inside the tag, and agrees
// with the HTML tokenizer that browsers follow: it finds the same first href
// with the same value (where no character reference or NUL makes them differ
// on purpose), and never misses a web link the tokenizer sees. htmlEdits
// skips and counts a disagreement ("html-attr-mismatch"); a link skipped that
// way is not protected, so the fuzzer hunts for one.
func FuzzScanAttr(f *testing.F) {
	f.Add([]byte(`<a href="https://a.example/">`))
	f.Add([]byte(`<a class=x href=https://a.example/ >`))
	f.Add([]byte(`<area alt='x' HREF = 'https://a.example/'/>`))
	f.Add([]byte(`<a href href="https://a.example/">`))
	f.Add([]byte(`<a/href=https://a.example/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		z := xhtml.NewTokenizer(bytes.NewReader(b))
		if tt := z.Next(); tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			return
		}
		raw := bytes.Clone(z.Raw())
		_, hasAttr := z.TagName()
		value, found := "", false
		if hasAttr {
			value, found = firstAttr(tagAttrs(z), "href")
		}
		vs, ve, quote, ok := scanAttr(raw, "href")
		if !ok {
			if found && isWebURL(cleanURL(value)) {
				t.Fatalf("scanAttr misses the href %q the tokenizer reads in %q", value, raw)
			}
			return
		}
		if vs < 0 || vs > ve || ve > len(raw) || quote != 0 && (vs == 0 || raw[vs-1] != quote) {
			t.Fatalf("scanAttr(%q) = %d, %d, %q: outside the tag", raw, vs, ve, quote)
		}
		if !found || !bytes.ContainsAny(raw[vs:ve], "&\x00\r") && value != string(raw[vs:ve]) {
			t.Fatalf("scanAttr(%q) reads %q, the tokenizer %q (found %v)", raw, raw[vs:ve], value, found)
		}
	})
}

// FuzzRewriteBody: the milter's entry point, which gets the header and the
// body apart, never fails on any input and gives the body Rewrite gives
// (FuzzRewrite checks that body). Seeds: the golden inputs and a copy of
// FuzzRewrite's testdata/fuzz corpus.
func FuzzRewriteBody(f *testing.F) {
	files, _ := filepath.Glob("../testdata/rewrite/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Add(msg(`multipart/mixed; boundary="b"`, "", "--b\r\nContent-Type: text/plain\r\n\r\nhttps://a.example/\r\n--b--\r\n"))
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		var full bytes.Buffer
		res, err := Rewrite(&full, src, opts)
		if err != nil && !IsPassThrough(err) {
			t.Fatalf("Rewrite: %v", err)
		}
		_, bs := splitHeader(src)
		body, res2, err := RewriteBody(src[:bs], src[bs:], opts)
		if err != nil && !IsPassThrough(err) {
			t.Fatalf("RewriteBody: %v", err)
		}
		if res2.PassThrough != res.PassThrough || res2.Links != res.Links || len(res2.Relabelled) != len(res.Relabelled) {
			t.Fatalf("RewriteBody says %+v, Rewrite %+v", res2, res)
		}
		if body == nil {
			body = src[bs:]
		}
		_, fbs := splitHeader(full.Bytes())
		if want := full.Bytes()[fbs:]; !bytes.Equal(body, want) {
			t.Fatalf("RewriteBody body differs from Rewrite's:\n%q\n%q", body, want)
		}
		// The milter's way: the message in one slice, the body read from
		// its pieces.
		pieces, _, _ := RewriteMessageBody(bytes.Clone(src), opts)
		if pieces != nil {
			read, err := io.ReadAll(pieces.Reader())
			if err != nil || !bytes.Equal(read, body) || pieces.Len() != len(body) {
				t.Fatalf("RewriteMessageBody's pieces read %q (%v), want %q", read, err, body)
			}
		}
	})
}

// sameTree reports whether the oracle's MIME parser (go-message) and the
// rewriter's find the same parts, with the same media types, in src. Where
// they do not (mixed line breaks around boundaries: mime/multipart keeps
// the first delimiter's), a part the rewriter reads as a calendar is text
// to the oracle, and a refolded line breaks the link there: the oracle does
// not apply, idempotence does.
func sameTree(src []byte) bool {
	leaves, err := oracleLeaves(src)
	if err != nil {
		return false
	}
	p := parser{src: src}
	root, err := p.parseEntity(0, len(src), "", 0, "text/plain")
	if err != nil || root == nil {
		return false
	}
	var types []string
	opaque := false
	var walk func(e *entity)
	walk = func(e *entity) {
		types = append(types, e.mediaType)
		opaque = opaque || isOpaqueType(e.mediaType)
		if strings.HasPrefix(e.mediaType, "multipart/") {
			for _, c := range e.children {
				walk(c)
			}
		}
	}
	walk(root)
	if opaque {
		return true // signed and encrypted parts are never changed: the oracle applies as before
	}
	if len(types) != len(leaves) {
		return false
	}
	for i, l := range leaves {
		if l.mediaType != types[i] {
			return false
		}
	}
	return true
}

// FuzzHTMLSkip: a part that htmlEdits skips without tokenizing it
// (mayHoldHTMLLink false) is one the full scan finds nothing in: no edit,
// no count, no form, no password field.
func FuzzHTMLSkip(f *testing.F) {
	f.Add(`<p>お知らせ: 新商品のご案内です。</p><img src="https://img.example/1.png">`)
	f.Add(`<A HREF="https://a.example/">x</A>`)
	f.Add(`<form ACTION=https://evil.example/><INPUT type=pass&#119;ord></form>`)
	f.Add(`<button formaction="https://evil.example/">go</button>`)
	f.Add(`<svg><a xlink:HREF="https://evil.example/">x</a></svg>`)
	f.Add(`<!--[if mso]><v:roundrect hReF="https://evil.example/"><![endif]-->`)
	f.Add(`<input type=password>`)
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, text string) {
		if mayHoldHTMLLink(text) {
			return
		}
		res := &Result{Skipped: map[string]int{}}
		lk := &linker{codec: opts.Codec, policy: opts.Policy, res: res, ctx: linktoken.Context{Issued: testNow}}
		edits := lk.scanHTML(text)
		if len(edits) > 0 || res.Links > 0 || res.Forms > 0 || len(res.Skipped) > 0 || lk.passwordField {
			t.Fatalf("skipped %q, but the scan finds %d edits, %+v, password %v", text, len(edits), *res, lk.passwordField)
		}
	})
}

func TestMayHoldHTMLLink(t *testing.T) {
	for text, want := range map[string]bool{
		`<a href="https://a.example/">`:      true,
		`<A HREF=https://a.example/>`:        true,
		`<svg><a xlink:Href="x">`:            true,
		`<form Action="https://e.example/">`: true,
		`<button formACTION=x>`:              true,
		`<INPUT type=pass&#119;ord>`:         true,
		`<p>plain text, <b>no links</b></p>`: false,
		`<img src="https://img.example/1">`:  false,
		`hre f actio n < input`:              false,
		"":                                   false,
	} {
		if got := mayHoldHTMLLink(text); got != want {
			t.Errorf("mayHoldHTMLLink(%q) = %v, want %v", text, got, want)
		}
	}
}

// FuzzScannedTag: maybeScannedTag, which lets scan skip a start tag without
// asking the tokenizer its name, never skips one the tokenizer names a,
// area, form, input, button or img.
func FuzzScannedTag(f *testing.F) {
	f.Add([]byte(`<p><a href="https://a.example/">x</a><IMG alt=x><Form><td/>`))
	f.Add([]byte("<a\x00 href=x><area\thref=y><input\f/><button\r\n>"))
	f.Add([]byte(`<A/href=x><aREA><imgx><a=b><a`))
	f.Fuzz(func(t *testing.T, b []byte) {
		z := xhtml.NewTokenizer(bytes.NewReader(b))
		for {
			tt := z.Next()
			if tt == xhtml.ErrorToken {
				return
			}
			if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
				continue
			}
			raw := bytes.Clone(z.Raw())
			name, _ := z.TagName()
			switch string(name) {
			case "a", "area", "form", "input", "button", "img":
				if !maybeScannedTag(raw) {
					t.Fatalf("maybeScannedTag(%q) skips a <%s>", raw, name)
				}
			}
		}
	})
}
