package rewriter

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter/textlink"
)

// This file is the fallback for what the rewriter cannot read faithfully
// (issue 16). Failing to parse a message's structure or to decode a part is
// never a reason to leave its links live: a sender would only have to break
// the structure on purpose. So where the faithful path (mime.go, part.go)
// gives up, links are found in what can be read, best effort, and replaced:
//
//   - a part that cannot be decoded strictly (broken base64, an unknown
//     charset, UTF-16, ...) is decoded leniently as a whole, rewritten, and
//     encoded again as a whole (rewriteLeafLenient);
//   - a message, or a part, whose structure cannot be parsed or is absurd
//     (maxDepth, maxParts, MaxHeaderFields) is scanned as raw bytes
//     (rawSplices): links in the text as it stands, in quoted-printable as
//     it decodes, and in base64 blocks as they decode.
//
// Every fallback is recorded in Result.Fallbacks, so callers count and log
// it. Kensa links are ASCII, so splicing them into the bytes of any
// ASCII-compatible text is safe; only the bytes of links change, except
// that a part decoded leniently is encoded again cleanly.

// Fallback reasons (Fallback.Reason).
const (
	FallbackUnparsable     = "unparsable"      // the message header cannot be parsed
	FallbackTooComplex     = "too-complex"     // nesting, part count or header fields beyond the limits
	FallbackBadPartHeader  = "bad-part-header" // a part's header cannot be parsed
	FallbackBadMultipart   = "bad-multipart"   // a multipart without boundary or parts
	FallbackUnknownCharset = "unknown-charset" // read as ASCII-compatible bytes
	FallbackUTF16          = "utf-16"          // decoded and re-encoded as a whole
	FallbackUndecodable    = "undecodable"     // transfer encoding or charset decoded leniently
)

// OnUnparsable values (Policy.OnUnparsable).
const (
	OnUnparsableRewriteRaw = "rewrite-raw" // the default: rewrite links best effort
	OnUnparsableTag        = "tag"         // leave those bytes alone, add UnparsableHeader
	OnUnparsableHold       = "hold"        // as tag, and Result.Hold: the caller holds the message
)

// FallbackHeader is added, next to TraceHeader, when a fallback happened,
// with a summary of the reasons ("too-complex", "unknown-charset=2 utf-16").
const FallbackHeader = "X-Kensa-Fallback"

// UnparsableHeader is added under on_unparsable: tag or hold, with the same
// summary, instead of rewriting what could not be parsed.
const UnparsableHeader = "X-Kensa-Unparsable"

// Fallback is one place where the rewriter read best effort.
type Fallback struct {
	Path   string // MIME part path, "1.2"; "" for the message itself
	Reason string // one of the Fallback* constants
	Err    error  // what the faithful path said, if anything
}

