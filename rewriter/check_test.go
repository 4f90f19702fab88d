package rewriter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	xhtml "golang.org/x/net/html"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter/textlink"
	"github.com/kensa-mail/kensa/rewriter/unwrap"
)

// This file is the test oracle shared by the golden, corpus and fuzz tests.
// It re-parses input and output with an independent MIME parser
// (go-message, which decodes transfer encodings and charsets itself) and
// checks the rewriter's promises:
//   - the output has the same tree of parts with the same media types;
//   - every part that is not a rewritten text part decodes to the same bytes;
//   - in text/plain parts, the text between links is unchanged, and each
//     Kensa link opens (verified with the key) to the link that was there
//     (after unwrapping other gateways' wrappers);
//   - in text/html parts, the token stream is unchanged except the href of
//     <a> and <area> (and of any element inside an Outlook conditional
//     comment, whose content is compared as HTML), the action of <form> and
//     the formaction of <input> and <button>; each Kensa link there opens to
//     the URL a browser would have opened (htmlDest).
// It returns the number of Kensa links it verified and the web links it
// found not rewritten, so callers can assert on both.

func init() {
	// US-ASCII labels (and no label) are read as the rewriter reads them:
	// UTF-8 when valid, else Latin-1 (see lookupCodec). go-message would
	// turn 8-bit bytes under a US-ASCII label into U+FFFD.
	message.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.TrimSpace(label)) {
		case "us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default":
			return r, nil
		case "utf-8", "utf8":
			return r, nil // invalid bytes stay as they are, as Kensa keeps them
		}
		if cr, err := charset.Reader(label, r); err == nil {
			return cr, nil
		}
		// Labels go-message does not know but Kensa reads (charsetAliases:
		// CP932, EUCJP, CP5022x ...) are read the way Kensa reads them.
		c, err := lookupCodec(label, nil)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		s, err := c.decode(b)
		return strings.NewReader(s), err
	}
}

// autoDecode applies the rewriter's reading of unlabelled 8-bit text.
func autoDecode(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return latin1(b)
}

func latin1(b []byte) []byte {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return []byte(string(r))
}

type checkStats struct {
	verified     int      // Kensa links that opened to the right destination
	notRewritten []string // http(s) links left as they were
	// contexts counts verified HTML links by the context that made them
	// links (issue 10): "conditional-comment", "form", "protocol-relative",
	// "base", "whatwg-spelling". Plain hrefs are not counted.
	contexts map[string]int
}

func (st *checkStats) context(c string) {
	if st.contexts == nil {
		st.contexts = map[string]int{}
	}
	st.contexts[c]++
}

type oracleLeaf struct {
	mediaType string
	attach    bool
	kind      string // oracleKind: "calendar", "html" (an HTML or SVG attachment) or ""
	body      []byte
	err       error
	auto      bool // unlabelled 8-bit text: UTF-8 if valid, else Latin-1
}

func oracleLeaves(msg []byte) ([]oracleLeaf, error) {
	e, err := message.Read(bytes.NewReader(msg))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	var leaves []oracleLeaf
	err = e.Walk(func(path []int, part *message.Entity, perr error) error {
		// Media types as the rewriter reads them: lenient about broken
		// parameters (go-message would return the raw value).
		mt, _, merr := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if part.Header.Get("Content-Type") == "" {
			mt = "text/plain"
		} else if merr != nil && !errors.Is(merr, mime.ErrInvalidMediaParameter) {
			mt = "application/octet-stream"
		}
		if strings.HasPrefix(mt, "multipart/") && part.MultipartReader() != nil {
			leaves = append(leaves, oracleLeaf{mediaType: mt})
			return nil
		}
		disp, dparams, _ := part.Header.ContentDisposition()
		filename := dparams["filename"]
		if filename == "" {
			_, cparams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			filename = cparams["name"]
		}
		if message.IsUnknownEncoding(perr) {
			perr = nil // the body is the raw bytes, as the rewriter treats it
		}
		body, rerr := io.ReadAll(part.Body)
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			// A truncated multipart (no closing delimiter) still yields
			// its last part up to the end, as the rewriter reads it.
			perr = rerr
		}
		auto := false
		kind := oracleKind(mt, disp, filename)
		if strings.HasPrefix(mt, "text/") || kind != "" {
			// Attachments the rewriter reads (HTML, SVG, calendars of any
			// type) are read like text: unlabelled means auto.
			_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			switch strings.ToLower(strings.TrimSpace(params["charset"])) {
			case "", "us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default":
				auto = true
			}
		}
		leaves = append(leaves, oracleLeaf{mediaType: mt, attach: disp == "attachment", kind: kind, body: body, err: perr, auto: auto})
		return nil
	})
	return leaves, err
}

