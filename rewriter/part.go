package rewriter

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"sort"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// This file rewrites one text leaf: it undoes the transfer encoding and the
// charset, asks html.go or text.go for edits in the decoded text, and puts the
// bytes back. Only the lines that hold an edit are re-encoded; every other line
// keeps its original bytes (for base64 the whole part is re-encoded, since its
// lines do not follow the text's).

// edit replaces text[start:end] of a part's decoded text.
type edit struct {
	start, end int
	repl       string
}

// line is one line of a part after transfer decoding.
type line struct {
	text []byte // without the line terminator
	raw  []byte // the original encoded bytes, terminator included (nil for base64)
	term string // "\r\n", "\n" or "" (last line)
}

const maxLineOctets = 998 // RFC 5322 §2.1.1

// errLeafSkipped wraps the reasons a text part is passed through unchanged.
var errLeafSkipped = errors.New("rewriter: part left unchanged")

type leafOutput struct {
	body       []byte // the new body, or nil when nothing changed
	switchToQP bool   // the part must be relabelled quoted-printable
}

// rewriteLeaf returns the new body of a text part, given a function that
// finds edits in the decoded text.
func rewriteLeaf(raw []byte, cte, charset string, find func(string) []edit) (leafOutput, error) {
	var lines []line
	switch {
	case cte == "7bit" || cte == "8bit" || cte == "binary":
		lines = splitLines(raw, true)
	case !knownCTE(cte) && !strings.Contains(cte, "uuencode"):
		// QUIRK: phishing mail uses made-up transfer encodings ("8bit+",
		// "hexa"), and mail clients then show the raw bytes. So does
		// Kensa: it treats them as 8bit, so the links the reader sees are
		// protected. The label itself is left alone.
		cte = "8bit"
		lines = splitLines(raw, true)
	case cte == "quoted-printable":
		var ok bool
		lines, ok = qpLines(raw)
		if !ok {
			// QUIRK: some generators encode line breaks as =0D=0A and rely
			// on soft breaks; such a part has no raw lines to keep.
			dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
			if err != nil {
				return leafOutput{}, fmt.Errorf("%w: quoted-printable: %v", errLeafSkipped, err)
			}
			lines = splitLines(dec, false)
		}
	case cte == "base64":
		dec, err := decodeBase64(raw)
		if err != nil {
			return leafOutput{}, fmt.Errorf("%w: base64: %v", errLeafSkipped, err)
		}
		lines = splitLines(dec, false)
	default:
		return leafOutput{}, fmt.Errorf("%w: transfer encoding %q", errLeafSkipped, cte)
	}

	var joined bytes.Buffer
	joined.Grow(len(raw))
	for i, l := range lines {
		if i > 0 {
			joined.WriteByte('\n')
		}
		joined.Write(l.text)
	}
	codec, err := lookupCodec(charset, joined.Bytes())
	if err != nil {
		return leafOutput{}, err
	}
	text, err := codec.decode(joined.Bytes())
	if err != nil {
		return leafOutput{}, fmt.Errorf("%w: charset %q: %v", errLeafSkipped, charset, err)
	}
	if strings.Count(text, "\n") != len(lines)-1 {
		return leafOutput{}, fmt.Errorf("%w: charset %q changes line structure", errLeafSkipped, charset)
	}
	if xc, ok := codec.(xCodec); ok && xc.enc == japanese.ISO2022JP {
		// QUIRK: RFC 1468 wants every ISO-2022-JP line to end in ASCII
		// mode. A line that does not carries its mode into the next, and
		// decoders disagree about what the next line then says. Such a
		// part is passed through rather than guessed at.
		var perLine strings.Builder
		var raw []byte
		for i, l := range strings.Split(text, "\n") {
			raw = append(append(raw, lines[i].text...), lines[i].term...)
			perLine.WriteString(l + lines[i].term)
		}
		if w, err := codec.decode(raw); err != nil || w != perLine.String() {
			return leafOutput{}, fmt.Errorf("%w: an ISO-2022-JP line does not return to ASCII", errLeafSkipped)
		}
	}

	edits := find(text)
	if len(edits) == 0 {
		return leafOutput{}, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })

	// Line start offsets in text.
	starts := make([]int, len(lines)+1)
	off := 0
	for i := range lines {
		starts[i] = off
		nl := strings.IndexByte(text[off:], '\n')
		if nl < 0 {
			off = len(text) + 1
		} else {
			off += nl + 1
		}
	}
	starts[len(lines)] = len(text) + 1
	lineOf := func(pos int) int { return sort.SearchInts(starts, pos+1) - 1 }

	// Group edits into chunks of whole lines.
	type chunk struct {
		first, last int
		edits       []edit
	}
	var chunks []chunk
	for _, ed := range edits {
		a, b := lineOf(ed.start), lineOf(ed.end)
		if n := len(chunks); n > 0 && a <= chunks[n-1].last {
			chunks[n-1].last = max(chunks[n-1].last, b)
			chunks[n-1].edits = append(chunks[n-1].edits, ed)
			continue
		}
		chunks = append(chunks, chunk{first: a, last: b, edits: []edit{ed}})
	}

	type segment struct {
		first, last int      // original lines replaced
		lines       [][]byte // new transfer-decoded lines
	}
	segs := make([]segment, 0, len(chunks))
	for _, c := range chunks {
		from, to := starts[c.first], starts[c.last+1]-1
		var sb strings.Builder
		grow := to - from
		for _, ed := range c.edits {
			grow += len(ed.repl)
		}
		sb.Grow(grow)
		pos := from
		for _, ed := range c.edits {
			if ed.start < pos || ed.end > to || ed.start > ed.end {
				return leafOutput{}, fmt.Errorf("%w: overlapping edits", errLeafSkipped)
			}
			sb.WriteString(text[pos:ed.start])
			sb.WriteString(ed.repl)
			pos = ed.end
		}
		sb.WriteString(text[pos:to])
		newText := sb.String()
		enc, err := codec.encode(newText)
		if err != nil {
			return leafOutput{}, fmt.Errorf("%w: charset %q cannot encode: %v", errLeafSkipped, charset, err)
		}
		if back, err := codec.decode(enc); err != nil || back != newText {
			return leafOutput{}, fmt.Errorf("%w: charset %q does not round-trip", errLeafSkipped, charset)
		}
		segs = append(segs, segment{first: c.first, last: c.last, lines: bytes.Split(enc, []byte("\n"))})
	}

	// Put the lines back together in the part's transfer encoding.
	var out bytes.Buffer
	out.Grow(len(raw) + 256*len(edits))
	switchToQP := false
	emit := func(newLine []byte, term string, origRaw []byte) {
		switch {
		case origRaw != nil:
			out.Write(origRaw)
		case cte == "quoted-printable":
			out.Write(qpEncodeLine(newLine, term))
			out.WriteString(term)
		default:
			if cte != "base64" && len(newLine) > maxLineOctets {
				switchToQP = true
			}
			out.Write(newLine)
			out.WriteString(term)
		}
	}
	next := 0
	for _, s := range segs {
		for i := next; i < s.first; i++ {
			emit(lines[i].text, lines[i].term, lines[i].raw)
		}
		for i, nl := range s.lines {
			term := lines[s.first].term
			if i == len(s.lines)-1 {
				term = lines[s.last].term
			}
			emit(nl, term, nil)
		}
		next = s.last + 1
	}
	for i := next; i < len(lines); i++ {
		emit(lines[i].text, lines[i].term, lines[i].raw)
	}

	switch {
	case cte == "base64":
		return leafOutput{body: encodeBase64(out.Bytes(), raw)}, nil
	case switchToQP:
		// A rewritten line is longer than SMTP allows. Re-encode the whole
		// part as quoted-printable rather than let a relay break the line.
		return leafOutput{body: qpEncodeAll(out.Bytes()), switchToQP: true}, nil
	}
	return leafOutput{body: out.Bytes()}, nil
}

