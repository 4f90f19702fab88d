package rewriter

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// This file reads an href the way a browser does. It is hand-written because
// net/url is an RFC 3986 parser, and browsers follow the WHATWG URL Standard
// (https://url.spec.whatwg.org/), which accepts much that RFC 3986 does not:
// "https:/\\host.example/" is https://host.example/ to every browser, and
// net/url sees no host in it. A link Kensa misreads is a link it does not
// protect, or one whose check looks at another host than the one the reader
// opens. Only the special schemes http and https are followed; every other
// scheme is "not a web link". Tested against web-platform-tests' URL test
// data (testdata/whatwg-urltestdata.json, whatwg_test.go).
//
// Deliberate differences from a browser:
//   - The query is always percent-encoded as UTF-8. A browser encodes the
//     query of a link in a Shift_JIS or ISO-2022-JP document in that
//     encoding; Kensa has already decoded the part to UTF-8, and the host,
//     which is what the click proxy judges, does not depend on it.
//   - Domains are mapped with golang.org/x/net/idna (UTS #46 with the
//     standard's options), whose Unicode version may trail the browser's.

// webURL is an absolute http(s) URL as the WHATWG URL parser leaves it.
type webURL struct {
	scheme   string // "http" or "https"
	userinfo string // "user:pass", percent-encoded; "" when there is none
	host     string // serialised: domain, dotted IPv4 or [IPv6]
	port     string // "" for the scheme's default
	path     []string
	query    *string
	fragment *string
}

func (u *webURL) String() string {
	var b strings.Builder
	b.WriteString(u.scheme + "://")
	if u.userinfo != "" {
		b.WriteString(u.userinfo + "@")
	}
	b.WriteString(u.host)
	if u.port != "" {
		b.WriteString(":" + u.port)
	}
	for _, s := range u.path {
		b.WriteString("/" + s)
	}
	if u.query != nil {
		b.WriteString("?" + *u.query)
	}
	if u.fragment != nil {
		b.WriteString("#" + *u.fragment)
	}
	return b.String()
}

