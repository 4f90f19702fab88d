package rules

import (
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/rules/lookalike"
)

// Lookalike reports whether host imitates the domain of a brand in the
// built-in brand list (Brands) or one of the organisation's own domains
// (own, given as domains or host names; they are treated like one more
// brand). The checks are package lookalike's.
func Lookalike(host string, own []string) (lookalike.Hit, bool) {
	return DefaultBrands().Lookalike(host, own)
}

// Lookalike is the package's Lookalike over this list.
func (l *BrandList) Lookalike(host string, own []string) (lookalike.Hit, bool) {
	return l.look.Check(host, own)
}

// LookalikeReasons returns the finding of Lookalike as verdict reasons:
// none, or one CodeLookalikeDomain reason, Suspicious (never Malicious
// alone: the scoring in Judge combines it with a credential form, a
// download or brand content on the same page).
func LookalikeReasons(host string, own []string) []verdict.Reason {
	return DefaultBrands().LookalikeReasons(host, own)
}

// LookalikeReasons is the package's LookalikeReasons over this list.
func (l *BrandList) LookalikeReasons(host string, own []string) []verdict.Reason {
	return l.look.Reasons(host, own)
}