func (f Fallback) String() string {
	s := f.Reason
	if f.Path != "" {
		s = f.Path + " " + s
	}
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

// FallbackSummary sums fallbacks up by reason, for a header value or a log.
func FallbackSummary(fbs []Fallback) string {
	n := map[string]int{}
	for _, f := range fbs {
		n[f.Reason]++
	}
	var out []string
	for r, k := range n {
		if k > 1 {
			r += "=" + strconv.Itoa(k)
		}
		out = append(out, r)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// rewriteRaw reports whether the policy lets fallbacks change bytes.
func (lk *linker) rewriteRaw() bool {
	return lk.policy.OnUnparsable == "" || lk.policy.OnUnparsable == OnUnparsableRewriteRaw
}

// rawFallback records a fallback over src[start:end] and, when the policy
// allows, returns splices that replace the links found in those raw bytes.
// inHeader says that the region starts with a MIME header (a part whose
// header could not be parsed); cte is the transfer encoding the region's body
// is known to have, or "" when it is not known.
func rawFallback(src []byte, start, end int, cte string, inHeader bool, path, reason string, err error, lk *linker, res *Result, splices []splice) []splice {
	res.Fallbacks = append(res.Fallbacks, Fallback{Path: path, Reason: reason, Err: err})
	if !lk.rewriteRaw() {
		return splices
	}
	got := rawSplices(src, start, end, cte, inHeader, lk)
	if len(got) > 0 {
		res.Parts++
	}
	return append(splices, got...)
}

// Raw scanning modes of a run of lines.
const (
	modePlain = iota // the bytes as they stand
	modeQP           // quoted-printable: decoded for finding, links encoded back
	modeB64          // a base64 block: decoded, rewritten, encoded again
)

// rawSplices finds links in the raw bytes src[start:end] and returns splices
// that replace them. It follows the MIME structure only as far as it shows
// in the lines (boundary lines, header fields, Content-Transfer-Encoding),
// to know which lines are quoted-printable or base64. Where the encoding is
// not known (cte ""), a line that ends in a soft line break or holds "=3D"
// is read as quoted-printable, and a block of lines made only of base64
// characters as base64.
func rawSplices(src []byte, start, end int, cte string, inHeader bool, lk *linker) []splice {
	type run struct {
		mode       int
		start, end int
	}
	var runs []run
	add := func(mode, s, e int) {
		if n := len(runs); n > 0 && runs[n-1].mode == mode && runs[n-1].end == s {
			runs[n-1].end = e
			return
		}
		runs = append(runs, run{mode, s, e})
	}
	cte = strings.ToLower(strings.TrimSpace(cte))
	pending := "7bit"
	prevSoft := false
	for i := start; i < end; {
		j := bytes.IndexByte(src[i:end], '\n')
		next := end
		if j >= 0 {
			next = i + j + 1
		}
		line := bytes.TrimRight(src[i:next], "\r\n")
		if inHeader {
			switch {
			case len(line) == 0:
				inHeader, cte = false, pending
				add(modePlain, i, next)
				i = next
				continue
			case line[0] == ' ' || line[0] == '\t' || isFieldLine(line):
				if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(bytes.TrimSpace(k)), "content-transfer-encoding") {
					pending = strings.ToLower(string(bytes.TrimSpace(v)))
				}
				add(modePlain, i, next)
				i = next
				continue
			}
			// Not a header field: a mail client shows it as the body.
			inHeader, cte = false, pending
		}
		if isBoundaryLike(line) {
			inHeader, pending, prevSoft = true, "7bit", false
			add(modePlain, i, next)
			i = next
			continue
		}
		mode := modePlain
		switch {
		case cte == "quoted-printable":
			mode = modeQP
		case cte == "base64" && len(line) > 0:
			mode = modeB64
		case cte == "":
			switch {
			case prevSoft || bytes.HasSuffix(line, []byte("=")) && !isBase64Line(line) || bytes.Contains(bytes.ToUpper(line), []byte("=3D")):
				mode = modeQP
			case isBase64Line(line) && len(line) >= 8:
				mode = modeB64
			}
		}
		prevSoft = mode == modeQP && bytes.HasSuffix(bytes.TrimRight(line, " \t"), []byte("="))
		add(mode, i, next)
		i = next
	}

	var out []splice
	for _, r := range runs {
		raw := src[r.start:r.end]
		switch r.mode {
		case modePlain:
			for _, ed := range lk.rawEdits(string(raw)) {
				out = append(out, splice{r.start + ed.start, r.start + ed.end, []byte(ed.repl)})
			}
		case modeQP:
			view, starts, ends := qpView(raw)
			term := "\r\n"
			if k := bytes.IndexByte(raw, '\n'); k >= 0 && (k == 0 || raw[k-1] != '\r') {
				term = "\n"
			}
			for _, ed := range lk.rawEdits(string(view)) {
				out = append(out, splice{r.start + starts[ed.start], r.start + ends[ed.end-1], qpLink(ed.repl, term)})
			}
		case modeB64:
			data := lenientBase64(raw)
			edits := lk.rawEdits(string(data))
			if len(edits) == 0 {
				continue
			}
			text, err := applyEdits(string(data), 0, len(data), edits)
			if err != nil {
				continue
			}
			out = append(out, splice{r.start, r.end, encodeBase64([]byte(text), raw)})
		}
	}
	return out
}

// rawEdits finds links in text that may be HTML, plain text or neither: the
// href of every <a> and <area> as the HTML tokenizer reads them, and every
// link in the text that is not inside one of those or an existing Kensa link.
func (lk *linker) rawEdits(text string) []edit {
	if !strings.Contains(text, "://") && !strings.Contains(strings.ToLower(text), "www.") &&
		!strings.Contains(strings.ToLower(text), "href") {
		return nil
	}
	text = maskEscapes(text)
	edits := lk.htmlEdits(text)
	taken := linktoken.Find(lk.codec.Base(), text)
	for _, ed := range edits {
		taken = append(taken, [2]int{ed.start, ed.end})
	}
	sort.Slice(taken, func(i, j int) bool { return taken[i][0] < taken[j][0] })
	// Links come in order; so do taken ranges. k skips the ranges that end
	// before the link; reach is the furthest end among those that start
	// before it ends.
	k := 0
	for _, l := range textlink.Find(text) {
		for k < len(taken) && taken[k][1] <= l.Start {
			k++
		}
		overlaps := false
		for j := k; j < len(taken) && taken[j][0] < l.End; j++ {
			if taken[j][1] > l.Start {
				overlaps = true
				break
			}
		}
		if overlaps {
			continue
		}
		if link, ok := lk.wrap(l.URL, "", true, l.Schemeless); ok {
			edits = append(edits, edit{start: l.Start, end: l.End, repl: link})
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	// Edits never overlap (hrefs are inside tags, text links outside them),
	// but a raw scan must not splice wrongly if they ever did.
	kept := edits[:0]
	pos := 0
	for _, ed := range edits {
		if ed.start >= pos && ed.end > ed.start {
			kept = append(kept, ed)
			pos = ed.end
		}
	}
	return kept
}

// maskEscapes blanks ISO 2022 escape sequences (ESC, intermediate bytes,
// final byte) and shift codes, byte for byte, in text read as bytes: edits
// found in the result apply to the original at the same offsets. Without it
// "\x1b(Bhttps://..." hides its link behind the letter B, while a client
// that decodes ISO-2022-JP shows it.
func maskEscapes(text string) string {
	if !strings.ContainsAny(text, "\x1b\x0e\x0f") {
		return text
	}
	b := []byte(text)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0x0e, 0x0f:
			b[i] = ' '
		case 0x1b:
			b[i] = ' '
			j := i + 1
			for j < len(b) && b[j] >= 0x20 && b[j] <= 0x2f {
				b[j] = ' '
				j++
			}
			if j < len(b) && b[j] >= 0x30 && b[j] <= 0x7e {
				b[j] = ' '
				j++
			}
			i = j - 1
		}
	}
	return string(b)
}

// isFieldLine reports whether a header line starts with a field name and a
// colon (RFC 5322 §2.2: printable ASCII except colon).
func isFieldLine(line []byte) bool {
	k := bytes.IndexByte(line, ':')
	if k <= 0 {
		return false
	}
	for _, c := range line[:k] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// isBoundaryLike reports whether a line could be a multipart delimiter.
func isBoundaryLike(line []byte) bool {
	return len(line) > 2 && line[0] == '-' && line[1] == '-' && line[2] > ' '
}

func isBase64Line(line []byte) bool {
	if len(line) == 0 {
		return false
	}
	for _, c := range line {
		if !isBase64Byte(c) && c != '=' {
			return false
		}
	}
	return true
}

func isBase64Byte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// lenientBase64 decodes base64 as forgiving mail clients do: characters
// outside the alphabet are skipped, and padding ends a group of four but not
// the data ("aGk=aGk=" is "hihi"). Strict decoders stop or fail there, and a
// sender relies on Kensa being one of them.
func lenientBase64(raw []byte) []byte {
	out := make([]byte, 0, len(raw)*3/4)
	var quad [4]byte
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, quad[0]<<2|quad[1]>>4)
		case 3:
			out = append(out, quad[0]<<2|quad[1]>>4, quad[1]<<4|quad[2]>>2)
		}
		n = 0
	}
	for _, c := range raw {
		var v byte
		switch {
		case 'A' <= c && c <= 'Z':
			v = c - 'A'
		case 'a' <= c && c <= 'z':
			v = c - 'a' + 26
		case '0' <= c && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			flush()
			continue
		default:
			continue
		}
		quad[n] = v
		n++
		if n == 4 {
			out = append(out, quad[0]<<2|quad[1]>>4, quad[1]<<4|quad[2]>>2, quad[2]<<6|quad[3])
			n = 0
		}
	}
	flush()
	return out
}

