package rewriter

import (
	"bufio"
	"bytes"
	"errors"
	"mime"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// This file finds the MIME structure of a message over its raw bytes.
//
// Hand-written on purpose: go-message and net/mail parse MIME well, but they
// hand back decoded parts and re-serialise on output, which loses the exact
// bytes of boundaries, preamble, epilogue and untouched parts (and go-message
// writes only UTF-8). Kensa must change the bytes of links and nothing else,
// so it records byte offsets and splices. Header fields are still parsed by
// go-message's textproto and media types by the standard library.

// Limits beyond which a message's structure is absurd. No mail client or
// generator needs more; a sender who goes past them wants the rewriter to
// give up. It does not: the message is refused as a tree and read raw
// (fallback.go, FallbackTooComplex). They also bound the work per message.
const (
	maxDepth = 32   // nesting of multiparts and message/rfc822
	maxParts = 2000 // parts in one message
	// MaxHeaderFields is the most header fields one entity may have. The
	// milter asks its library for one more, so that a longer header is
	// seen as too long rather than silently cut.
	MaxHeaderFields = 5000
)

var errTooComplex = errors.New("rewriter: message nests too deep, has too many parts or too many header fields")

// entity is one MIME entity (the message itself, a part, or an embedded
// message) located in the original bytes.
type entity struct {
	start      int // first byte of the header
	headerEnd  int // first byte after the header's last field (before the blank line)
	bodyStart  int // first byte of the body
	end        int // first byte after the body
	header     textproto.Header
	headerErr  error // the header could not be parsed: the entity is left alone
	mediaType  string
	params     map[string]string
	children   []*entity // multipart parts, or the embedded message
	path       string    // "1.2" style, for logs
	multiErr   error     // multipart structure could not be found
	attachment bool
	filename   string // Content-Disposition's filename, or Content-Type's name
}

type parser struct {
	src   []byte
	parts int
}

// parseEntity parses the entity in src[start:end]. It never fails: problems are
// recorded on the entity, which is then passed through untouched.
func (p *parser) parseEntity(start, end int, path string, depth int, defaultType string) (*entity, error) {
	p.parts++
	if p.parts > maxParts || depth > maxDepth {
		return nil, errTooComplex
	}
	e := &entity{start: start, end: end, path: path}
	e.headerEnd, e.bodyStart = splitHeader(p.src[start:end])
	e.headerEnd += start
	e.bodyStart += start

	hdr := p.src[start:e.bodyStart]
	h, err := textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(hdr), max(len(hdr), 16)))
	if err != nil && e.bodyStart < end {
		e.headerErr = err
		return e, nil
	}
	e.header = h
	if h.Len() > MaxHeaderFields {
		return nil, errTooComplex
	}

	ct := h.Get("Content-Type")
	if ct == "" {
		ct = defaultType
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		// QUIRK: phishing mail often carries broken Content-Type values. An
		// entity whose type we cannot read is not rewritten.
		mt, params = "application/octet-stream", nil
	}
	e.mediaType, e.params = mt, params
	d, dparams, derr := mime.ParseMediaType(h.Get("Content-Disposition"))
	e.attachment = derr == nil && d == "attachment"
	e.filename = dparams["filename"]
	if e.filename == "" {
		e.filename = params["name"]
	}

	switch {
	case isOpaqueType(mt):
		// Signed or encrypted content: any change would break it.
	case strings.HasPrefix(mt, "multipart/"):
		childType := "text/plain"
		if mt == "multipart/digest" {
			childType = "message/rfc822"
		}
		if err := p.parseMultipart(e, depth, childType); err != nil {
			if errors.Is(err, errTooComplex) {
				return nil, err
			}
			e.multiErr = err
			e.children = nil
		}
	case mt == "message/rfc822" || mt == "message/global":
		if cte := transferEncoding(h); cte == "7bit" || cte == "8bit" || cte == "binary" {
			child, err := p.parseEntity(e.bodyStart, end, path+".m", depth+1, "text/plain")
			if err != nil {
				return nil, err
			}
			e.children = []*entity{child}
		}
	}
	return e, nil
}

func isOpaqueType(mt string) bool {
	switch mt {
	case "multipart/signed", "multipart/encrypted",
		"application/pkcs7-mime", "application/x-pkcs7-mime",
		"application/pkcs7-signature", "application/x-pkcs7-signature",
		"application/pgp-encrypted", "application/pgp-signature":
		return true
	}
	return false
}

// splitHeader returns the offset where the header fields end and where the
// body starts. The blank line between them belongs to neither. A message
// without a blank line is all header.
func splitHeader(b []byte) (headerEnd, bodyStart int) {
	i := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return len(b), len(b)
		}
		line := b[i : i+j]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i, i + j + 1
		}
		i += j + 1
	}
	return len(b), len(b)
}

// parseMultipart finds the parts of a multipart body by its boundary lines.
// RFC 2046 §5.1.1: the line break before a delimiter line belongs to the
// delimiter, so a part's body ends before it.
func (p *parser) parseMultipart(e *entity, depth int, childType string) error {
	boundary := e.params["boundary"]
	if boundary == "" {
		return errors.New("multipart without boundary")
	}
	dash := "--" + boundary
	type delim struct {
		lineStart, next int // start of the delimiter line (before its preceding line break), first byte after it
		close           bool
	}
	var delims []delim
	b := p.src[:e.end]
	i := e.bodyStart
	for i < e.end {
		j := bytes.IndexByte(b[i:], '\n')
		lineEnd, next := e.end, e.end
		if j >= 0 {
			lineEnd, next = i+j, i+j+1
		}
		line := b[i:lineEnd]
		if bytes.HasPrefix(line, []byte(dash)) {
			rest := line[len(dash):]
			closing := bytes.HasPrefix(rest, []byte("--"))
			if closing {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t\r")) == 0 {
				start := i
				// The preceding line break (CRLF or LF) belongs to the delimiter.
				if start > e.bodyStart && b[start-1] == '\n' {
					start--
					if start > e.bodyStart && b[start-1] == '\r' {
						start--
					}
				}
				delims = append(delims, delim{lineStart: start, next: next, close: closing})
				if closing {
					break
				}
			}
		}
		i = next
	}
	if len(delims) == 0 || delims[0].close {
		return errors.New("multipart without parts")
	}
	for k := 0; k < len(delims); k++ {
		if delims[k].close {
			break
		}
		partEnd := e.end
		if k+1 < len(delims) {
			partEnd = delims[k+1].lineStart
		}
		// QUIRK: a missing closing delimiter is common in truncated mail; the
		// last part then runs to the end of the enclosing body.
		start := delims[k].next
		if start > partEnd {
			start = partEnd
		}
		child, err := p.parseEntity(start, partEnd, childPath(e.path, len(e.children)+1), depth+1, childType)
		if err != nil {
			return err
		}
		e.children = append(e.children, child)
	}
	return nil
}

func childPath(parent string, n int) string {
	if parent == "" {
		return strconv.Itoa(n)
	}
	return parent + "." + strconv.Itoa(n)
}

func transferEncoding(h textproto.Header) string {
	v := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	if v == "" {
		return "7bit"
	}
	return v
}