func checkRewrite(codec *linktoken.Codec, in, out []byte) (checkStats, error) {
	var st checkStats
	if err := checkEntity(codec, in, out, &st, 0); err != nil {
		return st, err
	}
	return st, nil
}

func checkEntity(codec *linktoken.Codec, in, out []byte, st *checkStats, depth int) error {
	inLeaves, inErr := oracleLeaves(in)
	outLeaves, outErr := oracleLeaves(out)
	if (inErr == nil) != (outErr == nil) {
		return fmt.Errorf("re-parse differs: input error %v, output error %v", inErr, outErr)
	}
	if len(inLeaves) != len(outLeaves) {
		return fmt.Errorf("tree differs: %d parts in, %d out", len(inLeaves), len(outLeaves))
	}
	for i := range inLeaves {
		a, b := inLeaves[i], outLeaves[i]
		if a.mediaType != b.mediaType {
			return fmt.Errorf("part %d: media type %q became %q", i, a.mediaType, b.mediaType)
		}
		if a.auto && !utf8.Valid(a.body) {
			// The input decides how unlabelled text is read: removing its
			// only invalid byte (inside a link) must not change how the
			// rest is read.
			a.body, b.body = autoDecode(a.body), latin1(b.body)
		}
		isText := (a.mediaType == "text/plain" || a.mediaType == "text/html") && !a.attach && a.err == nil
		if bytes.Equal(a.body, b.body) && !isText {
			continue
		}
		if a.kind != "" && a.err == nil {
			before := st.verified
			var err error
			if a.kind == "calendar" {
				err = checkCalendar(codec, string(a.body), string(b.body), st)
			} else {
				err = checkHTML(codec, string(a.body), string(b.body), st)
			}
			if err != nil {
				return fmt.Errorf("part %d (%s, %s): %w", i, a.mediaType, a.kind, err)
			}
			for range st.verified - before {
				st.context(map[string]string{"calendar": "calendar", "html": "html-attachment"}[a.kind])
			}
			continue
		}
		if a.attach || a.err != nil {
			return fmt.Errorf("part %d (%s, attachment=%v, err=%v) changed", i, a.mediaType, a.attach, a.err)
		}
		var err error
		switch a.mediaType {
		case "text/plain":
			err = checkText(codec, string(a.body), string(b.body), st)
		case "text/html":
			err = checkHTML(codec, string(a.body), string(b.body), st)
		case "message/rfc822", "message/global":
			if depth < 8 {
				err = checkEntity(codec, a.body, b.body, st, depth+1)
			}
		default:
			err = fmt.Errorf("a %s part changed", a.mediaType)
		}
		if err != nil {
			return fmt.Errorf("part %d (%s): %w", i, a.mediaType, err)
		}
	}
	return nil
}

// openDest opens a Kensa link and returns the text it replaced, as the
// rewriter saw it: the destination, without the "http://" it added to a
// schemeless link.
func openDest(codec *linktoken.Codec, link string) (string, linktoken.Flags, error) {
	if orig, err := codec.OpenUnsigned(link); err == nil {
		return orig, 0, nil
	}
	d, err := codec.Open(link)
	if err != nil {
		return "", 0, err
	}
	dest := d.Dest
	if d.Context.Flags&linktoken.FlagSchemeless != 0 {
		dest = strings.TrimPrefix(dest, "http://")
	}
	return dest, d.Context.Flags, nil
}

