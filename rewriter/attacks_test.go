package rewriter

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/emersion/go-message"
	xhtml "golang.org/x/net/html"
	"golang.org/x/text/encoding"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// TestAttackLinks is the rewriter's part of the attack list (issue 16):
// links a sender hoped the rewriter would miss. Each message must come out
// with every one of its links opening through Kensa.
func TestAttackLinks(t *testing.T) {
	kr, err := linktoken.ParseKeyring(mustKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	pathBase, err := linktoken.NewCodec("https://mail.example.com/kensa", kr)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		codec *linktoken.Codec
		msg   []byte
		dests []string
	}{
		{"numeric IPv4 host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "http://3232235786/ now\r\n"), []string{"http://3232235786/"}},
		{"hex IPv4 host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "go to http://0xCB007109/login\r\n"), []string{"http://0xCB007109/login"}},
		{"dotless host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "see http://intranet/\r\n"), []string{"http://intranet/"}},
		{"dotless host in HTML", nil, msg("text/html; charset=us-ascii", "7bit", `<a href="http://intranet/">x</a>`), []string{"http://intranet/"}},
		{"Kensa base path walked out of, text", pathBase, msg("text/plain; charset=us-ascii", "7bit", "https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/\r\n"),
			[]string{"https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/"}},
		{"Kensa base path walked out of, HTML", pathBase, msg("text/html; charset=us-ascii", "7bit", `<a href="https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/">x</a>`),
			[]string{"https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(t)
			if c.codec != nil {
				opts.Codec = c.codec
			}
			out, res := rewriteBytes(t, c.msg, opts)
			body := strings.ReplaceAll(bodyOf(out), "&amp;", "&")
			var got []string
			for _, r := range linktoken.Find(opts.Codec.Base(), body) {
				d, err := opts.Codec.Open(body[r[0]:r[1]])
				if err != nil {
					t.Fatalf("Open(%q): %v", body[r[0]:r[1]], err)
				}
				got = append(got, d.Dest)
			}
			if strings.Join(got, " ") != strings.Join(c.dests, " ") || res.Links != len(c.dests) {
				t.Errorf("links %q (%d), want %q\nout: %s", got, res.Links, c.dests, body)
			}
		})
	}
}

func mustKeys(t *testing.T) []byte {
	keys, err := linktoken.GenerateKeyFile(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestAttackFallbacks is the other half of issue 16's attack list: messages
// and parts a sender breaks on purpose so that the rewriter gives up and
// leaves links live. Each must come out with no web link a mail client would
// open left live (liveLinks), re-parse as the input does, record the
// fallback, and stay the same when rewritten again.
func TestAttackFallbacks(t *testing.T) {
	const link = `<a href="https://evil.example/login">Sign in</a>`
	html := "<html><body><p>Your account</p>" + link + "</body></html>\r\n"
	b64 := func(s string) string { return wrap76(base64.StdEncoding.EncodeToString([]byte(s))) }
	u16 := func(order binary.AppendByteOrder, bom bool, s string) string {
		var b []byte
		if bom {
			b = order.AppendUint16(b, 0xFEFF)
		}
		for _, u := range utf16.Encode([]rune(s)) {
			b = order.AppendUint16(b, u)
		}
		return wrap76(base64.StdEncoding.EncodeToString(b))
	}
	stray := b64(html)
	stray = stray[:40] + "!" + stray[40:]
	cases := []struct {
		name   string
		msg    []byte
		reason string
	}{
		{"multipart nested 33 deep", nested(33, "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<a href=3D\"https://evil.example/deep\">x</a>\r\n"), FallbackTooComplex},
		{"10001 tiny parts", manyParts(10001, "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64(html)), FallbackTooComplex},
		{"header of garbage", []byte("\x00\x01\x02 not a header\r\n\r\nhttps://a.example/\r\n"), FallbackUnparsable},
		{"links in header lines after one without a colon", []byte("From: a@example.top\r\nSubject: t\r\nno colon\r\nSee: https://evil.example/hdr\r\n\r\nhello\r\n"), FallbackUnparsable},
		{"header line without a colon", []byte("From: a@example.top\r\nSubject: t\r\nthis line has no colon\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hi</p><a href=3D\"https://evil.example/log=\r\nin\">x</a>\r\n"), FallbackUnparsable},
		{"part header line without a colon", msg(`multipart/mixed; boundary="b"`, "", "--b\r\nContent-Type: text/html\r\nno colon here\r\n\r\n"+html+"--b--\r\n"), FallbackBadPartHeader},
		{"multipart without boundary", msg("multipart/mixed", "", html), FallbackBadMultipart},
		{"unknown charset", msg("text/html; charset=x-klingon", "8bit", html), FallbackUnknownCharset},
		{"utf-16 little-endian with BOM", msg("text/html; charset=utf-16", "base64", u16(binary.LittleEndian, true, html)), FallbackUTF16},
		{"utf-16 big-endian with BOM", msg("text/html; charset=utf-16", "base64", u16(binary.BigEndian, true, html)), FallbackUTF16},
		{"utf-16be without BOM, text", msg("text/plain; charset=utf-16be", "base64", u16(binary.BigEndian, false, "Go to https://evil.example/x now\r\n")), FallbackUTF16},
		{"base64 with a stray character", msg("text/html; charset=utf-8", "base64", stray), FallbackUndecodable},
		{"base64 in two padded chunks", msg("text/html; charset=utf-8", "base64", "aGk="+base64.StdEncoding.EncodeToString([]byte(link))+"\r\n"), FallbackUndecodable},
		{"10001 header fields before Content-Type", manyFields(10001, "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64(html)), FallbackTooComplex},
	}
	opts := testOptions(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if live := liveLinks(opts.Codec, c.msg); len(live) == 0 {
				t.Fatal("the oracle finds no live link in the input: the case tests nothing")
			}
			var out bytes.Buffer
			res, err := Rewrite(&out, c.msg, opts)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			checkFallbackOutput(t, opts, c.msg, out.Bytes(), res, c.reason)

			// on_unparsable: tag leaves those links alone, says so, and
			// the oracle sees them: it is not blind to what it checks.
			tagged := opts
			tagged.Policy.OnUnparsable = OnUnparsableTag
			tout, tres := rewriteBytes(t, c.msg, tagged)
			if len(tres.Fallbacks) == 0 || tres.Hold || !bytes.Contains(tout, []byte(UnparsableHeader+": ")) || len(liveLinks(opts.Codec, tout)) == 0 {
				t.Errorf("tag: fallbacks %v, hold %v, live links %q", tres.Fallbacks, tres.Hold, liveLinks(opts.Codec, tout))
			}
			held := opts
			held.Policy.OnUnparsable = OnUnparsableHold
			if _, hres := rewriteBytes(t, c.msg, held); !hres.Hold {
				t.Errorf("hold: Result.Hold not set")
			}

			// The milter's entry point gives the same body.
			_, bs := splitHeader(c.msg)
			body, _, err := RewriteBody(c.msg[:bs], c.msg[bs:], opts)
			_, obs := splitHeader(out.Bytes())
			if err != nil || !bytes.Equal(body, out.Bytes()[obs:]) {
				t.Errorf("RewriteBody: err %v, body differs from Rewrite's", err)
			}
		})
	}

	// The milter sees at most MaxHeaderFields+1 fields (it asks its library
	// for that many), so the Content-Type after them is not in the header it
	// passes: the body is read raw, with no Content-Type to go by.
	t.Run("10001 header fields, cut as the milter cuts them", func(t *testing.T) {
		full := manyFields(10001, "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64(html))
		_, bs := splitHeader(full)
		cut := bytes.Join(bytes.SplitAfterN(full[:bs], []byte("\r\n"), MaxHeaderFields+2)[:MaxHeaderFields+1], nil)
		cut = append(cut, "\r\n"...)
		body, res, err := RewriteBody(cut, full[bs:], opts)
		if err != nil || body == nil || len(res.Fallbacks) != 1 || res.Fallbacks[0].Reason != FallbackTooComplex {
			t.Fatalf("err %v, body %v, fallbacks %v", err, body != nil, res.Fallbacks)
		}
		out := append(append([]byte{}, full[:bs]...), body...)
		if live := liveLinks(opts.Codec, out); len(live) > 0 {
			t.Errorf("live links left: %q", live)
		}
	})
}

// checkFallbackOutput asserts what issue 16 asks of a message read through a
// fallback.
func checkFallbackOutput(t *testing.T, opts Options, in, out []byte, res Result, reason string) {
	t.Helper()
	if res.PassThrough != "" || res.Links == 0 {
		t.Errorf("passed through %q, %d links", res.PassThrough, res.Links)
	}
	found := false
	for _, f := range res.Fallbacks {
		found = found || f.Reason == reason
	}
	if !found {
		t.Errorf("fallbacks %v, want one %q", res.Fallbacks, reason)
	}
	if !bytes.Contains(out, []byte(FallbackHeader+": ")) {
		t.Errorf("no %s header", FallbackHeader)
	}
	if live := liveLinks(opts.Codec, out); len(live) > 0 {
		t.Errorf("live links left: %q\n%s", live, clip(out))
	}
	if _, inErr := oracleLeaves(in); inErr == nil {
		if _, outErr := oracleLeaves(out); outErr != nil {
			t.Errorf("output does not re-parse: %v", outErr)
		}
	}
	again, res2 := rewriteBytes(t, out, opts)
	if !bytes.Equal(again, out) {
		t.Errorf("rewriting the output changed it again (%d more links)\n%s", res2.Links, clip(again))
	}
}

func clip(b []byte) []byte {
	if len(b) > 3000 {
		return append(append(append([]byte{}, b[:1500]...), "\n[...]\n"...), b[len(b)-1500:]...)
	}
	return b
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

// nested returns a message of depth multiparts, one inside the other, with
// leaf (a part: header and body) innermost.
func nested(depth int, leaf string) []byte {
	part := leaf
	for d := depth; d > 0; d-- {
		b := "b" + strconv.Itoa(d)
		part = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + part + "--" + b + "--\r\n"
	}
	return []byte("From: a@example.top\r\nSubject: t\r\nMIME-Version: 1.0\r\n" + part)
}

// manyParts returns a multipart of n parts, the last of which is leaf.
func manyParts(n int, leaf string) []byte {
	var b strings.Builder
	for i := 1; i < n; i++ {
		b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nx" + strconv.Itoa(i) + "\r\n")
	}
	b.WriteString("--b\r\n" + leaf + "--b--\r\n")
	return msg(`multipart/mixed; boundary="b"`, "", b.String())
}

// manyFields returns a message with n filler header fields, then rest (the
// last header fields, the blank line and the body).
func manyFields(n int, rest string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.top\r\nSubject: t\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < n; i++ {
		b.WriteString("X-Filler: " + strconv.Itoa(i) + "\r\n")
	}
	return []byte(b.String() + rest)
}

// liveLinks is the best-effort oracle of issue 16: it reads a message as
// leniently as the most forgiving mail client might, in every way at once,
// and returns every http(s) link it finds that is not (inside) a Kensa link.
// Its readings: each part as go-message decodes it (UTF-16 parts both ways
// round), the whole message as quoted-printable decoded leniently, and
// every block of base64-looking lines decoded leniently; each also with
// HTML character references undone.
func liveLinks(codec *linktoken.Codec, m []byte) []string {
	views := []string{string(m), string(looseQP(m))}
	wide := func(data []byte) {
		for _, e := range []encoding.Encoding{xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM)} {
			if s, err := e.NewDecoder().Bytes(data); err == nil {
				views = append(views, string(s))
			}
		}
	}
	if e, _ := message.Read(bytes.NewReader(m)); e != nil {
		e.Walk(func(_ []int, p *message.Entity, _ error) error {
			if p.MultipartReader() != nil {
				return nil
			}
			body, _ := io.ReadAll(p.Body)
			views = append(views, string(body))
			wide(body)
			return nil
		})
	}
	for _, block := range base64Blocks(m) {
		data := looseBase64(block)
		views = append(views, string(data))
		wide(data)
	}
	var live []string
	for _, v := range views {
		for _, v := range []string{v, xhtml.UnescapeString(v)} {
			// Whatever lies inside a Kensa link (its u= parameter holds the
			// original link), up to where a linkifier would end it, is not
			// a link of its own.
			masked := []byte(v)
			for _, r := range linktoken.Find(codec.Base(), v) {
				for i := r[0]; i < len(masked) && (i < r[1] || !strings.ContainsRune(" \t\r\n\"'<>", rune(masked[i]))); i++ {
					masked[i] = ' '
				}
			}
			for _, l := range webLinkRe.FindAllString(string(masked), -1) {
				if !codec.IsLink(l) {
					live = append(live, l)
				}
			}
		}
	}
	return live
}

var webLinkRe = regexp.MustCompile(`(?i)https?://[^\s"'<>=]+`)

var qpEscapeRe = regexp.MustCompile(`=\r?\n|=[0-9A-Fa-f]{2}`)

// looseQP decodes quoted-printable without ever failing.
func looseQP(b []byte) []byte {
	return qpEscapeRe.ReplaceAllFunc(b, func(e []byte) []byte {
		if e[1] == '\r' || e[1] == '\n' {
			return nil
		}
		v, _ := strconv.ParseUint(string(e[1:]), 16, 8)
		return []byte{byte(v)}
	})
}

// base64Blocks returns the runs of lines that look like base64: no spaces,
// mostly base64 characters (a stray character does not stop a lenient
// client).
func base64Blocks(m []byte) [][]byte {
	var blocks [][]byte
	var cur []byte
	for _, l := range bytes.Split(m, []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		good := 0
		for _, c := range l {
			if isBase64Byte(c) || c == '=' {
				good++
			}
		}
		if len(l) >= 4 && !bytes.ContainsAny(l, " \t:") && good*10 >= len(l)*9 {
			cur = append(cur, l...)
			continue
		}
		if len(cur) > 0 {
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	return blocks
}

// looseBase64 decodes base64 with the alphabet only, in chunks ended by
// padding: a second implementation, so that the oracle does not share the
// rewriter's mistakes.
func looseBase64(b []byte) []byte {
	var out []byte
	for _, chunk := range bytes.Split(b, []byte("=")) {
		clean := bytes.Map(func(r rune) rune {
			if r < 128 && isBase64Byte(byte(r)) {
				return r
			}
			return -1
		}, chunk)
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		d, _ := base64.RawStdEncoding.DecodeString(string(clean))
		out = append(out, d...)
	}
	return out
}