func knownCTE(cte string) bool {
	switch cte {
	case "7bit", "8bit", "binary", "quoted-printable", "base64":
		return true
	}
	return false
}

// splitLines splits b into lines. With keepRaw, each line remembers its
// original bytes so that untouched lines are copied verbatim.
func splitLines(b []byte, keepRaw bool) []line {
	lines := make([]line, 0, bytes.Count(b, []byte("\n"))+1)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l := line{text: b}
			if keepRaw {
				l.raw = b
			}
			return append(lines, l)
		}
		l := line{text: b[:i], term: "\n"}
		if i > 0 && b[i-1] == '\r' {
			l.text, l.term = b[:i-1], "\r\n"
		}
		if keepRaw {
			l.raw = b[:i+1]
		}
		lines = append(lines, l)
		b = b[i+1:]
	}
}

// qpLines splits a quoted-printable body into logical lines (raw lines joined
// by soft line breaks) and decodes them. It reports false when decoded and
// raw lines do not pair up: encoded line breaks (=0A, =0D) in the text.
func qpLines(raw []byte) ([]line, bool) {
	// One decoder for the whole body: a decoder per line costs a buffer each.
	dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, false
	}
	decLines := splitLines(dec, false)
	rawLines := splitLines(raw, true)
	lines := make([]line, 0, len(decLines))
	groupStart, off := 0, 0 // byte offsets in raw of the logical line and of rl
	for i, rl := range rawLines {
		off += len(rl.raw)
		t := bytes.TrimRight(rl.text, " \t")
		if bytes.HasSuffix(t, []byte("=")) && i < len(rawLines)-1 {
			continue // soft line break: the logical line goes on
		}
		k := len(lines)
		if k >= len(decLines) || hasEncodedBreak(t) {
			return nil, false
		}
		lines = append(lines, line{text: decLines[k].text, raw: raw[groupStart:off], term: rl.term})
		groupStart = off
	}
	if len(lines) != len(decLines) {
		return nil, false
	}
	return lines, true
}

