package rewriter

import (
	"bytes"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// htmlEdits finds the links a reader can open in an HTML part and returns
// edits that replace each web link with a Kensa link: the href of <a> and
// <area>; any element's href inside an Outlook conditional comment (VML
// buttons); and the action of a <form> and the formaction of its buttons
// (forms.go). Each href is read the way a browser reads it (whatwg.go),
// against the document's <base href> when that is an absolute http(s) URL.
// The tokenizer decides what is a tag (so plain comments, scripts and CDATA
// are never touched); the attribute's exact position inside the tag comes
// from scanAttr, because the tokenizer reports attribute values but not
// where they are.
func (lk *linker) htmlEdits(text string) []edit {
	if !mayHoldHTMLLink(text) {
		return nil
	}
	return lk.scanHTML(text)
}

// scanHTML is htmlEdits without the byte scan that may skip the part.
func (lk *linker) scanHTML(text string) []edit {
	h := &htmlScan{lk: lk, base: documentBase(lk.codec, text)}
	h.scan(text, 0, false)
	h.finishForm()
	return h.edits
}

// mayHoldHTMLLink reports whether text may hold anything htmlEdits acts
// on, so that a part without it is not tokenized at all. htmlEdits reads
// only the attributes href, xlink:href, action and formaction (attribute
// names are ASCII, compared in lower case, and no character reference
// spells them) and the type of an <input> (a tag name follows its '<' at
// once): without these byte strings, in any case, it finds no link, no
// form and no password field.
func mayHoldHTMLLink(text string) bool {
	for i := 0; i < len(text); i++ {
		var want string
		switch text[i] | 0x20 { // A-Z to a-z (and some other bytes to letters, which the compare below rejects)
		case 'h':
			want = "href"
		case 'a':
			want = "action"
		case '<':
			want = "<input"
		default:
			continue
		}
		if len(text)-i >= len(want) && asciiEqualFold(text[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// asciiEqualFold reports whether s equals lower, a lower-case ASCII string,
// with A-Z read as a-z and no other folding.
func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// htmlScan is the state of one HTML part's scan.
type htmlScan struct {
	lk    *linker
	base  *webURL // the document's <base href>, nil when none applies
	edits []edit
	form  *pendingForm // the open <form>
	// orphanPassword: a password field outside any form (counted, and
	// setting linker.passwordField like any other).
	orphanPassword bool
}

// scan tokenizes text, whose first byte is at offset off of the part, and
// collects edits. inCond is true inside an Outlook conditional comment,
// where any element's href is a link (VML's <v:roundrect href>).
func (h *htmlScan) scan(text string, off int, inCond bool) {
	z := xhtml.NewTokenizer(strings.NewReader(text))
	var (
		pending *pendingLink    // the open link, waiting for its visible text
		visible strings.Builder // text seen inside the open link
	)
	finish := func() {
		if pending == nil {
			return
		}
		if e, ok := h.lk.htmlLink(pending, visible.String()); ok {
			h.edits = append(h.edits, e)
		}
		pending = nil
		visible.Reset()
	}
	pos := off
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		start := pos
		pos += len(raw)
		switch tt {
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			if !inCond && !maybeScannedTag(raw) {
				continue // most tags of a message: TagName would copy the name
			}
			name, hasAttr := z.TagName()
			tag := knownName(name)
			if !hasAttr {
				if isLinkTag(tag, inCond) {
					finish()
				}
				continue
			}
			switch tag {
			case "form", "input", "button":
				h.formTag(tagAttrs(z), tag, raw, start)
				continue
			case "img":
				if pending != nil {
					// The alt text of a logo inside a link is what a reader sees.
					writeAlts(&visible, z)
				}
				continue
			}
			if !isLinkTag(tag, inCond) {
				continue
			}
			finish()
			attrs := tagAttrs(z)
			p := h.attrLink(attrs, raw, start, linkAttr(tag, attrs))
			if p == nil {
				continue
			}
			p.tag = tag
			pending = p
			if tag == "area" || tt == xhtml.SelfClosingTagToken {
				finish()
			}
		case xhtml.TextToken:
			if pending != nil {
				visible.Write(z.Text())
			}
		case xhtml.EndTagToken:
			if pending == nil && h.form == nil {
				continue // no open link or form for it to end (TagName copies the name)
			}
			name, _ := z.TagName()
			if pending != nil && string(name) == pending.tag {
				finish()
			}
			if string(name) == "form" {
				h.finishForm()
			}
		case xhtml.CommentToken:
			if cs, ce, ok := conditionalComment(raw); ok {
				// QUIRK: Outlook for Windows renders the HTML inside
				// <!--[if mso]> ... <![endif]-->, which every other reader
				// (and the tokenizer) takes for a comment. Email builders put
				// their "bulletproof" VML buttons there, and so do phishers.
				h.scan(string(raw[cs:ce]), start+cs, true)
			}
		}
	}
	finish()
}

// maybeScannedTag reports whether the start tag in raw may be one scan
// looks at outside an Outlook conditional comment (a, area, form, input,
// button, img), from its raw bytes: the name runs from after '<' to the
// first white space, '/' or '>', as the tokenizer reads it, which then
// lower-cases it (A-Z only) and turns NUL into U+FFFD, so a name that
// differs from all six here, case aside, differs after that too
// (FuzzScannedTag).
func maybeScannedTag(raw []byte) bool {
	end := 2
	for end < len(raw) && !isHTMLSpace(raw[end]) && raw[end] != '/' && raw[end] != '>' {
		end++
	}
	if len(raw) < 2 || end > len(raw) {
		return true // not a shape this reads: let the tokenizer say
	}
	name := string(raw[1:end]) // no copy: only compared
	for _, t := range [...]string{"a", "area", "form", "input", "button", "img"} {
		if len(name) == len(t) && asciiEqualFold(name, t) {
			return true
		}
	}
	return false
}

// isLinkTag reports whether an element's href is a link a reader opens.
func isLinkTag(tag string, inCond bool) bool {
	switch tag {
	case "a", "area":
		return true
	case "link", "base":
		return false // stylesheets and the base are not clicked
	}
	return inCond
}

// linkAttr returns the attribute that holds a link tag's link: href, or
// on an SVG <a> without one, xlink:href (SVG 1.1, which browsers still
// follow: SVG attachments and inline <svg> use it).
func linkAttr(tag string, attrs []xhtml.Attribute) string {
	if tag == "a" {
		if _, ok := firstAttr(attrs, "href"); !ok {
			if _, ok := firstAttr(attrs, "xlink:href"); ok {
				return "xlink:href"
			}
		}
	}
	return "href"
}

// attrLink finds attribute name of the current tag and returns it as a
// pending link when it names a web page, resolved as a browser would.
func (h *htmlScan) attrLink(attrs []xhtml.Attribute, raw []byte, start int, name string) *pendingLink {
	vs, ve, quote, ok := scanAttr(raw, name)
	if !ok {
		return nil
	}
	// The tokenizer's value is authoritative (it applies the attribute
	// rules for character references); the scan only says where the value
	// is. Cross-check them where they must agree.
	value, found := firstAttr(attrs, name)
	if !found || (!bytes.ContainsAny(raw[vs:ve], "&\x00\r") && value != string(raw[vs:ve])) {
		h.lk.res.count("html-attr-mismatch")
		return nil
	}
	dest, ok := htmlDest(value, h.base)
	if !ok {
		if isWebURL(cleanURL(value)) {
			h.lk.res.count("browser-refuses") // a browser would not open it either
		}
		return nil
	}
	return &pendingLink{start: start + vs, end: start + ve, quote: quote, href: dest}
}

type pendingLink struct {
	start, end int // the attribute value's bytes, without quotes
	quote      byte
	href       string // the absolute URL a browser opens
	tag        string // the element, whose end tag ends the visible text
}

func (lk *linker) htmlLink(p *pendingLink, visible string) (edit, bool) {
	link, ok := lk.wrap(p.href, visible, false, false)
	if !ok {
		return edit{}, false
	}
	repl := strings.ReplaceAll(link, "&", "&amp;")
	start, end := p.start, p.end
	if p.quote == 0 {
		repl = `"` + repl + `"`
	}
	return edit{start: start, end: end, repl: repl}, true
}

// htmlDest returns the URL a browser opens for an href, given the
// document's base (nil for none), or false when that is no http(s) URL. A
// link that net/url reads the way the browser does (same scheme, user,
// host and port) keeps its spelling, so that what the SOC sees is what the
// sender wrote; any other is replaced by the browser's reading, so that the
// click proxy checks the host the reader would open.
func htmlDest(href string, base *webURL) (string, bool) {
	clean := cleanURL(href)
	in := clean
	if base == nil && isSlash(clean, 0) && isSlash(clean, 1) {
		// A protocol-relative link: webmail, where mail is read, is https.
		in = "https:" + clean
	}
	u, ok := parseWebURL(in, base)
	if !ok {
		return "", false
	}
	if isWebURL(clean) && sameReading(clean, u) {
		return clean, true
	}
	return u.String(), true
}

// sameReading reports whether net/url reads s with the scheme, userinfo,
// host and port the browser reads as u.
func sameReading(s string, u *webURL) bool {
	nu, err := url.Parse(s)
	if err != nil || strings.ToLower(nu.Scheme) != u.scheme || nu.Opaque != "" {
		return false
	}
	if (nu.User != nil) != (u.userinfo != "") {
		return false
	}
	hostname := nu.Hostname()
	if strings.Contains(hostname, ":") {
		hostname = "[" + hostname + "]"
	}
	host, ok := parseHost(hostname)
	if !ok || host != u.host {
		return false
	}
	port := strings.TrimLeft(nu.Port(), "0")
	if u.scheme == "http" && port == "80" || u.scheme == "https" && port == "443" {
		port = ""
	}
	return port == u.port
}

// documentBase is findBase, but a base on the click proxy is no base.
//
// QUIRK: where a message is read best effort (fallback.go), the raw text
// of a <base href> is rewritten like any link, and would then resolve the
// relative links of a second pass to the click proxy (a FuzzRewrite
// finding). No sender means the click proxy as a base.
func documentBase(codec *linktoken.Codec, text string) *webURL {
	b := findBase(text)
	if b != nil && strings.HasPrefix(strings.ToLower(b.String()), strings.ToLower(codec.Base())+"/") {
		return nil
	}
	return b
}

// findBase returns the document's base URL: the href of its first <base>
// element with one, when that is an absolute http(s) URL. A relative base
// would resolve against the message's own address, which mail has not.
func findBase(text string) *webURL {
	if !containsFold(text, "<base") {
		return nil
	}
	z := xhtml.NewTokenizer(strings.NewReader(text))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return nil
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "base" || !hasAttr {
				continue
			}
			href, ok := firstAttr(tagAttrs(z), "href")
			if !ok {
				continue
			}
			u, ok := parseWebURL(href, nil)
			if !ok {
				return nil
			}
			u.fragment = nil
			return u
		}
	}
}

// containsFold reports whether s contains sub (lower-case ASCII) in any case.
func containsFold(s, sub string) bool {
	for i := strings.IndexByte(s, sub[0]); i >= 0 && len(s)-i >= len(sub); {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
		j := strings.IndexByte(s[i+1:], sub[0])
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// conditionalComment returns where the HTML inside a downlevel-hidden
// conditional comment (<!--[if mso]> HTML <![endif]-->) lies in the
// comment's raw bytes. The downlevel-revealed form (<!--[if !mso]><!--> HTML
// <!--<![endif]-->) needs nothing: its HTML is outside the comments.
func conditionalComment(raw []byte) (start, end int, ok bool) {
	if !bytes.HasPrefix(raw, []byte("<!--")) || !bytes.HasSuffix(raw, []byte("-->")) || len(raw) < 7 {
		return 0, 0, false
	}
	i := 4
	for i < len(raw) && isHTMLSpace(raw[i]) {
		i++
	}
	if len(raw)-i < 3 || !strings.EqualFold(string(raw[i:i+3]), "[if") {
		return 0, 0, false
	}
	j := bytes.Index(raw[i:], []byte("]>"))
	if j < 0 {
		return 0, 0, false
	}
	start = i + j + 2
	end = len(raw) - 3
	if start > end {
		return 0, 0, false
	}
	// QUIRK: lower-case ASCII only: bytes.ToLower turns each invalid UTF-8
	// byte into U+FFFD, three bytes, and the offset would point past the
	// comment (a FuzzRewrite finding: a panic, so the message passed
	// through).
	if k := bytes.LastIndex(asciiLower(raw[start:end]), []byte("<![endif]")); k >= 0 {
		end = start + k
	}
	return start, end, true
}

// asciiLower returns a copy of b with A-Z lower-cased and every other byte
// as it was, so that offsets stay the same.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// writeAlts writes the value of every alt attribute of the current tag,
// padded with spaces so that it does not run into the text around it.
func writeAlts(visible *strings.Builder, z *xhtml.Tokenizer) {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "alt" {
			visible.WriteString(" " + string(v) + " ")
		}
		if !more {
			return
		}
	}
}

// tagAttrs returns the current tag's attributes, as the tokenizer reads
// them (it can read them once).
func tagAttrs(z *xhtml.Tokenizer) []xhtml.Attribute {
	var attrs []xhtml.Attribute
	for {
		k, v, more := z.TagAttr()
		attrs = append(attrs, xhtml.Attribute{Key: knownName(k), Val: string(v)})
		if !more {
			return attrs
		}
	}
}

// knownName returns a tag or attribute name as a string, without a copy
// for the names most mail uses (a message has thousands of tags).
func knownName(name []byte) string {
	switch string(name) {
	case "a":
		return "a"
	case "area":
		return "area"
	case "link":
		return "link"
	case "base":
		return "base"
	case "form":
		return "form"
	case "input":
		return "input"
	case "button":
		return "button"
	case "img":
		return "img"
	case "p":
		return "p"
	case "div":
		return "div"
	case "span":
		return "span"
	case "table":
		return "table"
	case "tr":
		return "tr"
	case "td":
		return "td"
	case "font":
		return "font"
	case "href":
		return "href"
	case "style":
		return "style"
	case "class":
		return "class"
	case "target":
		return "target"
	case "src":
		return "src"
	case "alt":
		return "alt"
	case "action":
		return "action"
	case "type":
		return "type"
	case "name":
		return "name"
	case "value":
		return "value"
	}
	return string(name)
}

// firstAttr returns the value of the first attribute called name.
func firstAttr(attrs []xhtml.Attribute, name string) (string, bool) {
	for _, a := range attrs {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// scanAttr finds the value of the first attribute called name in the raw
// bytes of a start tag, following the attribute states of the HTML tokenizer
// (WHATWG HTML §13.2.5.32–.40). It returns the value's offsets (inside the
// quotes, if any) and the quote character (0 for unquoted).
func scanAttr(tag []byte, name string) (start, end int, quote byte, ok bool) {
	i := 1 // skip '<'
	for i < len(tag) && !isHTMLSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && (isHTMLSpace(tag[i]) || tag[i] == '/') {
			i++
		}
		if i >= len(tag) || tag[i] == '>' {
			return 0, 0, 0, false
		}
		ns := i
		i++ // the first character may be '='
		for i < len(tag) && !isHTMLSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' && tag[i] != '=' {
			i++
		}
		attr := strings.ToLower(string(tag[ns:i]))
		for i < len(tag) && isHTMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			if attr == name {
				return 0, 0, 0, false // present without a value
			}
			continue
		}
		i++
		for i < len(tag) && isHTMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) {
			return 0, 0, 0, false
		}
		var vs, ve int
		var q byte
		switch tag[i] {
		case '"', '\'':
			q = tag[i]
			vs = i + 1
			j := vs
			for j < len(tag) && tag[j] != q {
				j++
			}
			ve = j
			i = j + 1
		case '>':
			vs, ve = i, i
		default:
			vs = i
			for i < len(tag) && !isHTMLSpace(tag[i]) && tag[i] != '>' {
				i++
			}
			ve = i
		}
		if attr == name {
			return vs, ve, q, true
		}
	}
	return 0, 0, 0, false
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
