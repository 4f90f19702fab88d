package textlink

import (
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"mvdan.cc/xurls/v2"
)

// Link is a web link found in plain text.
type Link struct {
	Start, End int    // byte offsets in the text of exactly the characters that form the link
	URL        string // the destination: text[Start:End], with "http://" prefixed when Schemeless
	Schemeless bool   // found as "www.example.jp/..." without a scheme
}

// urlRe is xurls' URL grammar for the schemes "http://" and "https://" and
// the pseudo-scheme "www.", anchored at the start of its input. It decides
// which characters a URL may contain, which may end it (not ".", ",", ":",
// ";", "!", "?", "'"; a ")" or "]" only when balanced) and so where a link
// ends within the window that the hand-written rules below allow.
var urlRe = sync.OnceValue(func() *regexp.Regexp {
	re, err := xurls.StrictMatchingScheme(`https?://|www\.`)
	if err != nil {
		panic(err)
	}
	anchored := regexp.MustCompile(`^(?:` + re.String() + `)`)
	anchored.Longest()
	return anchored
})

// Find returns the http, https and www. links in plain text, in order,
// non-overlapping.
//
// Candidates are located with byte searches for "://" and "www." (so text
// without links costs little more than two scans), bounded by the Japanese
// text rules of cutAt, and then measured with xurls' grammar.
func Find(text string) []Link {
	var links []Link
	var sc scanner
	sc.text = text
	sc.nextScheme, sc.nextWWW = -1, -1
	pos := 0
	for pos < len(text) {
		start, schemeLen, ok := sc.next(pos)
		if !ok {
			break
		}
		end := linkEnd(text, start, schemeLen)
		if end < 0 {
			pos = start + 1
			continue
		}
		l := Link{Start: start, End: end, URL: text[start:end]}
		if schemeLen == 0 {
			l.Schemeless = true
			l.URL = "http://" + l.URL
		}
		links = append(links, l)
		pos = end
	}
	return links
}

// scanner finds the next candidate start at or after a position. It caches
// the next "://" and "www." hits so that each is searched for once.
type scanner struct {
	text       string
	nextScheme int // start of the next "http(s)://" at or after the last search, len(text) if none, -1 if unknown
	schemeLen  int
	nextWWW    int // start of the next "www." likewise
}

func (sc *scanner) next(pos int) (start, schemeLen int, ok bool) {
	if sc.nextScheme < pos {
		sc.nextScheme, sc.schemeLen = findScheme(sc.text, pos)
	}
	if sc.nextWWW < pos {
		sc.nextWWW = findWWW(sc.text, pos)
	}
	switch {
	case sc.nextScheme < len(sc.text) && sc.nextScheme <= sc.nextWWW:
		return sc.nextScheme, sc.schemeLen, true
	case sc.nextWWW < len(sc.text):
		return sc.nextWWW, 0, true
	}
	return 0, 0, false
}

// findScheme returns the start and length of the first "http://" or
// "https://" (any case) that starts at or after pos and is not glued to a
// longer scheme, or len(text) if there is none.
func findScheme(text string, pos int) (int, int) {
	for from := pos; from < len(text); {
		k := strings.Index(text[from:], "://")
		if k < 0 {
			break
		}
		k += from
		from = k + 1
		var start int
		switch {
		case k >= 5 && strings.EqualFold(text[k-5:k], "https"):
			start = k - 5
		case k >= 4 && strings.EqualFold(text[k-4:k], "http"):
			start = k - 4
		default:
			continue
		}
		// Hand-written rule: a letter, digit, "+", "-" or "." before the
		// scheme makes it part of another scheme ("xhttp://", "git+https://").
		// Japanese text right before it is fine ("詳細はhttps://...").
		if start < pos || (start > 0 && isSchemeByte(text[start-1])) {
			continue
		}
		return start, k + 3 - start
	}
	return len(text), 0
}

// findWWW returns the start of the first "www." (any case) at or after pos
// that begins a word, or len(text) if there is none.
func findWWW(text string, pos int) int {
	for from := pos + 3; from < len(text); {
		k := strings.IndexByte(text[from:], '.')
		if k < 0 {
			break
		}
		k += from
		from = k + 1
		start := k - 3
		if start < pos || !strings.EqualFold(text[start:k], "www") {
			continue
		}
		// Hand-written rule: "www." must begin a word. After a letter, digit
		// or one of the characters of an e-mail address, host or path
		// ("user@www.example.jp", "a.www.example.jp", "/www.x") it is part of
		// something else.
		if start > 0 && (notBeforeWWW(text[start-1]) || strings.HasSuffix(text[:start], "＠")) {
			continue
		}
		return start
	}
	return len(text)
}