// hasEncodedBreak reports whether an encoded line ends in =0D or =0A, which
// the decoder would turn into part of a line break.
func hasEncodedBreak(t []byte) bool {
	if len(t) < 3 {
		return false
	}
	e := bytes.ToUpper(t[len(t)-3:])
	return bytes.Equal(e, []byte("=0D")) || bytes.Equal(e, []byte("=0A"))
}

// qpEncodeLine encodes one line of text as quoted-printable, with soft line
// breaks in the style of term, and without a final line break.
func qpEncodeLine(text []byte, term string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Binary = true // a lone CR inside the line is data, not a line break
	w.Write(text)
	w.Close()
	out := b.Bytes()
	if term == "\n" {
		out = bytes.ReplaceAll(out, []byte("=\r\n"), []byte("=\n"))
	}
	return out
}

// qpEncodeAll encodes a whole body as quoted-printable, line by line, so
// that line breaks keep their style and a lone CR stays data (=0D).
func qpEncodeAll(body []byte) []byte {
	style := "\r\n"
	if i := bytes.IndexByte(body, '\n'); i >= 0 && (i == 0 || body[i-1] != '\r') {
		style = "\n"
	}
	var out bytes.Buffer
	out.Grow(len(body) * 11 / 10)
	for _, l := range splitLines(body, false) {
		term := l.term
		if term == "" {
			term = style
		}
		out.Write(qpEncodeLine(l.text, term))
		out.WriteString(l.term)
	}
	return out.Bytes()
}

func decodeBase64(raw []byte) ([]byte, error) {
	clean := make([]byte, 0, len(raw))
	for _, c := range raw {
		switch c {
		case '\r', '\n', ' ', '\t':
		default:
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// encodeBase64 encodes data in the line length and line break style of the
// original body (76 columns when it cannot tell).
func encodeBase64(data, orig []byte) []byte {
	width, term := 76, "\r\n"
	if i := bytes.IndexByte(orig, '\n'); i >= 0 {
		first := bytes.TrimRight(orig[:i], "\r")
		if i == 0 || orig[i-1] != '\r' {
			term = "\n"
		}
		if n := len(first); n >= 4 && n%4 == 0 && n <= 76 {
			width = n
		}
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	b.Grow(len(enc) + len(enc)/width*2 + 2)
	for len(enc) > width {
		b.WriteString(enc[:width])
		b.WriteString(term)
		enc = enc[width:]
	}
	b.WriteString(enc)
	if bytes.HasSuffix(bytes.TrimRight(orig, " \t"), []byte("\n")) {
		b.WriteString(term)
	}
	return b.Bytes()
}
