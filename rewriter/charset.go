package rewriter

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// textCodec converts a part's transfer-decoded bytes to UTF-8 text and back.
type textCodec interface {
	decode(b []byte) (string, error)
	decodeString(s string) (string, error) // decode, for bytes held in a string
	encode(s string) ([]byte, error)
}

// ErrUnknownCharset is reported for a text part whose charset Kensa cannot
// convert. The part is passed through unchanged.
var ErrUnknownCharset = errors.New("rewriter: unknown charset")

// charsetAliases covers labels that neither the IANA nor the WHATWG index
// knows, as seen in Japanese mail. x/text's ShiftJIS is the Windows-31J (CP932)
// superset and its ISO2022JP decodes the common CP5022x extensions; the
// round-trip check in rewriteLeaf catches anything they do not cover.
var charsetAliases = map[string]encoding.Encoding{
	"cp932":            japanese.ShiftJIS,
	"ms932":            japanese.ShiftJIS,
	"windows-31j":      japanese.ShiftJIS,
	"x-sjis":           japanese.ShiftJIS,
	"sjis":             japanese.ShiftJIS,
	"shift-jis":        japanese.ShiftJIS,
	"x-ms-cp932":       japanese.ShiftJIS,
	"cp50220":          japanese.ISO2022JP,
	"cp50221":          japanese.ISO2022JP,
	"cp50222":          japanese.ISO2022JP,
	"iso-2022-jp-ms":   japanese.ISO2022JP,
	"csiso2022jp":      japanese.ISO2022JP,
	"eucjp":            japanese.EUCJP,
	"eucjp-ms":         japanese.EUCJP,
	"cp51932":          japanese.EUCJP,
	"x-euc-jp":         japanese.EUCJP,
	"iso-8859-1":       charmap.ISO8859_1, // not windows-1252, as htmlindex would have it: keep bytes 0x80-0x9F as they are
	"latin1":           charmap.ISO8859_1,
	"ansi_x3.110-1983": charmap.ISO8859_1,
}

// lookupCodec returns the codec for a charset label. The empty label and
// US-ASCII get the "auto" codec: UTF-8 when the bytes are valid UTF-8 (the
// usual mislabelling), else byte-transparent Latin-1.
func lookupCodec(label string, sample []byte) (textCodec, error) {
	return lookupCodecString(label, string(sample))
}

// lookupCodecString is lookupCodec for a sample held in a string.
func lookupCodecString(label string, sample string) (textCodec, error) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "utf-8", "utf8", "x-utf_8j":
		return utf8Codec{}, nil
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default":
		if utf8.ValidString(sample) {
			return utf8Codec{}, nil
		}
		return xCodec{charmap.ISO8859_1}, nil
	case "utf-7", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "ucs-2":
		// Not ASCII-compatible: links cannot be found or spliced by line.
		return nil, fmt.Errorf("%w %q", ErrUnknownCharset, label)
	}
	if enc, ok := charsetAliases[l]; ok {
		return xCodec{enc}, nil
	}
	enc, err := ianaindex.MIME.Encoding(l)
	if enc == nil || err != nil {
		enc, err = htmlindex.Get(l)
	}
	if enc == nil || err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownCharset, label)
	}
	if name, _ := htmlindex.Name(enc); name == "utf-8" {
		return utf8Codec{}, nil
	} else if name == "replacement" || name == "utf-16be" || name == "utf-16le" || name == "x-user-defined" {
		return nil, fmt.Errorf("%w %q", ErrUnknownCharset, label)
	}
	return xCodec{enc}, nil
}

// utf8Codec keeps bytes as they are, even invalid UTF-8: splicing happens at
// byte offsets, so nothing is ever replaced by U+FFFD.
type utf8Codec struct{}

func (utf8Codec) decode(b []byte) (string, error)       { return string(b), nil }
func (utf8Codec) decodeString(s string) (string, error) { return s, nil }
func (utf8Codec) encode(s string) ([]byte, error)       { return []byte(s), nil }

type xCodec struct{ enc encoding.Encoding }

func (c xCodec) decode(b []byte) (string, error) {
	out, err := c.enc.NewDecoder().Bytes(b)
	return string(out), err
}

func (c xCodec) decodeString(s string) (string, error) {
	return c.enc.NewDecoder().String(s)
}

func (c xCodec) encode(s string) ([]byte, error) {
	return c.enc.NewEncoder().Bytes([]byte(s))
}

// spliceDecoded applies edits, found in the text that codec decodes data to,
// to data itself: the bytes between edits stay as they are and only each
// replacement is encoded. It is for text the charset decodes but cannot
// encode back as a whole (x/text's Shift_JIS reads a lone 0x80 as U+0080 and
// invalid bytes as U+FFFD, and writes neither), so that such a part is still
// read in its charset, as a mail client reads it, and not as bytes: which
// reading applies then depends on the bytes alone, never on which lines
// happen to hold a link, and a second pass reads the part as the first did.
// It reports false where an edit boundary falls inside a character or the
// result does not decode to the edited text (a stateful charset spliced in
// the wrong mode).
func spliceDecoded(codec textCodec, data []byte, edits []edit) ([]byte, bool) {
	xc, ok := codec.(xCodec)
	if !ok {
		return nil, false
	}
	text, at, ok := decodeOffsets(xc, data)
	if !ok {
		return nil, false
	}
	newText, err := applyEdits(text, 0, len(text), edits)
	if err != nil {
		return nil, false
	}
	out := make([]byte, 0, len(data)+len(newText)-len(text))
	pos := 0
	for _, ed := range edits {
		s, ok1 := at[ed.start]
		e, ok2 := at[ed.end]
		if !ok1 || !ok2 || s < pos || e < s {
			return nil, false
		}
		repl, err := xc.encode(ed.repl)
		if err != nil {
			return nil, false
		}
		out = append(append(out, data[pos:s]...), repl...)
		pos = e
	}
	out = append(out, data[pos:]...)
	if back, err := xc.decode(out); err != nil || back != newText {
		return nil, false
	}
	return out, true
}

// decodeOffsets decodes data one character at a time and returns the text
// with, for each offset p in it that falls between characters, the offset k
// in data such that data[:k] decodes to text[:p].
func decodeOffsets(c xCodec, data []byte) (string, map[int]int, bool) {
	dec := c.enc.NewDecoder()
	text := make([]byte, 0, len(data))
	at := map[int]int{0: 0}
	var dst [32]byte
	for src := 0; src < len(data); {
		progress := false
		// The smallest destination that takes anything holds exactly one
		// character: decoders write whole characters only.
		for n := 1; n <= len(dst); n++ {
			nDst, nSrc, err := dec.Transform(dst[:n], data[src:], true)
			if nDst > 0 || nSrc > 0 {
				text = append(text, dst[:nDst]...)
				src += nSrc
				at[len(text)] = src
				progress = true
				break
			}
			if err != transform.ErrShortDst {
				return "", nil, false
			}
		}
		if !progress {
			return "", nil, false
		}
	}
	return string(text), at, true
}
