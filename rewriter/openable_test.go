package rewriter

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/emersion/go-message/charset"
	xhtml "golang.org/x/net/html"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// openableLinks is the corpus acceptance scan (issue 10): an independent,
// lenient reading of a message that returns, by context, every web link a
// client would open that is not a Kensa link. How it counts:
//   - it walks the MIME tree with the standard library (net/textproto,
//     mime/multipart raw parts), not with the rewriter's parser;
//   - it undoes every part's transfer encoding leniently (looseQP,
//     looseBase64 from attacks_test.go: they never fail) and its charset
//     where the label is known (else the bytes as they are);
//   - "text": inline text/plain, every link textlink.Find finds outside a
//     Kensa link;
//   - "html" and "html-attachment": inline HTML and HTML or SVG
//     attachments (oracleKind), the href (or xlink:href) of <a> and
//     <area>, any element's href inside an Outlook conditional comment,
//     form action and formaction, read as a browser reads them against the
//     document's <base href> (htmlDest);
//   - "calendar": calendar parts and .ics files, URI properties, ALTREP,
//     and links in TEXT and X-ALT-DESC values (calendarLiveLinks);
//   - message/rfc822 parts are read recursively; signed and encrypted
//     parts, and every other attachment (PDF, Office, images), are not
//     read: the rewriter promises to leave them alone.
//
// What a client opens but Kensa never rewrites by design is not a web link
// here either: mailto:, tel:, cid:, fragments without a base, relative
// links, and spellings no browser opens (htmlDest refuses them).
func openableLinks(codec *linktoken.Codec, msg []byte) map[string][]string {
	live := map[string][]string{}
	scanEntity(codec, msg, live, 0)
	return live
}

func scanEntity(codec *linktoken.Codec, msg []byte, live map[string][]string, depth int) {
	r := bufio.NewReader(bytes.NewReader(msg))
	h, _ := textproto.NewReader(r).ReadMIMEHeader()
	body, _ := io.ReadAll(r)
	scanPart(codec, h, body, live, depth)
}

func scanPart(codec *linktoken.Codec, h textproto.MIMEHeader, body []byte, live map[string][]string, depth int) {
	if depth > 16 {
		return
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		mt = "text/plain"
	case err != nil && mt == "":
		mt = "application/octet-stream"
	}
	if isOpaqueType(mt) {
		return
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(p)
			scanPart(codec, p.Header, b, live, depth+1)
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		body = looseQP(body)
	case "base64":
		body = looseBase64(base64Run(body))
	}
	if mt == "message/rfc822" || mt == "message/global" {
		scanEntity(codec, body, live, depth+1)
		return
	}
	if cs := params["charset"]; cs != "" {
		if cr, err := charset.Reader(cs, bytes.NewReader(body)); err == nil {
			if d, err := io.ReadAll(cr); err == nil {
				body = d
			}
		}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch kind := oracleKind(mt, disp, name); {
	case kind == "calendar":
		live["calendar"] = append(live["calendar"], calendarLiveLinks(codec, string(body))...)
	case kind == "html":
		live["html-attachment"] = append(live["html-attachment"], htmlLiveLinks(codec, string(body))...)
	case disp == "attachment":
	case mt == "text/html":
		live["html"] = append(live["html"], htmlLiveLinks(codec, string(body))...)
	case mt == "text/plain":
		live["text"] = append(live["text"], textLiveLinks(codec, string(body))...)
	}
}

// base64Run keeps the base64 alphabet and padding of a body, so that
// looseBase64 reads it however its lines are broken.
func base64Run(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r < 128 && (isBase64Byte(byte(r)) || r == '=') {
			return r
		}
		return -1
	}, b)
}

// htmlLiveLinks returns the links a browser opens from an HTML or SVG
// document that are not Kensa links.
func htmlLiveLinks(codec *linktoken.Codec, doc string) []string {
	var live []string
	base := documentBase(codec, doc)
	var scan func(s string, inCond bool)
	scan = func(s string, inCond bool) {
		z := xhtml.NewTokenizer(strings.NewReader(s))
		for {
			tt := z.Next()
			switch tt {
			case xhtml.ErrorToken:
				return
			case xhtml.CommentToken:
				raw := z.Raw()
				if cs, ce, ok := conditionalComment(raw); ok {
					scan(string(raw[cs:ce]), true)
				}
			case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
				tok := z.Token()
				var keys []string
				switch tok.Data {
				case "form":
					keys = []string{"action"}
				case "input", "button":
					keys = []string{"formaction"}
				case "a":
					keys = []string{"href", "xlink:href"}
				case "area":
					keys = []string{"href"}
				default:
					if inCond && tok.Data != "link" && tok.Data != "base" {
						keys = []string{"href"}
					}
				}
				for _, k := range keys {
					v, ok := firstAttr(tok.Attr, k)
					if !ok {
						continue
					}
					if d, ok := htmlDest(v, base); ok && !codec.IsLink(d) && !codec.IsLink(cleanURL(v)) {
						live = append(live, d)
					}
					break // the first of href, xlink:href is the link
				}
			}
		}
	}
	scan(doc, false)
	return live
}
