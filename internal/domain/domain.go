package domain

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/width"
)

// idnaProfile converts host names to ASCII the way a browser does, because
// the question is which site a click opens. It is the UTS #46 processing of
// the WHATWG URL Standard ("domain to ASCII" with beStrict false):
// non-transitional mapping (so "faß.de" is xn--fa-hia.de, not fass.de, as in
// current browsers), CheckBidi and CheckJoiners on, CheckHyphens and
// UseSTD3ASCIIRules off (so "my_host" and "ab--cd" are accepted as browsers
// accept them), VerifyDnsLength off. idna.Lookup differs in rejecting those
// hosts, which a browser would still open and which must therefore still be
// compared. Registrable then checks the ASCII result itself: letters,
// digits, "-" and "_", labels of at most 63 bytes, at most 253 in all.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

var (
	errEmptyHost   = errors.New("domain: empty host")
	errIPAddress   = errors.New("domain: host is an IP address")
	errInvalidHost = errors.New("domain: invalid host")
)

// Fold folds full-width ASCII to ASCII and the ideographic/full-width/
// half-width full stops (U+3002 。, U+FF0E ．, U+FF61 ｡) to '.'.
//
// Each rune whose East Asian Width is Fullwidth (U+FF01–U+FF60,
// U+FFE0–U+FFE6, U+3000) is replaced by its narrow form from
// golang.org/x/text/width; the full stops that width leaves wide are mapped
// by hand. Half-width katakana are left alone (width.Fold would widen "ｸﾞ"
// to "ク゛" and break the composition that IDNA's NFKC does right), and
// input without such runes is returned as is, without allocating.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Map(foldRune, s)
		}
	}
	return s
}

func foldRune(r rune) rune {
	switch r {
	case '。', '．', '｡':
		return '.'
	}
	if r < 0x3000 {
		return r
	}
	if p := width.LookupRune(r); p.Kind() == width.EastAsianFullwidth {
		if n := p.Narrow(); n != 0 {
			return n
		}
	}
	return r
}

// Registrable returns the registrable domain (eTLD+1 by the Public
// Suffix List) of a host, after folding full-width characters and
// ideographic full stops, lower-casing and IDNA ToASCII (punycode). An IP
// address or a bare public suffix is an error.
//
// One trailing dot (a fully qualified name) is ignored. The ASCII form must
// fit DNS: labels of at most 63 letters, digits, "-" or "_" and at most 253
// bytes in all. A host whose last
// label is a number is an IP address, as browsers parse "127.1" and
// "0x7f.1". The result is lower-case ASCII, e.g. "xn--r8jz45g.jp" for
// "例え。jp".
func Registrable(host string) (string, error) {
	if !utf8.ValidString(host) || strings.ContainsRune(host, utf8.RuneError) {
		return "", errInvalidHost
	}
	h := strings.TrimSuffix(Fold(host), ".")
	if h == "" {
		return "", errEmptyHost
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return "", errIPAddress
	}
	// A DNS name has at most 253 bytes and a label at most 63, in ASCII.
	// The UTF-8 form may be longer, but not by this much; the limits keep
	// punycode encoding, which is quadratic in the length of a label, cheap.
	if len(h) > 1024 {
		return "", errInvalidHost
	}
	for l := range strings.SplitSeq(h, ".") {
		if len(l) > 256 {
			return "", errInvalidHost
		}
	}
	a, err := idnaProfile.ToASCII(h)
	if err != nil {
		return "", fmt.Errorf("domain: host %q: %w", host, err)
	}
	a = strings.ToLower(a)
	if len(a) > 253 {
		return "", errInvalidHost
	}
	last := 0
	for i := 0; i <= len(a); i++ {
		if i == len(a) || a[i] == '.' {
			if i == last || i-last > 63 {
				return "", errInvalidHost
			}
			if i == len(a) && isNumericLabel(a[last:]) {
				return "", errIPAddress
			}
			last = i + 1
			continue
		}
		if c := a[i]; !isAlnum(c) && c != '-' && c != '_' {
			return "", errInvalidHost
		}
	}
	return publicsuffix.EffectiveTLDPlusOne(a)
}

