package rewriter

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
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
	body []byte // the new body, or nil when nothing changed (or splices has it)
	// splices, when set, replace only the lines that changed, at offsets
	// into the part's raw body: the other lines are not even copied.
	splices    []splice
	switchToQP bool // the part must be relabelled quoted-printable
}

// changed reports whether the part has a new body.
func (lo leafOutput) changed() bool { return lo.body != nil || lo.splices != nil }

// rewriteLeaf returns the new body of a text part, given a function that
// finds edits in the decoded text. It runs four steps, each of which may
// give up on the part (errLeafSkipped) but never on the message:
//  1. decode: transfer encoding to lines, charset to UTF-8 text;
//  2. find edits in the text;
//  3. re-encode the lines that hold an edit in the part's charset;
//  4. splice them between the untouched original lines, in the part's
//     transfer encoding (relabelling to quoted-printable if a line grew
//     too long).
func rewriteLeaf(raw []byte, cte, charset string, find func(string) []edit) (leafOutput, error) {
	lines, cte, err := transferLines(raw, cte)
	if err != nil {
		return leafOutput{}, err
	}
	codec, text, err := decodeLines(lines, charset, len(raw))
	if err != nil {
		return leafOutput{}, err
	}

	edits := find(text)
	if len(edits) == 0 {
		return leafOutput{}, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })

	starts := lineStarts(text, len(lines))
	segs, err := encodeChunks(text, starts, groupEdits(edits, starts), codec, charset)
	if err != nil {
		return leafOutput{}, err
	}
	return spliceLines(raw, lines, segs, cte, len(edits)), nil
}

// transferLines undoes the part's transfer encoding and splits the result
// into lines. Where it can, each line keeps its original encoded bytes, so
// that an untouched line is copied back verbatim. It returns the transfer
// encoding the rest of the rewrite must use, which differs from cte only for
// made-up labels.
func transferLines(raw []byte, cte string) ([]line, string, error) {
	switch {
	case cte == "7bit" || cte == "8bit" || cte == "binary":
		return splitLines(raw, true), cte, nil
	case !knownCTE(cte) && !strings.Contains(cte, "uuencode"):
		// QUIRK: phishing mail uses made-up transfer encodings ("8bit+",
		// "hexa"), and mail clients then show the raw bytes. So does
		// Kensa: it treats them as 8bit, so the links the reader sees are
		// protected. The label itself is left alone.
		return splitLines(raw, true), "8bit", nil
	case cte == "quoted-printable":
		if lines, ok := qpLines(raw); ok {
			return lines, cte, nil
		}
		// QUIRK: some generators encode line breaks as =0D=0A and rely
		// on soft breaks; such a part has no raw lines to keep.
		dec, err := qpDecode(raw)
		if err != nil {
			return nil, cte, fmt.Errorf("%w: quoted-printable: %v", errLeafSkipped, err)
		}
		return splitLines(dec, false), cte, nil
	case cte == "base64":
		dec, err := decodeBase64(raw)
		if err != nil {
			return nil, cte, fmt.Errorf("%w: base64: %v", errLeafSkipped, err)
		}
		return splitLines(dec, false), cte, nil
	}
	return nil, cte, fmt.Errorf("%w: transfer encoding %q", errLeafSkipped, cte)
}

// decodeLines converts the transfer-decoded lines to UTF-8 text, joined by
// "\n", and returns the codec that converts edited lines back. Edits are
// mapped to lines by counting "\n", so a charset whose decoding adds or
// removes line breaks is refused rather than spliced at the wrong place.
// sizeHint is the part's raw size, to allocate once.
func decodeLines(lines []line, charset string, sizeHint int) (textCodec, string, error) {
	// A strings.Builder, so that UTF-8 text (the usual case) is the joined
	// lines without another copy of the part.
	var joined strings.Builder
	joined.Grow(sizeHint)
	for i, l := range lines {
		if i > 0 {
			joined.WriteByte('\n')
		}
		joined.Write(l.text)
	}
	codec, err := lookupCodecString(charset, joined.String())
	if err != nil {
		return nil, "", err
	}
	text, err := codec.decodeString(joined.String())
	if err != nil {
		return nil, "", fmt.Errorf("%w: charset %q: %v", errLeafSkipped, charset, err)
	}
	if strings.Count(text, "\n") != len(lines)-1 {
		return nil, "", fmt.Errorf("%w: charset %q changes line structure", errLeafSkipped, charset)
	}
	if err := checkISO2022JPLines(codec, text, lines); err != nil {
		return nil, "", err
	}
	return codec, text, nil
}