// linkEnd returns the end of the link whose scheme (or "www.") starts at
// start, or -1 if there is no link there.
func linkEnd(text string, start, schemeLen int) int {
	a := start + schemeLen
	limit := cutAt(text, a)
	for {
		m := urlRe().FindStringIndex(text[start:limit])
		if m == nil {
			return -1
		}
		end := start + m[1]
		// The grammar may have dropped characters that the host rules
		// relied on ("http://0.と(.0" ends as "http://0.と", whose host has no
		// known top-level domain). Repeat until both agree, so that a link
		// is found alone and whole in its own text. Each round shortens it.
		if next := cutAt(text[:end], a); next < end {
			limit = next
			continue
		}
		if !validLink(text[start:end], schemeLen) {
			return -1
		}
		return end
	}
}

// cutAt returns the position at which Japanese text, white space or a
// character that cannot be part of a host cuts a link whose authority starts
// at a. It is an upper bound; the URL grammar may end the link earlier.
//
// These are hand-written rules: no URL library knows that a link in Japanese
// text ends where the Japanese begins.
func cutAt(text string, a int) int {
	// The authority: userinfo@host:port. Hosts may be internationalized, so
	// letters of any script are allowed here, Japanese included.
	i := a
	hostStart := a
	nonASCII := false
	pathStart := -1
authority:
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '/' || c == '?' || c == '#':
				pathStart = i
				break authority
			case c == '@':
				// A userinfo is ASCII; after non-ASCII text an "@" is the
				// start of an e-mail address in the sentence, not a userinfo
				// ("https://example.jpまたはinfo@example.jp").
				if nonASCII {
					break authority
				}
				hostStart = i + 1
			case !authorityByte[c]:
				break authority
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isHostRune(r) {
			break
		}
		nonASCII = true
		i += size
	}
	authEnd := i

	hostEnd := authEnd
	host := text[hostStart:authEnd]
	if !strings.HasPrefix(host, "[") {
		if k := strings.IndexByte(host, ':'); k >= 0 {
			hostEnd = hostStart + k
		}
	} else if k := strings.IndexByte(host, ']'); k >= 0 {
		hostEnd = hostStart + k + 1
	}
	if nonASCII {
		if keep := hostKeep(text[hostStart:hostEnd]); hostStart+keep < hostEnd {
			return hostStart + keep
		}
	}
	// A port is digits; Japanese right after it ends the link.
	if hostEnd < authEnd && text[hostEnd] == ':' {
		for j := hostEnd + 1; j < authEnd; j++ {
			if text[j] < '0' || text[j] > '9' {
				return j
			}
		}
	}
	if pathStart < 0 {
		return authEnd
	}
	// The path, query and fragment.
	for i = pathStart; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if isPathCut(r) {
			return i
		}
		i += size
	}
	return len(text)
}

// hostKeep returns how much of a host that contains non-ASCII letters belongs
// to the link, when Japanese text may follow the host directly
// ("https://example.jpにアクセス", "https://例え.jpへ"). Hand-written rule:
// a top-level label that starts with an ASCII character ends at the first
// non-ASCII one; one that starts with a non-ASCII letter must be a top-level
// domain the Public Suffix List knows ("例え.みんな"), else the host ends
// before its dot.
func hostKeep(host string) int {
	h := strings.TrimSuffix(host, ".") // a trailing dot ends a fully qualified name
	keep := len(host)
	for {
		dot := strings.LastIndexByte(h, '.')
		if dot < 0 || dot == len(h)-1 {
			return keep
		}
		label := h[dot+1:]
		if label[0] < utf8.RuneSelf {
			for j := 0; j < len(label); j++ {
				if label[j] >= utf8.RuneSelf {
					return dot + 1 + j
				}
			}
			return keep
		}
		// ASCII punctuation after the label is for the URL grammar to judge.
		n := len(label)
		for j := 0; j < len(label); j++ {
			if c := label[j]; c < utf8.RuneSelf && !isAlnum(c) && c != '-' {
				n = j
				break
			}
		}
		if knownTLD(label[:n]) {
			if n < len(label) {
				return dot + 1 + n
			}
			return keep
		}
		h = h[:dot]
		keep = dot
	}
}

