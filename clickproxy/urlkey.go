package clickproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/kensa-mail/kensa/rewriter/textlink"
)

// normalizeURL is the form of a destination that verdicts are cached
// under: lower-case scheme and host, no default port, no fragment, no
// user info (never sent to the sandbox's target anyway), an empty path as
// "/". The query is kept byte for byte: its order can matter to the site.
func normalizeURL(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
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
	if d, err := textlink.RegistrableDomain(host); err == nil && d != "" {
		return d
	}
	return host
}
