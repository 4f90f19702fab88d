package lookalike

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"

	"github.com/kensa-mail/kensa/internal/domain"
)

// split splits a registrable domain into its label and public
// suffix, and reports whether the suffix is in the ICANN section of the
// Public Suffix List (not a hosting platform such as web.app).
func split(reg string) (label, suffix string, icann bool) {
	suffix, icann = publicsuffix.PublicSuffix(reg)
	if len(suffix)+1 >= len(reg) || !strings.HasSuffix(reg, "."+suffix) {
		return "", suffix, icann
	}
	return reg[:len(reg)-len(suffix)-1], suffix, icann
}

// toASCII converts a host to ASCII as domain.Registrable does
// (the WHATWG URL Standard's domain-to-ASCII with beStrict false), to see the
// labels left of the registrable domain.
var toASCII = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// hostParts is a host name taken apart.
type hostParts struct {
	ascii  string   // whole host, lower-case ASCII (punycode)
	uni    string   // whole host with IDN labels decoded
	reg    string   // registrable domain (ASCII)
	label  string   // registrable label, Unicode (NFKC, lower case)
	suffix string   // public suffix
	icann  bool     // suffix is an ICANN suffix
	sub    []string // labels left of reg, Unicode
}

func parseHost(host string) (*hostParts, bool) {
	reg, err := domain.Registrable(host)
	if err != nil {
		return nil, false
	}
	h := &hostParts{reg: reg, ascii: reg}
	var asciiLabel string
	asciiLabel, h.suffix, h.icann = split(reg)
	if asciiLabel == "" {
		return nil, false
	}
	h.label = unicodeLabel(asciiLabel)
	// The labels left of the registrable domain. RegistrableDomain has
	// already bounded the length and checked the host.
	full := strings.TrimSuffix(domain.Fold(host), ".")
	if a, err := toASCII.ToASCII(full); err == nil {
		a = strings.ToLower(a)
		if strings.HasSuffix(a, "."+reg) {
			h.ascii = a
			for _, l := range strings.Split(strings.TrimSuffix(a, "."+reg), ".") {
				h.sub = append(h.sub, unicodeLabel(l))
			}
		}
	}
	uni := append(append([]string(nil), h.sub...), h.label, h.suffix)
	h.uni = strings.Join(uni, ".")
	return h, true
}

// unicodeLabel decodes a punycode label and returns it NFKC-normalised
// and lower-cased; an undecodable label is returned as is.
func unicodeLabel(l string) string {
	if strings.HasPrefix(l, "xn--") {
		if u, err := idna.Punycode.ToUnicode(l); err == nil {
			l = u
		}
	}
	return Lower(norm.NFKC.String(l))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Normalize folds full-width forms and ideographic full stops
// (domain.Fold) and applies NFKC, which also joins half-width katakana
// ("ｱﾏｿﾞﾝ" -> "アマゾン") and maps compatibility letters. The brand list's
// text matching (sandbox/rules) uses it too.
func Normalize(s string) string {
	return norm.NFKC.String(domain.Fold(s))
}

// Lower lower-cases s rune by rune, keeping a rune whose lower case has a
// different UTF-8 length, so that byte offsets in the result are offsets
// in s.
func Lower(s string) string {
	return strings.Map(func(r rune) rune {
		l := unicode.ToLower(r)
		if utf8.RuneLen(l) != utf8.RuneLen(r) {
			return r
		}
		return l
	}, s)
}
