package unwrap

import (
	"encoding/base64"
	"html"
	"strings"
	"unicode/utf8"
)

// Proofpoint URL Defense.
//
// The decoding follows Proofpoint's own decoder, urldecoder.py by Eric Van
// Cleve (version 3.0.1, "Copyright 2019, Proofpoint Inc", published at
// https://help.proofpoint.com/Threat_Insight_Dashboard/Concepts/How_do_I_decode_a_rewritten_URL%3F).
// Copies: Anon4Now/proofpoint-url-decoder-gui resources/url_decoder.py
// (3.0.1), gist PolarBearGod/28a3357b1314bca873bf681fa728d116 (3.0.1), and
// the later revision with the v3 single-slash fix, quoted as "Official decoder
// code from Proofpoint ... files/2775/urldecoder.py?revision=1" in
// ACE-Collective/urlfinderlib urlfinderlib/url.py. Its patterns:
//
//	v1: u=(?P<url>.+?)&k=                          unquote, then html.unescape
//	v2: u=(?P<url>.+?)&[dc]=    translate -_ to %/, unquote, then html.unescape
//	v3: v3/__(?P<url>.+?)__;(?P<enc_bytes>.*?)!    see decodeProofpointV3
//
// Deliberate differences, all of which only make Unwrap refuse (ok=false)
// where the Python script would return something:
//   - the pattern must start at a parameter boundary ("u=" at the start of the
//     query or after "&"), not anywhere ("menu=" does not count);
//   - percent-decoding that yields invalid UTF-8 is refused (Python would
//     insert U+FFFD, which is not the real destination);
//   - for v3, see decodeProofpointV3.

// decodeProofpointV1 decodes
// https://urldefense.proofpoint.com/v1/url?u=<percent-encoded url>&k=...&r=...&m=...&s=...
func decodeProofpointV1(w wrapper) (string, bool) {
	raw, ok := ppParam(w.query, "&k=")
	if !ok {
		return "", false
	}
	s, ok := pyUnquote(raw)
	if !ok {
		return "", false
	}
	return html.UnescapeString(s), true
}

// decodeProofpointV2 decodes
// https://urldefense.proofpoint.com/v2/url?u=<url with - for % and _ for />&d=...&c=...&r=...&m=...&s=...&e=
//
// QUIRK: v2 escapes the target as percent-encoding with "-" in place of "%"
// and "_" in place of "/" (so "https://a.b/c_d" is "https-3A__a.b_c-5Fd").
func decodeProofpointV2(w wrapper) (string, bool) {
	raw, ok := ppParam(w.query, "&d=", "&c=")
	if !ok {
		return "", false
	}
	raw = strings.NewReplacer("-", "%", "_", "/").Replace(raw)
	s, ok := pyUnquote(raw)
	if !ok {
		return "", false
	}
	return html.UnescapeString(s), true
}

// ppParam returns the raw text between the first "u=" at a parameter boundary
// of rawQuery and the first of the terminators after it, as Proofpoint's
// non-greedy pattern u=(.+?)<terminator> does. The value is at least one
// character long. Unlike a query parser it keeps any "&" before the
// terminator, exactly like the published decoder.
func ppParam(rawQuery string, terms ...string) (string, bool) {
	rest, ok := strings.CutPrefix(rawQuery, "u=")
	if !ok {
		i := strings.Index(rawQuery, "&u=")
		if i < 0 {
			return "", false
		}
		rest = rawQuery[i+len("&u="):]
	}
	if rest == "" {
		return "", false
	}
	end := -1
	for _, t := range terms {
		// .+? needs one character, so look from index 1.
		if i := strings.Index(rest[1:], t); i >= 0 && (end < 0 || i+1 < end) {
			end = i + 1
		}
	}
	if end < 0 || strings.ContainsAny(rest[:end], "\n") {
		return "", false
	}
	return rest[:end], true
}

// v3RunLength maps the character after "**" to a run length: A-Z are 2..27,
// a-z 28..53, 0-9 54..63, "-" 64 and "_" 65 (v3_run_mapping in urldecoder.py).
func v3RunLength(c byte) (int, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 2, true
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 28, true
	case c >= '0' && c <= '9':
		return int(c-'0') + 54, true
	case c == '-':
		return 64, true
	case c == '_':
		return 65, true
	}
	return 0, false
}

