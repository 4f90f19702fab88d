package clickproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/net/idna"

	"github.com/kensa-mail/kensa/internal/domain"
	"github.com/kensa-mail/kensa/sandbox"
)

// parseDest parses a verified destination. linktoken accepts what browsers
// accept, which is more than net/url does (a path with a stray "%", as in
// "/sale%zz"); such escapes are read as a literal "%" ("%25") for the
// override key (normalizeURL) and the rules, while the cache key and the
// render (canonicalURL) and the redirect keep them as signed.
func parseDest(dest string) (*url.URL, error) {
	u, err := url.Parse(dest)
	if err != nil {
		u, err = url.Parse(fixPercent(dest))
	}
	if err != nil {
		return nil, err
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("not an absolute http or https URL")
	}
	return u, nil
}

// fixPercent escapes every "%" that does not start a valid escape.
func fixPercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			b.WriteString("%25")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// canonicalHost is the form hosts are compared in (overrides, cache keys):
// lower case, no trailing dots, and IDNA ASCII after UTS #46 mapping, so
// that "ＥＶＩＬ.com." and "evil.com" are one host, as they are to a
// browser. A host IDNA refuses is kept lower-cased.
func canonicalHost(h string) string {
	if ldhLower(h) {
		return h // already canonical: the common case, kept off IDNA on the click path
	}
	// Every trailing dot goes, not just one: "0.." must not become "0.",
	// which a second pass would turn into "0" (the key must be idempotent).
	h = strings.TrimRight(strings.ToLower(h), ".")
	if a, err := idna.Lookup.ToASCII(h); err == nil && a != "" {
		return a
	}
	return h
}

// canonicalURL is the destination as the click proxy knows it: the key its
// verdict is cached under (urlDigest) and the URL the sandbox renders, one
// string, so that a cached verdict is always about exactly what was
// rendered, and two spellings share a verdict only when no page can tell
// them apart. It canonicalises only what browsers canonicalise themselves
// before any request: the scheme's case, the host's case and IDNA form
// (UTS #46: "ＥＸＡＭＰＬＥ.com" is "example.com"), a default or
// zero-padded port, and an empty path ("/"). Everything else is kept byte
// for byte, because it can change what a page shows: the user info (sent
// as credentials), trailing dots (resolved and sent in Host, which a
// server may answer differently), the path and query (their order and
// escapes matter to the site, and "%zz" is sent as written), and the
// fragment (the page's script reads it).
//
// dest is a destination linktoken verified (its authority runs up to the
// first "/", "?" or "#", with no "\" in it: every parser agrees) and u is
// parseDest(dest). People are redirected to dest itself, never to this.
func canonicalURL(dest string, u *url.URL) string {
	i := strings.Index(dest, "://")
	if i < 0 {
		return dest // not a verified destination; never happens
	}
	rawScheme, rest := dest[:i], dest[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo := ""
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo = authority[:at+1]
	}
	scheme := strings.ToLower(u.Scheme)
	host := u.Hostname()
	if dots := len(host) - len(strings.TrimRight(host, ".")); dots > 0 {
		host = canonicalHost(host) + strings.Repeat(".", dots)
	} else {
		host = canonicalHost(host)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	hostport := host
	if port := strings.TrimLeft(u.Port(), "0"); port != "" || u.Port() != "" {
		if port == "" {
			port = "0"
		}
		if !(port == "80" && scheme == "http" || port == "443" && scheme == "https") {
			hostport += ":" + port
		}
	}
	if tail == "" || tail[0] != '/' {
		tail = "/" + tail
	} else if rawScheme == scheme && authority[len(userinfo):] == hostport {
		return dest // already canonical: the common case, without allocating
	}
	return scheme + "://" + userinfo + hostport + tail
}

// normalizeURL is the form URL overrides are written and matched in. It
// is looser than canonicalURL on purpose (no fragment, no user info, no
// trailing dot; "%zz" read as "%25zz"): an administrator's URL block must
// not be dodged by adding "#x" or "user@" to the link. Verdicts are never
// cached under it.
func normalizeURL(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := canonicalHost(u.Hostname())
	port := u.Port()
	if port == "80" && scheme == "http" || port == "443" && scheme == "https" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	s := scheme + "://" + host + path
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + u.RawQuery
	}
	return s
}

// urlDigest is the cache key of a canonical URL (canonicalURL): hex
// SHA-256, truncated to 128 bits (collisions would need 2^64 URLs).
func urlDigest(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:16])
}

// verdictKey is what a verdict is cached under (in memory, and in the
// Redis keys of keys.go that end in KEY): the destination's digest
// (urlDigest) and the clicker's device class, "DIGEST:DEVICE". Kits cloak
// by device (a harmless page or a 404 for desktop browsers, phishing for
// phones), so what one class was shown says nothing about another's: a
// desktop click's clean verdict is never the verdict of a later Android
// or iPhone click on the same link, which is rendered as that phone.
func verdictKey(digest string, d sandbox.Device) string {
	return digest + ":" + string(d)
}

// keyDigest is the destination's digest in a verdictKey.
func keyDigest(key string) string {
	d, _, _ := strings.Cut(key, ":")
	return d
}

// validVerdictKey reports a well-formed verdictKey: 32 lower-case hex
// digits, ":" and a device class.
func validVerdictKey(key string) bool {
	d, dev, ok := strings.Cut(key, ":")
	if !ok || len(d) != 32 || !sandbox.Device(dev).Valid() {
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// registrable is the registrable domain of host (Public Suffix List), or
// host itself when it has none (an IP address, a bare suffix).
func registrable(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := domain.Registrable(host); err == nil && d != "" {
		return d
	}
	return host
}

// ldhLower reports a host of lower-case letters, digits, "-" and "."
// only, not ending in ".": what IDNA would return unchanged.
func ldhLower(h string) bool {
	if h == "" || h[len(h)-1] == '.' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
