package clickproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/net/idna"

	"github.com/kensa-mail/kensa/internal/domain"
)

// parseDest parses a verified destination. linktoken accepts what browsers
// accept, which is more than net/url does (a path with a stray "%", as in
// "/sale%zz"); such escapes are read as a literal "%" ("%25") for the
// cache key and the rules, while the redirect and the render keep the
// destination exactly as signed.
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

// normalizeURL is the form of a destination that verdicts are cached
// under: lower-case scheme and host, no default port, no fragment, no
// user info (never sent to the sandbox's target anyway), an empty path as
// "/". The query is kept byte for byte: its order can matter to the site.
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

// urlDigest is the cache key of a normalised URL: hex SHA-256, truncated
// to 128 bits (collisions would need 2^64 URLs).
func urlDigest(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:16])
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