func expectedDest(orig string) string {
	inner, _ := unwrap.All(cleanURL(orig))
	return inner
}

func checkText(codec *linktoken.Codec, in, out string, st *checkStats) error {
	inLinks, outLinks := findOutLinks(codec, in), findOutLinks(codec, out)
	if len(inLinks) != len(outLinks) {
		return fmt.Errorf("%d links in, %d out\n--- in\n%s\n--- out\n%s", len(inLinks), len(outLinks), in, out)
	}
	ip, op := 0, 0
	for k := range inLinks {
		a, b := inLinks[k], outLinks[k]
		if in[ip:a.Start] != out[op:b.Start] {
			return fmt.Errorf("text before link %d changed: %q became %q", k, in[ip:a.Start], out[op:b.Start])
		}
		ip, op = a.End, b.End
		got := out[b.Start:b.End]
		orig := in[a.Start:a.End]
		if got == orig && codec.IsLink(got) {
			continue // was a Kensa link already
		}
		if !codec.IsLink(got) {
			if got != orig {
				return fmt.Errorf("link %d changed but is no Kensa link: %q became %q", k, orig, got)
			}
			st.notRewritten = append(st.notRewritten, orig)
			continue
		}
		dest, flags, err := openDest(codec, got)
		if err != nil {
			return fmt.Errorf("link %d %q: %w", k, got, err)
		}
		want := orig
		if flags&linktoken.FlagUnwrapped != 0 {
			want = expectedDest(orig)
		}
		if dest != want {
			return fmt.Errorf("link %d opens to %q, want %q", k, dest, want)
		}
		st.verified++
	}
	if in[ip:] != out[op:] {
		return fmt.Errorf("text after the last link changed: %q became %q", in[ip:], out[op:])
	}
	return nil
}

// kensaRanges finds the Kensa links in text. A link run into the ASCII
// text after it ends at its longest prefix that verifies, as the click proxy
// reads it (the proxy cuts at most linktoken.MaxTrim bytes; the oracle cuts
// as many as it takes, since fuzzed text runs links together at length).
func kensaRanges(codec *linktoken.Codec, text string) [][2]int {
	var out [][2]int
	for pos := 0; pos < len(text); {
		rs := linktoken.Find(testBase, text[pos:])
		if len(rs) == 0 {
			break
		}
		start, end := pos+rs[0][0], pos+rs[0][1]
		for e := end; e > start+len(testBase); e-- {
			if _, err := codec.Open(text[start:e]); err == nil {
				end = e
				break
			}
			if _, err := codec.OpenUnsigned(text[start:e]); err == nil && e == end {
				break
			}
		}
		out = append(out, [2]int{start, end})
		pos = end
	}
	return out
}

// findOutLinks finds links in rewritten text: Kensa links where the link
// format says they end (a reader of plain text cannot always tell from the
// text around them), and other links as textlink finds them.
func findOutLinks(codec *linktoken.Codec, out string) []textlink.Link {
	var links []textlink.Link
	kensa := kensaRanges(codec, out)
	k := 0
	for _, l := range textlink.Find(out) {
		for k < len(kensa) && kensa[k][1] <= l.Start {
			links = append(links, textlink.Link{Start: kensa[k][0], End: kensa[k][1]})
			k++
		}
		if k < len(kensa) && kensa[k][0] < l.End {
			continue // overlaps a Kensa link
		}
		links = append(links, l)
	}
	for ; k < len(kensa); k++ {
		links = append(links, textlink.Link{Start: kensa[k][0], End: kensa[k][1]})
	}
	return links
}

func checkHTML(codec *linktoken.Codec, in, out string, st *checkStats) error {
	return checkHTMLTokens(codec, in, out, st, documentBase(codec, in), false)
}

// changeable returns the attribute of a tag that the rewriter may change:
// the link of a tag a reader clicks (any element's href inside an Outlook
// conditional comment), a form's action, a button's formaction.
func changeable(tag string, inCond bool) string {
	switch tag {
	case "form":
		return "action"
	case "input", "button":
		return "formaction"
	}
	if isLinkTag(tag, inCond) {
		return "href"
	}
	return ""
}