// decodeProofpointV3 decodes
// https://urldefense.com/v3/__<url with * placeholders>__;<base64url of the replaced characters>!!<id>!<signature>$
//
// QUIRK: v3 keeps the target readable but replaces characters that would not
// survive mail (such as # % * + [ ] and non-ASCII) with "*". The replaced
// characters follow "__;" as unpadded base64url. A single "*" stands for one
// replaced character; "**X" for a run whose length is looked up from X
// (v3RunLength). Runs longer than 65 are split ("**_*" is 66). As in
// urldecoder.py, the text between "__" and "__;" is percent-decoded before
// the placeholders are replaced, and the later revision's fix turns a
// "scheme:/host" with one slash into "scheme://host".
//
// QUIRK: urldecoder.py decodes the replaced bytes as UTF-8 and counts
// characters, but Proofpoint's encoder evidently counts UTF-8 bytes: the real
// link in cardi/proofpoint-url-decoder issue #7,
// https://urldefense.com/v3/__https://es.linkedin.com/in/pastora-mart**Anez-samper-3049818__;w60!!...
// replaces the single character "í" (two bytes) with the run "**A" (length 2).
// urldecoder.py only gets it right because a Python slice past the end is
// silently short; in other links (a non-ASCII character followed by more
// replaced characters) the two readings differ and urldecoder.py fails or
// shifts characters. Unwrap therefore decodes both ways, the published
// character reading (including its short slices) and the byte reading (every
// placeholder satisfied and every replaced byte used), and accepts the link
// only when both give the same URL. For the usual ASCII-only replacements
// they always agree; ambiguous links are left wrapped.
func decodeProofpointV3(w wrapper) (string, bool) {
	body := strings.TrimPrefix(w.rest, "/v3/__")
	if body == "" {
		return "", false
	}
	// (?P<url>.+?)__; : at least one character, then the first "__;".
	i := strings.Index(body[1:], "__;")
	if i < 0 {
		return "", false
	}
	enc, rest := body[:i+1], body[i+1+len("__;"):]
	// (?P<enc_bytes>.*?)! : up to the first "!", which must exist.
	b64, _, ok := strings.Cut(rest, "!")
	if !ok || strings.ContainsAny(enc, "\n") || strings.ContainsAny(b64, "\n") {
		return "", false
	}
	pool, ok := decodeV3Pool(b64)
	if !ok {
		return "", false
	}
	text, ok := pyUnquote(fixSingleSlash(enc))
	if !ok {
		return "", false
	}
	byBytes, ok1 := substituteV3(text, pool, true)
	byChars, ok2 := substituteV3(text, pool, false)
	if !ok1 || !ok2 || byBytes != byChars {
		return "", false
	}
	return byBytes, true
}

// decodeV3Pool decodes the replaced characters: base64url, padding optional
// (urldecoder.py appends "==" and calls urlsafe_b64decode), which must be
// valid UTF-8 (it calls .decode('utf-8')).
//
// Unlike Python's non-validating decoder, characters outside the base64url
// alphabet are refused rather than skipped.
func decodeV3Pool(s string) (string, bool) {
	s = strings.TrimRight(s, "=")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// fixSingleSlash implements the later urldecoder.py revision's
// v3_single_slash = ^([a-z0-9+.-]+:/)([^/].+) (case-insensitive): a target
// written as "https:/host/..." becomes "https://host/...".
//
// QUIRK: such links are real, e.g.
// https://urldefense.us/v3/__https:/www.anthropic.com/news/anthropic-amazon-compute__;!!...
// (quoted in a public repository), and ACE-Collective/urlfinderlib
// tests/test_url.py tests the same fix.
func fixSingleSlash(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return s
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-') {
			return s
		}
	}
	rest := s[i+1:]
	// ":/" then one character that is not "/", then at least one more.
	if len(rest) < 2 || rest[0] != '/' || rest[1] == '/' || utf8.RuneCountInString(rest[1:]) < 2 {
		return s
	}
	return s[:i+1] + "/" + rest
}

// substituteV3 replaces the placeholders of text (tokens \*(\*.)? as in
// urldecoder.py) with the replaced characters in pool. With byBytes, "*" takes
// one byte and "**X" takes a run of bytes; every placeholder must be
// satisfied, every byte used, and the result valid UTF-8. Without byBytes it
// mirrors urldecoder.py exactly: "*" takes one character (and fails past the
// end), "**X" takes a slice of characters that may be short or empty.
func substituteV3(text, pool string, byBytes bool) (string, bool) {
	var runes []rune
	if !byBytes {
		runes = []rune(pool)
	}
	var b strings.Builder
	pos := 0 // in bytes or in runes
	for i := 0; i < len(text); {
		c := text[i]
		if c != '*' {
			b.WriteByte(c)
			i++
			continue
		}
		n, single := 1, true
		// The optional group (\*.) : a second "*" and one character that
		// is not a newline.
		if i+2 < len(text) && text[i+1] == '*' && text[i+2] != '\n' {
			r, ok := v3RunLength(text[i+2])
			if !ok {
				// KeyError in urldecoder.py; also covers a multi-byte
				// character after "**", which is not in the table either.
				return "", false
			}
			n, single = r, false
			i += 3
		} else {
			i++
		}
		if byBytes {
			if pos+n > len(pool) {
				return "", false
			}
			b.WriteString(pool[pos : pos+n])
			pos += n
			continue
		}
		if single {
			if pos >= len(runes) {
				return "", false // IndexError in urldecoder.py
			}
			b.WriteRune(runes[pos])
			pos++
			continue
		}
		lo, hi := min(pos, len(runes)), min(pos+n, len(runes))
		b.WriteString(string(runes[lo:hi]))
		pos += n
	}
	if byBytes && pos != len(pool) {
		return "", false
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return "", false
	}
	return out, true
}

// pyUnquote percent-decodes s like Python's urllib.parse.unquote: "%XX" with
// two hex digits becomes that byte, any other "%" stays, and "+" stays "+".
// Unlike Python (which substitutes U+FFFD), a result that is not valid UTF-8
// is refused.
func pyUnquote(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, utf8.ValidString(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), utf8.Valid(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