// checkISO2022JPLines refuses an ISO-2022-JP part whose lines cannot be
// re-encoded one at a time.
//
// QUIRK: RFC 1468 wants every ISO-2022-JP line to end in ASCII mode. A line
// that does not carries its mode into the next, and decoders disagree about
// what the next line then says. Such a part is passed through rather than
// guessed at.
func checkISO2022JPLines(codec textCodec, text string, lines []line) error {
	if xc, ok := codec.(xCodec); !ok || xc.enc != japanese.ISO2022JP {
		return nil
	}
	var perLine strings.Builder
	var raw []byte
	for i, l := range strings.Split(text, "\n") {
		raw = append(append(raw, lines[i].text...), lines[i].term...)
		perLine.WriteString(l + lines[i].term)
	}
	if w, err := codec.decode(raw); err != nil || w != perLine.String() {
		return fmt.Errorf("%w: an ISO-2022-JP line does not return to ASCII", errLeafSkipped)
	}
	return nil
}

// lineStarts returns the offset in text where each of its n lines starts,
// followed by len(text)+1, so that line i is text[starts[i]:starts[i+1]-1].
func lineStarts(text string, n int) []int {
	starts := make([]int, n+1)
	off := 0
	for i := 0; i < n; i++ {
		starts[i] = off
		nl := strings.IndexByte(text[off:], '\n')
		if nl < 0 {
			off = len(text) + 1
		} else {
			off += nl + 1
		}
	}
	starts[n] = len(text) + 1
	return starts
}

// lineOf returns the line that holds offset pos of the text.
func lineOf(starts []int, pos int) int { return sort.SearchInts(starts, pos+1) - 1 }

// chunk is a run of whole lines and the edits that fall in it. Lines are the
// unit of re-encoding, so edits that share a line share a chunk.
type chunk struct {
	first, last int
	edits       []edit
}

// groupEdits groups edits, sorted by start, into chunks of whole lines.
func groupEdits(edits []edit, starts []int) []chunk {
	var chunks []chunk
	for _, ed := range edits {
		a, b := lineOf(starts, ed.start), lineOf(starts, ed.end)
		if n := len(chunks); n > 0 && a <= chunks[n-1].last {
			chunks[n-1].last = max(chunks[n-1].last, b)
			chunks[n-1].edits = append(chunks[n-1].edits, ed)
			continue
		}
		chunks = append(chunks, chunk{first: a, last: b, edits: []edit{ed}})
	}
	return chunks
}

// segment is the replacement for original lines first..last: new lines,
// charset-encoded but not yet transfer-encoded.
type segment struct {
	first, last int
	lines       [][]byte
}

// encodeChunks applies each chunk's edits to its lines and encodes the result
// in the part's charset. A chunk that the charset cannot encode, or that does
// not decode back to the same text, gives up on the part: a link Kensa cannot
// write faithfully is better left alone than garbled.
func encodeChunks(text string, starts []int, chunks []chunk, codec textCodec, charset string) ([]segment, error) {
	segs := make([]segment, 0, len(chunks))
	for _, c := range chunks {
		newText, err := applyEdits(text, starts[c.first], starts[c.last+1]-1, c.edits)
		if err != nil {
			return nil, err
		}
		enc, err := codec.encode(newText)
		if err != nil {
			return nil, fmt.Errorf("%w: charset %q cannot encode: %v", errLeafSkipped, charset, err)
		}
		if _, same := codec.(utf8Codec); same {
			// UTF-8 bytes are the text's own: nothing to check.
		} else if back, err := codec.decode(enc); err != nil || back != newText {
			return nil, fmt.Errorf("%w: charset %q does not round-trip", errLeafSkipped, charset)
		}
		segs = append(segs, segment{first: c.first, last: c.last, lines: bytes.Split(enc, []byte("\n"))})
	}
	return segs, nil
}

// applyEdits returns text[from:to] with edits, sorted by start, applied. The
// finders promise edits that do not overlap; if they ever do, the part is
// left alone rather than spliced wrongly.
func applyEdits(text string, from, to int, edits []edit) (string, error) {
	var sb strings.Builder
	grow := to - from
	for _, ed := range edits {
		grow += len(ed.repl)
	}
	sb.Grow(grow)
	pos := from
	for _, ed := range edits {
		if ed.start < pos || ed.end > to || ed.start > ed.end {
			return "", fmt.Errorf("%w: overlapping edits", errLeafSkipped)
		}
		sb.WriteString(text[pos:ed.start])
		sb.WriteString(ed.repl)
		pos = ed.end
	}
	sb.WriteString(text[pos:to])
	return sb.String(), nil
}

