package rewriter

import (
	"bytes"
	"strings"

	xhtml "golang.org/x/net/html"
)

// htmlEdits finds the href of every <a> and <area> in an HTML part and
// returns edits that replace each web link with a Kensa link. The tokenizer
// decides what is a tag (so comments, scripts and CDATA are never touched);
// the attribute's exact position inside the tag comes from scanAttr, because
// the tokenizer reports attribute values but not where they are.
func (lk *linker) htmlEdits(text string) []edit {
	z := xhtml.NewTokenizer(strings.NewReader(text))
	var (
		edits   []edit
		off     int
		pending *pendingLink    // the open <a>, waiting for its visible text
		visible strings.Builder // text seen inside the open <a>
	)
	finish := func() {
		if pending == nil {
			return
		}
		if e, ok := lk.htmlLink(pending, visible.String()); ok {
			edits = append(edits, e)
		}
		pending = nil
		visible.Reset()
	}
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		start := off
		off += len(raw)
		switch tt {
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if tag != "a" && tag != "area" {
				if tag == "img" && pending != nil && hasAttr {
					// The alt text of a logo inside a link is what a reader sees.
					writeAlts(&visible, z)
				}
				continue
			}
			finish()
			if !hasAttr {
				continue
			}
			vs, ve, quote, ok := scanAttr(raw, "href")
			if !ok {
				continue
			}
			// The tokenizer's value is authoritative (it applies the
			// attribute rules for character references); the scan only
			// says where the value is. Cross-check them where they must agree.
			value, found := firstAttr(z, "href")
			if !found || (!bytes.ContainsAny(raw[vs:ve], "&\x00\r") && value != string(raw[vs:ve])) {
				lk.res.count("html-attr-mismatch")
				continue
			}
			p := &pendingLink{start: start + vs, end: start + ve, quote: quote, href: value}
			if tag == "area" || tt == xhtml.SelfClosingTagToken {
				pending = p
				finish()
				continue
			}
			pending = p
		case xhtml.TextToken:
			if pending != nil {
				visible.Write(z.Text())
			}
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" {
				finish()
			}
		}
	}
	finish()
	return edits
}

type pendingLink struct {
	start, end int // the attribute value's bytes, without quotes
	quote      byte
	href       string // HTML-unescaped
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

// firstAttr returns the value of the current tag's first attribute called
// name, as the tokenizer reads it.
func firstAttr(z *xhtml.Tokenizer, name string) (string, bool) {
	for {
		k, v, more := z.TagAttr()
		if string(k) == name {
			return string(v), true
		}
		if !more {
			return "", false
		}
	}
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
