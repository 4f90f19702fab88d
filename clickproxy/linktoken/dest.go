package linktoken

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// destHost checks that dest is an absolute http or https URL with a host and
// returns its host and port as written (without user info).
//
// The rule is deliberately narrower than what browsers accept, so that every
// parser (Go's net/url, WHATWG URL) agrees on which bytes are the host:
//
//   - dest is valid UTF-8 without ASCII control characters (0x00-0x1F, 0x7F);
//   - it starts with "http://" or "https://", in any case;
//   - the authority runs up to the first '/', '?' or '#'; its user info, up
//     to its last '@', has only unreserved characters, sub-delims, ':', '@'
//     and valid %XX escapes;
//   - the host is an IP literal "[" hex digits, ':' and '.' "]", or a
//     non-empty name of A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = and non-ASCII
//     characters (no '%');
//   - the port, if any, is ':' and zero or more digits.
//
// In particular no '\' can appear before the path: WHATWG parsers read it as
// '/', Go's as part of the host.
func destHost(dest string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("%w: %q: "+format, append([]any{ErrBadDestination, dest}, args...)...)
	}
	if !utf8.ValidString(dest) {
		return bad("not UTF-8")
	}
	if i := strings.IndexFunc(dest, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return bad("control character at byte %d", i)
	}
	var rest string
	switch {
	case hasPrefixFold(dest, "http://"):
		rest = dest[len("http://"):]
	case hasPrefixFold(dest, "https://"):
		rest = dest[len("https://"):]
	default:
		return bad("not an absolute http or https URL")
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	hostport := authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		if !validUserinfo(authority[:i]) {
			return bad("bad user info")
		}
		hostport = authority[i+1:]
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return bad("unclosed IP literal")
		}
		host, port = hostport[:end+1], hostport[end+1:]
		if len(host) == 2 || strings.Trim(host[1:len(host)-1], "0123456789abcdefABCDEF:.") != "" {
			return bad("bad IP literal")
		}
	} else {
		if i := strings.IndexByte(hostport, ':'); i >= 0 {
			host, port = hostport[:i], hostport[i:]
		}
		if host == "" {
			return bad("no host")
		}
		for i := 0; i < len(host); i++ {
			if c := host[i]; c < 0x80 && !hostByte[c] {
				return bad("%q in host", c)
			}
		}
	}
	if port != "" && (port[0] != ':' || strings.Trim(port[1:], "0123456789") != "") {
		return bad("bad port")
	}
	return hostport, nil
}

var hostByte, userinfoByte [128]bool

func init() {
	for c := 0; c < 128; c++ {
		unreserved := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", byte(c)) >= 0
		subDelim := strings.IndexByte("!$&'()*+,;=", byte(c)) >= 0
		hostByte[c] = unreserved || subDelim
		userinfoByte[c] = unreserved || subDelim || c == ':' || c == '@'
	}
}

func validUserinfo(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return false
			}
			_, ok1 := unhex(s[i+1])
			_, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return false
			}
			i += 2
			continue
		}
		if c >= 0x80 || !userinfoByte[c] {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