// spliceLines puts the part back together in its transfer encoding: the
// original bytes of every untouched line, and the segments in between.
// nEdits only sizes the buffer.
func spliceLines(raw []byte, lines []line, segs []segment, cte string, nEdits int) leafOutput {
	style := "\r\n" // the part's line break, for new lines after its last
	for _, l := range lines {
		if l.term != "" {
			style = l.term
			break
		}
	}
	if cte != "base64" {
		if lo, ok := spliceSegments(raw, lines, segs, cte, style); ok {
			return lo
		}
	}
	w := leafWriter{cte: cte}
	w.out.Grow(len(raw) + 256*nEdits)
	next := 0
	for _, s := range segs {
		for i := next; i < s.first; i++ {
			w.emit(lines[i].text, lines[i].term, lines[i].raw)
		}
		w.emitSegment(lines, s, style)
		next = s.last + 1
	}
	for i := next; i < len(lines); i++ {
		w.emit(lines[i].text, lines[i].term, lines[i].raw)
	}

	switch {
	case cte == "base64":
		return leafOutput{body: encodeBase64(w.out.Bytes(), raw)}
	case w.switchToQP:
		// A rewritten line is longer than SMTP allows. Re-encode the whole
		// part as quoted-printable rather than let a relay break the line.
		return leafOutput{body: qpEncodeAll(w.out.Bytes()), switchToQP: true}
	}
	return leafOutput{body: w.out.Bytes()}
}

// spliceSegments is spliceLines when every line kept its original bytes
// and none needs the part re-encoded: it returns the new segments as
// splices over the lines they replace, so that the untouched bytes of the
// part are never copied (a 100 KB newsletter changes a few KB). The bytes
// are the same as spliceLines would write.
func spliceSegments(raw []byte, lines []line, segs []segment, cte, style string) (leafOutput, bool) {
	offs := make([]int, len(lines)+1) // where each line starts in raw
	for i, l := range lines {
		if l.raw == nil {
			return leafOutput{}, false
		}
		offs[i+1] = offs[i] + len(l.raw)
	}
	if offs[len(lines)] != len(raw) {
		return leafOutput{}, false
	}
	out := make([]splice, 0, len(segs))
	for _, s := range segs {
		w := leafWriter{cte: cte}
		w.emitSegment(lines, s, style)
		if w.switchToQP {
			return leafOutput{}, false
		}
		out = append(out, splice{offs[s.first], offs[s.last+1], w.out.Bytes()})
	}
	return leafOutput{splices: out}, true
}

// emitSegment writes the new lines of segment s.
func (w *leafWriter) emitSegment(lines []line, s segment, style string) {
	for i, nl := range s.lines {
		// A segment keeps the line breaks of the lines it replaces:
		// the first line's in the middle, the last line's at the end.
		// QUIRK: a refolded calendar line (ical.go) may add lines to
		// the part's last line, which has no line break of its own.
		term := lines[s.first].term
		if term == "" {
			term = style
		}
		if i == len(s.lines)-1 {
			term = lines[s.last].term
		}
		w.emit(nl, term, nil)
	}
}

// leafWriter writes the lines of a part in its transfer encoding.
type leafWriter struct {
	cte        string
	out        bytes.Buffer
	switchToQP bool // a new line is too long for SMTP in this encoding
}

// emit writes one line: its original bytes when it has them (untouched lines
// outside base64), else the new line encoded for the part. Base64 is encoded
// later, as a whole.
func (w *leafWriter) emit(newLine []byte, term string, origRaw []byte) {
	switch {
	case origRaw != nil:
		w.out.Write(origRaw)
	case w.cte == "quoted-printable":
		w.out.Write(qpEncodeLine(newLine, term))
		w.out.WriteString(term)
	default:
		if w.cte != "base64" && len(newLine) > maxLineOctets {
			w.switchToQP = true
		}
		w.out.Write(newLine)
		w.out.WriteString(term)
	}
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
	dec, err := qpDecode(raw)
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

// qpDecode decodes a quoted-printable body into one buffer of the body's
// size, which the decoded text never exceeds (io.ReadAll would grow one from
// 512 bytes, copying as it goes).
func qpDecode(raw []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(raw) + bytes.MinRead)
	_, err := b.ReadFrom(quotedprintable.NewReader(bytes.NewReader(raw)))
	return b.Bytes(), err
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