// knownTLD reports whether a single non-ASCII label is a top-level domain in
// the ICANN section of the Public Suffix List.
func knownTLD(label string) bool {
	a, err := idnaProfile.ToASCII(Fold(label))
	if err != nil || a == "" || strings.IndexByte(a, '.') >= 0 {
		return false
	}
	ps, icann := publicSuffix(a)
	return icann && ps == a
}

// validLink checks the host of a link measured by the URL grammar: a dot,
// unless it is localhost or a bracketed IPv6 address; non-empty labels of
// letters, digits, "-" and "_"; a numeric port. A schemeless link must look
// like www.name.tld and have no userinfo (else it is an e-mail address).
func validLink(link string, schemeLen int) bool {
	auth := link[schemeLen:]
	if k := strings.IndexAny(auth, "/?#"); k >= 0 {
		auth = auth[:k]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		if schemeLen == 0 {
			return false
		}
		auth = auth[at+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		k := strings.IndexByte(auth, ']')
		if k < 0 {
			return false
		}
		host, port = auth[:k+1], auth[k+1:]
		if port != "" && port[0] != ':' {
			return false
		}
	} else if k := strings.IndexByte(auth, ':'); k >= 0 {
		host, port = auth[:k], auth[k:]
	}
	if port != "" {
		for _, c := range []byte(port[1:]) {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	if schemeLen > 0 && strings.HasPrefix(host, "[") {
		addr, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && addr.Is6()
	}
	if schemeLen > 0 && strings.EqualFold(host, "localhost") {
		return true
	}
	host = strings.TrimSuffix(host, ".")
	labels := 1
	last := 0
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '.':
			if i == last {
				return false
			}
			labels++
			last = i + 1
		case c >= utf8.RuneSelf, isAlnum(c), c == '-', c == '_':
		default:
			return false
		}
	}
	if last == len(host) {
		return false
	}
	if schemeLen == 0 {
		// "www.example" is a word, not a link; "www.1.2" is not a host.
		return labels >= 3 && !allDigits(host[last:])
	}
	return labels >= 2
}

// authorityByte holds the ASCII characters allowed in an authority
// (RFC 3986 userinfo, host and port).
var authorityByte = func() (t [utf8.RuneSelf]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range []byte("-._~%!$&'()*+,;=:[]") {
		t[c] = true
	}
	return t
}()

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isSchemeByte reports whether c may be part of a URI scheme.
func isSchemeByte(c byte) bool {
	return isAlnum(c) || c == '+' || c == '-' || c == '.'
}

// notBeforeWWW reports whether c glues a following "www." to the word,
// address or URL before it.
func notBeforeWWW(c byte) bool {
	return isAlnum(c) || strings.IndexByte("@.-_+%/\\~=&#?$*|", c) >= 0
}

// isHostRune reports whether a non-ASCII rune may be part of an
// internationalized host name: a letter, mark or digit, but not a full-width
// or half-width form (U+FF00–U+FFEF), which ends the link as in a path.
func isHostRune(r rune) bool {
	if r == utf8.RuneError || 0xFF00 <= r && r <= 0xFFEF {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

// isPathCut reports whether a non-ASCII rune ends a link's path, query or
// fragment. The brief's rule is Japanese text: the Han, Hiragana and
// Katakana scripts, CJK symbols and punctuation (U+3000–U+303F), full-width
// and half-width forms (U+FF00–U+FFEF) and any white space. We also cut at
// the blocks around them (CJK radicals, Katakana phonetic extensions, enclosed
// CJK letters such as ㈱, CJK compatibility such as ㌔, vertical forms) and at
// non-ASCII punctuation (except dashes), symbols and format characters, which
// xurls allows inside a path: "※", "→", "★", "■", "…", "“”" and zero-width
// spaces follow URLs in Japanese mail, while real paths carry such characters
// percent-encoded. Letters of other scripts ("/wiki/Café") stay in the link.
func isPathCut(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case 0x2E80 <= r && r <= 0x9FFF, // CJK radicals … CJK unified ideographs
		0xF900 <= r && r <= 0xFAFF, // CJK compatibility ideographs
		0xFE10 <= r && r <= 0xFE1F, // vertical forms
		0xFE30 <= r && r <= 0xFE4F, // CJK compatibility forms
		0xFF00 <= r && r <= 0xFFEF: // half-width and full-width forms
		return true
	case unicode.IsSpace(r):
		return true
	case unicode.IsPunct(r):
		return !unicode.Is(unicode.Pd, r)
	}
	return unicode.IsSymbol(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z,
		unicode.Han, unicode.Hiragana, unicode.Katakana)
}