// checkHTMLTokens compares the token streams of an HTML part before and
// after rewriting. Inside a conditional comment (inCond), which the
// tokenizer returns as one comment token, the comment's content is compared
// as HTML of its own.
func checkHTMLTokens(codec *linktoken.Codec, in, out string, st *checkStats, base *webURL, inCond bool) error {
	zi := xhtml.NewTokenizer(strings.NewReader(in))
	zo := xhtml.NewTokenizer(strings.NewReader(out))
	for n := 0; ; n++ {
		ti, to := zi.Next(), zo.Next()
		if ti != to {
			return fmt.Errorf("token %d: %v became %v", n, ti, to)
		}
		if ti == xhtml.ErrorToken {
			return nil
		}
		ri, ro := bytes.Clone(zi.Raw()), bytes.Clone(zo.Raw())
		a, b := zi.Token(), zo.Token()
		if ti == xhtml.CommentToken {
			is, ie, iok := conditionalComment(ri)
			os, oe, ook := conditionalComment(ro)
			if iok != ook {
				return fmt.Errorf("token %d: comment %q became %q", n, ri, ro)
			}
			if iok {
				if !bytes.Equal(ri[:is], ro[:os]) || !bytes.Equal(ri[ie:], ro[oe:]) {
					return fmt.Errorf("token %d: conditional comment %q became %q", n, ri, ro)
				}
				if err := checkHTMLTokens(codec, string(ri[is:ie]), string(ro[os:oe]), st, base, true); err != nil {
					return fmt.Errorf("token %d (conditional comment): %w", n, err)
				}
				continue
			}
		}
		key := ""
		if ti == xhtml.StartTagToken || ti == xhtml.SelfClosingTagToken {
			key = changeable(a.Data, inCond)
			if key == "href" {
				key = linkAttr(a.Data, a.Attr)
			}
		}
		if key == "" {
			if a.String() != b.String() {
				return fmt.Errorf("token %d: %q became %q", n, a.String(), b.String())
			}
			continue
		}
		if len(a.Attr) != len(b.Attr) {
			return fmt.Errorf("token %d: attributes %v became %v", n, a.Attr, b.Attr)
		}
		seen := false
		for k := range a.Attr {
			x, y := a.Attr[k], b.Attr[k]
			if x.Key != y.Key {
				return fmt.Errorf("token %d: attribute %q became %q", n, x.Key, y.Key)
			}
			if x.Key != key || seen || x.Val == y.Val {
				if x.Val != y.Val {
					return fmt.Errorf("token %d: %s=%q became %q", n, x.Key, x.Val, y.Val)
				}
				if x.Key == key && !seen {
					if d, ok := htmlDest(x.Val, base); ok && !codec.IsLink(d) {
						st.notRewritten = append(st.notRewritten, x.Val)
					}
				}
				seen = seen || x.Key == key
				continue
			}
			seen = true
			dest, flags, err := openDest(codec, y.Val)
			if err != nil {
				return fmt.Errorf("token %d: %s %q: %w", n, key, y.Val, err)
			}
			want, ok := htmlDest(x.Val, base)
			if !ok {
				return fmt.Errorf("token %d: %s %q, which a browser does not open, was rewritten", n, key, x.Val)
			}
			if flags&linktoken.FlagUnwrapped != 0 {
				want = expectedDest(want)
			}
			if dest != want {
				return fmt.Errorf("token %d: %s opens to %q, want %q", n, key, dest, want)
			}
			st.verified++
			switch clean := cleanURL(x.Val); {
			case inCond:
				st.context("conditional-comment")
			case key != "href":
				st.context("form")
			case isSlash(clean, 0) && isSlash(clean, 1):
				st.context("protocol-relative")
			case !isWebURL(clean):
				st.context("base")
			case want != clean && flags&linktoken.FlagUnwrapped == 0:
				st.context("whatwg-spelling")
			}
		}
	}
}