// decodeBase64Strict reports whether raw is clean base64 (whitespace apart).
func decodeBase64Strict(raw []byte) bool {
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, raw)
	_, err := base64.StdEncoding.DecodeString(string(clean))
	return err == nil
}

// qpView decodes quoted-printable leniently (soft line breaks removed, "=XX"
// decoded, anything else kept) and says, for each decoded byte, where its
// encoding starts and ends in raw.
func qpView(raw []byte) (view []byte, starts, ends []int) {
	view = make([]byte, 0, len(raw))
	starts = make([]int, 0, len(raw))
	ends = make([]int, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '=' {
			// A soft line break: "=" then optional white space then a line break.
			k := i + 1
			for k < len(raw) && (raw[k] == ' ' || raw[k] == '\t') {
				k++
			}
			if k < len(raw) && raw[k] == '\n' {
				i = k + 1
				continue
			}
			if k+1 < len(raw) && raw[k] == '\r' && raw[k+1] == '\n' {
				i = k + 2
				continue
			}
			if i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
				v, _ := strconv.ParseUint(string(raw[i+1:i+3]), 16, 8)
				view = append(view, byte(v))
				starts, ends = append(starts, i), append(ends, i+3)
				i += 3
				continue
			}
		}
		view = append(view, c)
		starts, ends = append(starts, i), append(ends, i+1)
		i++
	}
	return view, starts, ends
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// qpLink encodes a Kensa link (ASCII) as quoted-printable, with soft line
// breaks in the style of term so that no line grows past 76 columns by much.
// Colons are encoded too (=3A, which QP allows for any character): a client
// that shows the part undecoded then shows no "https://" of the original
// link on a line of its own, which a linkifier would make live.
func qpLink(link, term string) []byte {
	var b bytes.Buffer
	col := 0
	for i := 0; i < len(link); i++ {
		c := link[i]
		enc := string(c)
		if c == '=' || c == ':' || c < '!' || c > '~' {
			enc = fmt.Sprintf("=%02X", c)
		}
		if col+len(enc) > 75 {
			b.WriteString("=" + term)
			col = 0
		}
		b.WriteString(enc)
		col += len(enc)
	}
	return b.Bytes()
}