// parseWebURL parses input as a browser would against base (nil for none)
// and returns the result when it is an http or https URL. It reports false
// for another scheme, a relative reference without a base, and input the
// browser would refuse ("failure" in the standard).
func parseWebURL(input string, base *webURL) (*webURL, bool) {
	input = strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	if strings.ContainsAny(input, "\t\r\n") {
		input = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(input)
	}
	if !utf8.ValidString(input) {
		input = strings.ToValidUTF8(input, "\uFFFD")
	}
	scheme, rest, hasScheme := splitScheme(input)
	if hasScheme {
		if scheme != "http" && scheme != "https" {
			return nil, false
		}
		if base == nil || base.scheme != scheme || isSlash(rest, 0) && isSlash(rest, 1) {
			// "http:x", "http:/x" and "http:\\\x" all name the host x.
			return parseAuthority(scheme, strings.TrimLeft(rest, `/\`))
		}
		input = rest // same scheme as the base: relative
	} else if base == nil {
		return nil, false
	}
	return parseRelative(input, base)
}

// splitScheme returns the lower-cased scheme of input and what follows its
// colon, when input starts with one.
func splitScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func isSlash(s string, i int) bool { return i < len(s) && (s[i] == '/' || s[i] == '\\') }

// parseRelative resolves a reference without a scheme (or with the base's)
// against base.
func parseRelative(s string, base *webURL) (*webURL, bool) {
	u := &webURL{scheme: base.scheme, userinfo: base.userinfo, host: base.host, port: base.port}
	switch {
	case isSlash(s, 0) && isSlash(s, 1):
		return parseAuthority(base.scheme, strings.TrimLeft(s, `/\`))
	case isSlash(s, 0):
		return u, parsePathQueryFragment(u, s, nil)
	case strings.HasPrefix(s, "?") || strings.HasPrefix(s, "#") || s == "":
		u.path = base.path
		if !strings.HasPrefix(s, "?") {
			u.query = base.query
		}
		if s == "" {
			return u, true
		}
		return u, parsePathQueryFragment(u, s, u.path)
	}
	dir := base.path
	if len(dir) > 0 {
		dir = dir[:len(dir)-1]
	}
	return u, parsePathQueryFragment(u, s, dir)
}

// parseAuthority parses what follows "scheme://" (with any run of slashes
// and backslashes already skipped).
func parseAuthority(scheme, s string) (*webURL, bool) {
	end := strings.IndexAny(s, `/\?#`)
	if end < 0 {
		end = len(s)
	}
	auth, rest := s[:end], s[end:]
	u := &webURL{scheme: scheme}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		user, pass, hasPass := strings.Cut(auth[:at], ":")
		u.userinfo = percentEncode(user, userinfoSet)
		if p := percentEncode(pass, userinfoSet); hasPass && p != "" {
			u.userinfo += ":" + p
		}
		auth = auth[at+1:]
	}
	// The host ends at the first colon outside brackets.
	hostPart, port, from := auth, "", 0
	if strings.HasPrefix(auth, "[") {
		if from = strings.IndexByte(auth, ']'); from < 0 {
			return nil, false
		}
	}
	if i := strings.IndexByte(auth[from:], ':'); i >= 0 {
		hostPart, port = auth[:from+i], auth[from+i+1:]
	}
	if hostPart == "" {
		return nil, false
	}
	host, ok := parseHost(hostPart)
	if !ok {
		return nil, false
	}
	u.host = host
	if port != "" {
		n := 0
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return nil, false
			}
			if n = n*10 + int(port[i]-'0'); n > 65535 {
				return nil, false
			}
		}
		if !(scheme == "http" && n == 80 || scheme == "https" && n == 443) {
			u.port = strconv.Itoa(n)
		}
	}
	return u, parsePathQueryFragment(u, rest, nil)
}

// parsePathQueryFragment parses a path (which may be empty), a query and a
// fragment into u, appending the path's segments to dir.
func parsePathQueryFragment(u *webURL, s string, dir []string) bool {
	pathEnd := strings.IndexAny(s, "?#")
	if pathEnd < 0 {
		pathEnd = len(s)
	}
	if pathEnd > 0 || u.path == nil {
		u.path = resolvePath(append([]string(nil), dir...), s[:pathEnd])
	}
	s = s[pathEnd:]
	if strings.HasPrefix(s, "?") {
		raw, _, _ := strings.Cut(s[1:], "#")
		q := percentEncode(raw, specialQuerySet)
		u.query = &q
		s = s[1+len(raw):]
	}
	if strings.HasPrefix(s, "#") {
		f := percentEncode(s[1:], fragmentSet)
		u.fragment = &f
	}
	return true
}

// resolvePath appends the segments of p (slash- or backslash-separated,
// with dot segments applied as the standard's path state does) to path.
func resolvePath(path []string, p string) []string {
	if p == "" {
		if len(path) == 0 {
			return []string{""}
		}
		return path
	}
	if isSlash(p, 0) {
		p = p[1:]
	}
	segs := splitSlashes(p)
	for i, seg := range segs {
		last := i == len(segs)-1
		switch lower := strings.ToLower(seg); lower {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			if last {
				path = append(path, "")
			}
		case ".", "%2e":
			if last {
				path = append(path, "")
			}
		default:
			path = append(path, percentEncode(seg, pathSet))
		}
	}
	return path
}

func splitSlashes(p string) []string {
	var segs []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' || p[i] == '\\' {
			segs = append(segs, p[start:i])
			start = i + 1
		}
	}
	return append(segs, p[start:])
}

// Percent-encode sets of the standard (§1.3), beyond the C0 control set
// (C0 controls and everything above U+007E), which all of them include.
const (
	fragmentSet     = " \"<>`"
	specialQuerySet = " \"#<>'"
	pathSet         = " \"#<>?`{}"
	userinfoSet     = pathSet + "/:;=@[\\]^|"
)

