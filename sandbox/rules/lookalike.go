package rules

import (
	"sync"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/rules/lookalike"
)

// lookalikes is the lookalike checker for the brand list, built on first
// use.
var lookalikes = sync.OnceValue(func() *lookalike.Checker {
	bs := make([]lookalike.Brand, len(brandTable))
	for i, e := range brandTable {
		bs[i] = lookalike.Brand{Name: e.Name, Names: e.Names, Domains: e.Domains, Keys: e.keys, Global: e.global}
	}
	return lookalike.New(bs, brandDenyKeys)
})

// Lookalike reports whether host imitates the domain of a brand in the
// brand list (Brands) or one of the organisation's own domains (own, given
// as domains or host names; they are treated like one more brand). The
// checks are package lookalike's.
func Lookalike(host string, own []string) (lookalike.Hit, bool) {
	return lookalikes().Check(host, own)
}

// LookalikeReasons returns the finding of Lookalike as verdict reasons:
// none, or one CodeLookalikeDomain reason, Suspicious (never Malicious: the
// page rules combine it with a credential form, a download or brand content
// on the same page to reach Malicious).
func LookalikeReasons(host string, own []string) []verdict.Reason {
	return lookalikes().Reasons(host, own)
}