// headerFieldValue finds a header field in raw header bytes without parsing
// them, for headers the parser refused.
func headerFieldValue(hdr []byte, name string) string {
	for _, line := range bytes.Split(hdr, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(bytes.TrimSpace(k)), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// rewriteLeafLenient is rewriteLeaf for a part that rewriteLeaf gave up on:
// it decodes the whole part leniently (lenientBase64, qpView), reads the
// text in its charset when that works, as UTF-16 or UTF-32 when labelled so,
// and else as ASCII-compatible bytes, applies the edits, and encodes the
// whole part again. It never gives up: byte-transparent reading always
// round-trips.
//
// reset is called before a retry in the next reading, to take back the links
// counted in the last.
func rewriteLeafLenient(raw []byte, cte, charset string, find func(string) []edit, reset func()) leafOutput {
	var data []byte
	switch cte {
	case "base64":
		data = lenientBase64(raw)
	case "quoted-printable":
		data, _, _ = qpView(raw)
	default:
		data = raw
	}
	codecs := make([]textCodec, 0, 2)
	wide := false
	if c, ok := wideCodec(charset, data); ok {
		codecs, wide = append(codecs, c), true
	} else if c, err := lookupCodec(charset, data); err == nil {
		codecs = append(codecs, c)
	}
	codecs = append(codecs, utf8Codec{}) // byte-transparent: always round-trips
	for k, codec := range codecs {
		text, err := codec.decode(data)
		if err != nil {
			continue
		}
		if k > 0 {
			reset()
		}
		edits := find(maskEscapes(text))
		if len(edits) == 0 {
			return leafOutput{}
		}
		sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
		newText, err := applyEdits(text, 0, len(text), edits)
		if err != nil {
			return leafOutput{}
		}
		enc, err := codec.encode(newText)
		if err == nil {
			if back, derr := codec.decode(enc); derr != nil || back != newText {
				err = errLeafSkipped
			}
		}
		if err != nil && !(wide && k == 0) {
			// The charset reads the part but cannot write it back as a
			// whole: keep its bytes and its reading, and splice the links.
			// Falling back to reading bytes here would find other links
			// than a later pass, whose lines may all encode.
			var ok bool
			if enc, ok = spliceDecoded(codec, data, edits); ok {
				err = nil
			}
		}
		if err != nil {
			continue
		}
		isWide := wide && k == 0
		return encodeLenient(enc, raw, cte, isWide)
	}
	return leafOutput{}
}

// encodeLenient writes a part's new content, already in its charset, in the
// part's transfer encoding.
func encodeLenient(enc, raw []byte, cte string, wide bool) leafOutput {
	switch {
	case cte == "base64":
		return leafOutput{body: encodeBase64(enc, raw)}
	case cte == "quoted-printable" && wide:
		term := "\r\n"
		if i := bytes.IndexByte(raw, '\n'); i >= 0 && (i == 0 || raw[i-1] != '\r') {
			term = "\n"
		}
		// Binary quoted-printable: line breaks inside UTF-16 are data.
		return leafOutput{body: append(qpEncodeLine(enc, term), term...)}
	case cte == "quoted-printable":
		return leafOutput{body: qpEncodeAll(enc)}
	}
	if !wide {
		for _, l := range splitLines(enc, false) {
			if len(l.text) > maxLineOctets {
				return leafOutput{body: qpEncodeAll(enc), switchToQP: true}
			}
		}
	}
	return leafOutput{body: enc}
}

// wideCodec returns a codec for UTF-16 and UTF-32, which are not
// ASCII-compatible and so cannot be rewritten line by line. A byte order
// mark decides the byte order, and is written back; without one the label
// decides, and for plain "utf-16" the position of the zero bytes (RFC 2781
// says big-endian, but Windows writes little-endian without a mark).
func wideCodec(label string, data []byte) (textCodec, bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "utf-16", "utf-16le", "utf-16be", "ucs-2", "ucs-2le", "ucs-2be", "unicode", "unicodefffe", "csunicode":
		switch {
		case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
			return xCodec{unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)}, true
		case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
			return xCodec{unicode.UTF16(unicode.BigEndian, unicode.UseBOM)}, true
		case strings.HasSuffix(l, "le"):
			return xCodec{unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, true
		case strings.HasSuffix(l, "be") || l == "unicodefffe":
			return xCodec{unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, true
		}
		if zeroBytesAt(data, 1) > zeroBytesAt(data, 0) {
			return xCodec{unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, true
		}
		return xCodec{unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, true
	case "utf-32", "utf-32le", "utf-32be", "ucs-4":
		switch {
		case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
			return xCodec{utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)}, true
		case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
			return xCodec{utf32.UTF32(utf32.BigEndian, utf32.UseBOM)}, true
		case strings.HasSuffix(l, "le") || zeroBytesAt(data, 3) > zeroBytesAt(data, 0):
			return xCodec{utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)}, true
		}
		return xCodec{utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)}, true
	}
	return nil, false
}

// zeroBytesAt counts zero bytes at even (parity 0) or odd (1) offsets, or at
// offsets 0 or 3 modulo 4 (parity 0 or 3, for UTF-32).
func zeroBytesAt(data []byte, parity int) int {
	step := 2
	if parity == 3 {
		step = 4
	}
	n := 0
	for i := parity; i < len(data); i += step {
		if data[i] == 0 {
			n++
		}
	}
	return n
}