func percentEncode(s, set string) string {
	const hex = "0123456789ABCDEF"
	first := 0
	for first < len(s) && s[first] >= 0x20 && s[first] <= 0x7e && strings.IndexByte(set, s[first]) < 0 {
		first++
	}
	if first == len(s) {
		return s // most hrefs: nothing to encode, nothing to copy
	}
	var b strings.Builder
	b.Grow(len(s) + 2*(len(s)-first))
	b.WriteString(s[:first])
	for i := first; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(set, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// whatwgIDNA is UTS #46 with the standard's "domain to ASCII" options
// (beStrict false).
var whatwgIDNA = idna.New(
	idna.MapForLookup(),
	idna.StrictDomainName(false),
	idna.Transitional(false),
	idna.CheckHyphens(false),
	idna.CheckJoiners(true),
	idna.BidiRule(),
	idna.VerifyDNSLength(false),
)

// parseHost parses the host of a special URL: an [IPv6] address, or a
// domain, which is percent-decoded, mapped and punycoded, then read as an
// IPv4 address when it ends in a number.
func parseHost(s string) (string, bool) {
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") || strings.Contains(s, "%") {
			return "", false
		}
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() {
			return "", false
		}
		return "[" + ipv6String(a.As16()) + "]", true
	}
	if isPlainHost(s) {
		// The common case, and the same answer as below (TestPlainHost):
		// UTS #46 maps nothing in such a name.
		if endsInNumber(s) {
			return parseIPv4(s)
		}
		return s, true
	}
	return parseHostIDNA(s)
}

// parseHostIDNA is parseHost for a name that is not plain: percent-decoding,
// "domain to ASCII", the forbidden code points and IPv4.
func parseHostIDNA(s string) (string, bool) {
	dec := percentDecode(s)
	if !utf8.ValidString(dec) {
		dec = strings.ToValidUTF8(dec, "\uFFFD")
	}
	ascii, err := whatwgIDNA.ToASCII(dec)
	if err != nil || ascii == "" {
		return "", false
	}
	for i := 0; i < len(ascii); i++ {
		if c := ascii[i]; c <= 0x20 || c == 0x7f || strings.IndexByte("#%/:<>?@[\\]^|", c) >= 0 {
			return "", false
		}
	}
	if endsInNumber(ascii) {
		return parseIPv4(ascii)
	}
	return ascii, true
}

// isPlainHost reports whether s is a non-empty host name of lower-case
// ASCII letters, digits, hyphens and dots with no "xn--" label, which the
// "domain to ASCII" step leaves as it is: parseHost then skips it, since
// it costs a microsecond a link.
func isPlainHost(s string) bool {
	if s == "" || strings.Contains(s, "xn--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(v))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func endsInNumber(host string) bool {
	// The last label, or the one before a final dot.
	if host == "" {
		return false
	}
	last := strings.TrimSuffix(host, ".")
	last = last[strings.LastIndexByte(last, '.')+1:]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := parseIPv4Number(last)
	return ok
}

// parseIPv4Number reads one part of an IPv4 address: decimal, octal with a
// leading 0, or hexadecimal with 0x. Values beyond 2^32 are clamped, which
// is enough to fail the range checks.
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, true
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d, ok := digitValue(s[i], base)
		if !ok {
			return 0, false
		}
		if n = n*uint64(base) + d; n > 1<<33 {
			n = 1 << 33
		}
	}
	return n, true
}

// digitValue is the value of digit c in base (8, 10 or 16), as
// strconv.ParseUint reads one digit, without its error's allocation: most
// host names end in a label that is no number.
func digitValue(c byte, base int) (uint64, bool) {
	var d uint64
	switch {
	case '0' <= c && c <= '9':
		d = uint64(c - '0')
	case 'a' <= c && c <= 'z':
		d = uint64(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		d = uint64(c-'A') + 10
	default:
		return 0, false
	}
	return d, d < uint64(base)
}

func parseIPv4(host string) (string, bool) {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return "", false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return "", false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return "", false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&255)) + "." +
		strconv.Itoa(int(v>>8&255)) + "." + strconv.Itoa(int(v&255)), true
}

// ipv6String serialises an IPv6 address as the standard does: hexadecimal
// pieces, the first longest run of two or more zero pieces compressed, and
// never a dotted IPv4 tail.
func ipv6String(a [16]byte) string {
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	bestStart, bestLen := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if i == bestStart {
			if i == 0 {
				b.WriteString("::")
			} else {
				b.WriteString(":")
			}
			i += bestLen - 1
			continue
		}
		b.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
		if i < 7 {
			b.WriteString(":")
		}
	}
	return b.String()
}