// isNumericLabel reports whether a lower-case label is a number in the sense
// of the WHATWG URL host parser (decimal, 0x hex or octal), which makes the
// host an IPv4 address.
func isNumericLabel(l string) bool {
	if strings.HasPrefix(l, "0x") {
		for i := 2; i < len(l); i++ {
			if c := l[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	return allDigits(l)
}

// Shown reports whether the visible text of a link looks like a URL or
// a bare domain ("https://example.jp/x", "www.example.co.jp",
// "example.co.jp", "ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "例え。jp"), and returns its
// registrable domain. Text that is a sentence, an e-mail address, a file name
// like "invoice.pdf" or "readme.txt", or "Click here" is not a domain.
//
// Hand-written rule (no library decides what text "looks like" a domain):
// after folding and trimming white space the text must be one token of the
// shape [scheme://[userinfo@]]host[:port][/path][?query][#fragment], the host
// must have a dot and consist of letters, digits, "-" and "_", and its
// top-level domain must be in the ICANN section of the Public Suffix List.
// So "invoice.pdf" and "readme.txt" are not domains, but a file name whose
// extension is also a top-level domain ("invoice.zip", "setup.py") is: it is
// registrable, and phishers use exactly that. With a scheme, the host is the
// one a browser would open ("https://paypal.com@evil.top/" shows evil.top);
// without one, an "@" makes the text an e-mail address.
func Shown(visible string) (regDomain string, ok bool) {
	if !utf8.ValidString(visible) {
		return "", false
	}
	t := strings.TrimFunc(Fold(visible), isSpaceOrInvisible)
	if t == "" || strings.IndexFunc(t, isSpaceOrInvisible) >= 0 {
		return "", false
	}
	rest := t
	withScheme := false
	if k := strings.Index(rest, "://"); k > 0 && isScheme(rest[:k]) {
		rest, withScheme = rest[k+3:], true
	}
	if k := strings.IndexAny(rest, "/?#"); k >= 0 {
		rest = rest[:k]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if !withScheme {
			return "", false
		}
		rest = rest[at+1:]
	}
	host := rest
	if k := strings.LastIndexByte(host, ':'); k >= 0 {
		if !allDigits(host[k+1:]) && k+1 != len(host) {
			return "", false
		}
		host = host[:k]
	}
	if strings.IndexByte(strings.TrimSuffix(host, "."), '.') < 0 {
		return "", false
	}
	for _, r := range host {
		if r < utf8.RuneSelf {
			if c := byte(r); !isAlnum(c) && c != '-' && c != '_' && c != '.' {
				return "", false
			}
		} else if !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsNumber(r) {
			return "", false
		}
	}
	reg, err := Registrable(host)
	if err != nil {
		return "", false
	}
	tld := reg[strings.LastIndexByte(reg, '.')+1:]
	if ps, icann := publicsuffix.PublicSuffix(tld); !icann || ps != tld {
		return "", false
	}
	return reg, true
}

// Mismatch compares the visible text of an <a> with its href. It returns the
// shown registrable domain and true when the visible text looks like a
// URL/domain whose registrable domain differs from the href's.
//
// When the visible text looks like a domain, shown is its registrable domain
// whether or not it matches; otherwise shown is "" and mismatch is false.
// The href is read as a browser reads it: surrounding spaces and control
// characters are ignored and tabs and line breaks inside removed; for http,
// https, ftp, ws and wss backslashes count as slashes and the slashes after
// the scheme are optional; the host is percent-decoded; userinfo and port
// are dropped; for mailto: the domain of the (first) address is used. An
// href without a host (a relative or javascript: link), or whose host has no
// registrable domain (an IP address, a bare public suffix, an invalid IDN),
// does not go to the domain shown, so it is a mismatch.
func Mismatch(visible, href string) (shown string, mismatch bool) {
	shown, ok := Shown(visible)
	if !ok {
		return "", false
	}
	host, ok := hrefHost(href)
	if !ok {
		return shown, true
	}
	real, err := Registrable(host)
	return shown, err != nil || real != shown
}

// hrefHost extracts the host of an href as a browser would parse it.
func hrefHost(href string) (string, bool) {
	href = strings.TrimFunc(href, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(href, "\t\r\n") {
		href = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(href)
	}
	rest := href
	special := false
	if k := strings.IndexByte(href, ':'); k > 0 && isScheme(href[:k]) {
		scheme := strings.ToLower(href[:k])
		rest = href[k+1:]
		switch scheme {
		case "mailto":
			addr := rest
			if q := strings.IndexAny(addr, "?,"); q >= 0 {
				addr = addr[:q]
			}
			at := strings.LastIndexByte(addr, '@')
			if at < 0 {
				return "", false
			}
			return unescapeHost(addr[at+1:])
		case "http", "https", "ftp", "ws", "wss":
			special = true
			rest = strings.TrimLeft(rest, `/\`)
		default:
			if !strings.HasPrefix(rest, "//") {
				return "", false
			}
			rest = rest[2:]
		}
	} else if strings.HasPrefix(href, "//") || strings.HasPrefix(href, `\\`) || strings.HasPrefix(href, `/\`) || strings.HasPrefix(href, `\/`) {
		// Scheme-relative: the scheme of the page, http(s) in practice.
		special = true
		rest = href[2:]
	} else {
		return "", false
	}
	ends := "/?#"
	if special {
		ends = `/\?#`
	}
	if k := strings.IndexAny(rest, ends); k >= 0 {
		rest = rest[:k]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if k := strings.IndexByte(rest, ']'); k >= 0 {
			rest = rest[:k+1]
		}
	} else if k := strings.LastIndexByte(rest, ':'); k >= 0 {
		rest = rest[:k]
	}
	return unescapeHost(rest)
}

func unescapeHost(h string) (string, bool) {
	if strings.IndexByte(h, '%') < 0 {
		return h, h != ""
	}
	u, err := url.PathUnescape(h)
	if err != nil || u == "" {
		return "", false
	}
	return u, true
}

// isScheme reports whether s is a URI scheme (RFC 3986: a letter followed by
// letters, digits, "+", "-" and ".").
func isScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isSchemeByte(s[i]) {
			return false
		}
	}
	return true
}

// isSpaceOrInvisible reports white space, including U+3000, and the
// invisible characters that HTML mail puts around link text (zero-width
// space, joiners, byte order mark, soft hyphen).
func isSpaceOrInvisible(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff' || r == '\u00ad'
}

// ToASCII converts one host or label to ASCII with the browser-like IDNA
// profile above, after Fold.
func ToASCII(s string) (string, error) { return idnaProfile.ToASCII(Fold(s)) }

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
