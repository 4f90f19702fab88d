package textlink

import (
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
	"mvdan.cc/xurls/v2"

	"github.com/kensa-mail/kensa/internal/domain"
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
// A link is at most 8 KiB long (maxLinkLen): a longer URL is linked up to
// there, so that it still goes through Kensa. Candidates are located with
// byte searches for "://" and "www." (so text without links costs little
// more than two scans), bounded by the Japanese text rules of cutAt, and then
// measured with xurls' grammar. The time taken is linear in len(text).
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

// Limits that keep Find linear in the length of the text, whatever the
// text. They are far above real links: servers refuse request lines much
// longer than 8 KiB, and a host name has at most 253 ASCII characters.
const (
	maxLinkLen = 8192 // bytes from the scheme to the end of a link
	maxHostLen = 512  // bytes of a host in UTF-8
	maxRounds  = 8    // rounds of linkEnd's agreement loop
)

// linkEnd returns the end of the link whose scheme (or "www.") starts at
// start, or -1 if there is no link there.
func linkEnd(text string, start, schemeLen int) int {
	limit := cutAt(text, start, schemeLen)
	for round := 0; limit >= 0 && round < maxRounds; round++ {
		m := urlRe().FindStringIndex(text[start:limit])
		if m == nil {
			return -1
		}
		end := start + m[1]
		// The grammar may have dropped characters that the host rules
		// relied on ("http://0.と(.0" ends as "http://0.と", whose host has no
		// known top-level domain). Repeat until both agree, so that a link
		// is found alone and whole in its own text. Each round shortens it.
		if next := cutAt(text[:end], start, schemeLen); next != end {
			limit = next
			continue
		}
		if !validLink(text[start:end], schemeLen) {
			return -1
		}
		return end
	}
	return -1
}

// cutAt returns the position where the link that starts at start (with a
// scheme of schemeLen bytes, 0 for "www.") must end at the latest, or -1 if
// its host cannot be valid. The URL grammar may end the link earlier.
//
// These are hand-written rules: no URL library knows that a link in Japanese
// text ends where the Japanese begins, nor how far a host reaches into it.
// The window also stops where xurls' grammar could not go on (a character
// outside it, an unbalanced bracket), so that the regular expression never
// explores text it cannot match and Find stays linear.
func cutAt(text string, start, schemeLen int) int {
	hostStart := start + schemeLen
	if schemeLen > 0 {
		hostStart = skipUserinfo(text, hostStart)
	}
	i, nonASCII, ok := scanHost(text, hostStart, schemeLen > 0)
	if !ok {
		return -1
	}
	hostEnd := i
	if nonASCII {
		hostEnd = hostStart + hostKeep(text[hostStart:hostEnd])
	}
	if !validHost(strings.TrimRight(text[hostStart:hostEnd], "."), schemeLen == 0) {
		return -1
	}
	if hostEnd < i {
		return hostEnd // Japanese text right after the host
	}
	if i-hostStart >= maxHostLen && i < len(text) && text[i] != ':' && text[i] != '/' && text[i] != '?' && text[i] != '#' {
		return -1 // a host too long to be real
	}

	// The port: digits; anything else after the colon ends the link.
	if i < len(text) && text[i] == ':' {
		for i++; i < len(text) && '0' <= text[i] && text[i] <= '9'; i++ {
		}
	}
	if i == len(text) {
		return i
	}
	switch text[i] {
	case '/', '?', '#':
	case '@':
		if schemeLen == 0 {
			return -1 // an e-mail address, not a www. link
		}
		return i
	default:
		return i
	}
	return pathEnd(text, i, min(len(text), start+maxLinkLen))
}

// skipUserinfo returns where the host starts when a userinfo may precede it
// at a. A userinfo is ASCII; after non-ASCII text an "@" starts an e-mail
// address in the sentence ("https://example.jpまたはinfo@example.jp"). As
// browsers do, the last "@" ends it.
func skipUserinfo(text string, a int) int {
	hostStart := a
	for i := a; i < len(text) && text[i] < utf8.RuneSelf && userinfoByte[text[i]]; i++ {
		if text[i] == '@' {
			hostStart = i + 1
		}
	}
	return hostStart
}

// scanHost returns the end of the host that starts at i, at most maxHostLen
// bytes, and whether it holds non-ASCII letters. The host may be
// internationalized, so letters of any script are allowed, Japanese
// included; where Japanese text begins is hostKeep's question. With a
// scheme, a host may be an IP literal in brackets; ok is false when its
// closing bracket is missing.
func scanHost(text string, i int, hasScheme bool) (end int, nonASCII, ok bool) {
	hostStart := i
	if hasScheme && i < len(text) && text[i] == '[' {
		k := strings.IndexByte(text[i:min(len(text), i+64)], ']')
		if k < 0 {
			return 0, false, false
		}
		return i + k + 1, false, true
	}
	for i < len(text) && i-hostStart < maxHostLen {
		c := text[i]
		if c < utf8.RuneSelf {
			if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
				break
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
	return i, nonASCII, true
}

// pathEnd returns where the path, query and fragment that start at i end,
// at limit at the latest. Brackets follow xurls' rule: a group "(...)",
// "[...]" or "{...}" holds URL characters and at most one nested group of
// the same kind; a link never goes past a bracket that breaks it. A
// character that cuts a path (Japanese text) or that no URL may hold ends it.
func pathEnd(text string, i, limit int) int {
	var open [2]byte // the open brackets
	depth := 0
	for i < limit {
		c := text[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(text[i:])
			if isPathCut(r) {
				return i
			}
			i += size
			continue
		}
		switch c {
		case '(', '[', '{':
			if depth == 2 || depth == 1 && open[0] != c {
				return i
			}
			open[depth] = c
			depth++
		case ')', ']', '}':
			if depth == 0 || closing(open[depth-1]) != c {
				return i
			}
			depth--
		default:
			if !pathByte[c] {
				return i
			}
		}
		i++
	}
	return i
}

func closing(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

// hostKeep returns how much of a host that contains non-ASCII letters belongs
// to the link, when Japanese text may follow the host directly
// ("https://example.jpにアクセス", "https://例え.jpへ"). Hand-written rule:
// a top-level label that starts with an ASCII character ends at the first
// non-ASCII one; one that starts with a non-ASCII letter must be a top-level
// domain the Public Suffix List knows ("例え.みんな"), else the host ends
// before its dot. After maxDropped such labels the host is given up (0).
func hostKeep(host string) int {
	const maxDropped = 2
	h := strings.TrimSuffix(host, ".") // a trailing dot ends a fully qualified name
	keep := len(host)
	for dropped := 0; ; dropped++ {
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
		if dropped == maxDropped {
			return 0
		}
		h = h[:dot]
		keep = dot
	}
}

// knownTLD reports whether a single non-ASCII label is a top-level domain in
// the ICANN section of the Public Suffix List.
func knownTLD(label string) bool {
	// Top-level domains are at most 64 bytes, and the internationalized ones
	// have no ASCII letters or digits.
	if len(label) > 64 || strings.IndexFunc(label, func(r rune) bool { return r < utf8.RuneSelf }) >= 0 {
		return false
	}
	a, err := domain.ToASCII(label)
	if err != nil || a == "" || strings.IndexByte(a, '.') >= 0 {
		return false
	}
	ps, icann := publicsuffix.PublicSuffix(a)
	return icann && ps == a
}

// validLink checks the authority of a link measured by the URL grammar: a
// valid host and a numeric port; a schemeless link has no userinfo (else it
// is an e-mail address).
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
		if k := strings.IndexByte(auth, ']'); k >= 0 {
			host, port = auth[:k+1], auth[k+1:]
		}
	} else if k := strings.IndexByte(auth, ':'); k >= 0 {
		host, port = auth[:k], auth[k:]
	}
	if port != "" && (port[0] != ':' || !allDigits(port[1:]) && port != ":") {
		return false
	}
	return validHost(host, schemeLen == 0)
}

// validHost reports whether a host may be linked: a bracketed IPv6 address,
// localhost, any host name with a scheme (one label is enough: browsers open
// "http://intranet/" and numeric IPv4 spellings), or three labels,
// "www.name.tld", without one, of letters, digits, "-" and "_", ASCII labels at most 63 bytes and
// an ASCII host at most 253. One trailing dot is allowed.
func validHost(host string, schemeless bool) bool {
	if strings.HasPrefix(host, "[") {
		if schemeless || !strings.HasSuffix(host, "]") {
			return false
		}
		addr, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && addr.Is6()
	}
	if strings.EqualFold(host, "localhost") {
		return !schemeless
	}
	host = strings.TrimSuffix(host, ".")
	labels, last, ascii := 1, 0, true
	for i := 0; i <= len(host); i++ {
		if i == len(host) || host[i] == '.' {
			if i == last || ascii && i-last > 63 {
				return false
			}
			if i < len(host) {
				labels++
				last, ascii = i+1, true
			}
			continue
		}
		switch c := host[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case !isAlnum(c) && c != '-' && c != '_':
			return false
		}
	}
	if len(host) > 253 && !strings.ContainsFunc(host, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return false
	}
	if schemeless {
		// "www.example" is a word, not a link; "www.1.2" is not a host.
		return labels >= 3 && !allDigits(host[last:])
	}
	// With a scheme one label is a host too: a browser opens
	// "http://intranet/", "http://3232235786/" (an IPv4 address in one
	// number) and "http://0xCB007109/" as they are, so they are links an
	// attacker can use and the rewriter must not miss.
	// An internationalized single label is left out: no such host resolves
	// publicly, and in Japanese text "https://例えです" is a word run on.
	return labels >= 2 || ascii && host != ""
}

// userinfoByte holds the ASCII characters of an RFC 3986 userinfo and its
// "@", less brackets (which a userinfo never has in practice).
var userinfoByte = byteSet(alnum + "-._~%!$&'*+,;=:@")

// pathByte holds the ASCII characters, other than brackets, that xurls'
// grammar allows in a URL.
var pathByte = byteSet(alnum + "-._~%!$&'*+,;=:@/?#\\")

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func byteSet(chars string) (t [utf8.RuneSelf]bool) {
	for _, c := range []byte(chars) {
		t[c] = true
	}
	return t
}

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
