package linktoken

import (
	"fmt"
	"strings"
)

// literal marks the bytes written unescaped in a destination:
// A-Z a-z 0-9 - . _ ~ : / ? = & ; , @ ! $ + *
// lastLiteral marks the bytes that may also end a link: A-Z a-z 0-9 - _ ~ /.
var literal, lastLiteral [256]bool

func init() {
	for c := 0; c < 256; c++ {
		alnum := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		literal[c] = alnum || strings.IndexByte("-._~:/?=&;,@!$+*", byte(c)) >= 0
		lastLiteral[c] = alnum || strings.IndexByte("-_~/", byte(c)) >= 0
	}
}

const upperhex = "0123456789ABCDEF"

// escape appends s escaped for the u= value, the last value of a link: bytes
// outside the literal set, and a last byte that could be read as trailing
// punctuation, become %XX.
func escape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if literal[c] && (i < len(s)-1 || lastLiteral[c]) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

// escapeHost appends host escaped for the d= value of form B: like escape,
// and '&' is escaped too so that d cannot run into the z parameter.
func escapeHost(dst []byte, host string) []byte {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c != '&' && literal[c] && (i < len(host)-1 || lastLiteral[c]) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes every %XX (either case). Other bytes stand for themselves,
// so a client that escaped more, or less, than escape did does not break the
// link; '+' stays a plus sign. A '%' without two hex digits is malformed, and
// so is a raw '#': a browser would have cut the link there.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '#') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("%w: truncated escape %q", ErrMalformed, s[i:])
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("%w: bad escape %q", ErrMalformed, s[i:i+3])
			}
			b = append(b, hi<<4|lo)
			i += 2
		case '#':
			return "", fmt.Errorf("%w: unescaped '#' at byte %d of the query", ErrMalformed, i)
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

// Find returns the byte ranges [start, end) of the Kensa links under base in
// plain text, in order. A link starts with base+"/k/"+TOKEN+"?u=" or "?d="
// (or base+"/x?u=" for an unsigned link), runs over literal bytes
// and valid %XX escapes, and is then cut back to its last byte in
// A-Z a-z 0-9 - _ ~ / (Kensa never ends a link with punctuation), so "(LINK)."
// and "LINK," give just LINK. Find does not verify the links.
func Find(base, text string) [][2]int {
	var found [][2]int
	if base == "" {
		return nil
	}
	for pos := 0; pos < len(text); {
		// The next signed (base/k/) or unsigned (base/x?) link.
		i := strings.Index(text[pos:], base)
		if i < 0 {
			break
		}
		start := pos + i
		rest := text[start+len(base):]
		if !hasLinkShape(rest) { // not "/k/../../elsewhere" (issue 16)
			pos = start + 1
			continue
		}
		body := start + len(base) + 3
		end := body
		for end < len(text) {
			c := text[end]
			if c == '%' {
				if end+2 < len(text) {
					if _, ok := unhex(text[end+1]); ok {
						if _, ok := unhex(text[end+2]); ok {
							end += 3
							continue
						}
					}
				}
				break
			}
			if !literal[c] {
				break
			}
			end++
		}
		last := end
		for last > body && !lastLiteral[text[last-1]] {
			last--
		}
		if last > body {
			found = append(found, [2]int{start, last})
		}
		pos = max(end, body)
	}
	return found
}
