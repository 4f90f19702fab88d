package lookalike

import (
	"cmp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/internal/domain"
)

// check runs the checks in order of strength and returns the first hit.
func (c *Checker) check(host string, own []string) (result, bool) {
	h, ok := parseHost(host)
	if !ok || c.owned[h.reg] {
		return result{}, false
	}
	// The organisation's own domains, as one more brand checked first.
	ownKeys, ownDomains, isOwn := ownEntries(h, own)
	if isOwn || c.localSite(h) {
		return result{}, false
	}
	keys := append(ownKeys, c.keys...)
	domains := append(ownDomains, c.domains...)

	// 1. A brand domain embedded left of the registrable domain.
	if d, homo, ok := embedded(h, domains); ok {
		kind := BrandInSubdomain
		if homo {
			kind = Homoglyph
		}
		return hitWhole(h, d.name, d.domain, kind), true
	}
	// 2. Mixed scripts in any label (registrable label first).
	if r, ok := c.mixedScriptHit(h, keys); ok {
		return r, true
	}
	// 3. The registrable label is a brand label spelt with look-alikes.
	labelSkel := skeleton(h.label)
	for _, k := range keys {
		if homoglyphOf(h.label, labelSkel, k) {
			return hit(h, k.name, k.target, Homoglyph), true
		}
	}
	// 4. The brand's label under another suffix.
	if r, ok := tldSwapHit(h, keys); ok {
		return r, true
	}
	// 5. One or two edits from a brand label.
	if !c.keyset[h.label] {
		for _, k := range keys {
			if d := editOf(h.label, k); d > 0 {
				r := hit(h, k.name, k.target, EditDistance)
				r.dist = d
				return r, true
			}
		}
	}
	// 6. A brand name inside the registrable label.
	if k, trick, ok := c.inLabel(h.label, nil, keys); ok {
		return hit(h, k.name, k.target, cmp.Or(trick, BrandInLabel)), true
	}
	if n, ok := c.jaIn(h.label); ok {
		return hit(h, n.name, n.target, BrandInLabel), true
	}
	// 7. A brand name as (part of) a subdomain label, with a lure word
	// somewhere in the host.
	return c.subdomainHit(h, keys)
}

func hit(h *hostParts, name, target, kind string) result {
	return result{hit: Hit{Brand: name, Target: target, Kind: kind}, h: h}
}

// hitWhole is a hit left of the registrable domain: the explanation shows
// the whole host.
func hitWhole(h *hostParts, name, target, kind string) result {
	r := hit(h, name, target, kind)
	r.whole = true
	return r
}

// ownEntries turns the organisation's own domains into keys and domains
// like a brand's. isOwn reports that h is one of them.
func ownEntries(h *hostParts, own []string) (keys []brandKey, domains []brandDomain, isOwn bool) {
	for _, o := range own {
		d, err := domain.Registrable(o)
		if err != nil {
			continue
		}
		if d == h.reg {
			return nil, nil, true
		}
		domains = append(domains, brandDomain{brand: -1, name: OwnBrand, domain: d, skel: skeleton(d)})
		if l, _, _ := split(d); len(l) >= 2 {
			keys = append(keys, newKey(-1, OwnBrand, l, d, true, false))
		}
	}
	return keys, domains, false
}

// localSite reports a global brand's name under a country code: probably
// its local site (google.de, amazon.fr), not a lookalike at all.
func (c *Checker) localSite(h *hostParts) bool {
	if !h.icann || !isCC(h.suffix) {
		return false
	}
	for _, k := range c.keys {
		if k.global && k.label && k.key == h.label {
			return true
		}
	}
	return false
}

// mixedScriptHit finds a label that mixes scripts, and the brand it
// imitates if any.
func (c *Checker) mixedScriptHit(h *hostParts, keys []brandKey) (result, bool) {
	for i, l := range append([]string{h.label}, h.sub...) {
		if scripts, mixed := mixedScript(l); mixed {
			r := result{hit: Hit{Kind: MixedScript}, h: h, scripts: scripts, whole: i > 0}
			if k, ok := c.imitates(l, keys); ok {
				r.hit.Brand, r.hit.Target = k.name, k.target
			}
			return r, true
		}
	}
	return result{}, false
}

// tldSwapHit finds a brand's label under another public suffix (except a
// global brand's under a country code); on a hosting platform it is a
// tenant named after the brand, BrandInLabel.
func tldSwapHit(h *hostParts, keys []brandKey) (result, bool) {
	for _, k := range keys {
		if k.label && k.key == h.label && h.reg != k.target {
			if k.global && h.icann && isCC(h.suffix) {
				continue
			}
			kind := TLDSwap
			if !h.icann {
				kind = BrandInLabel // a tenant named after the brand on a hosting platform
			}
			return hit(h, k.name, k.target, kind), true
		}
	}
	return result{}, false
}

// subdomainHit finds a brand name as (part of) a subdomain label, with a
// lure word somewhere in the host.
func (c *Checker) subdomainHit(h *hostParts, keys []brandKey) (result, bool) {
	var others []string
	others = append(others, tokens(h.label)...)
	for _, l := range h.sub {
		others = append(others, tokens(l)...)
	}
	for _, l := range h.sub {
		if k, trick, ok := c.inLabel(l, others, keys); ok {
			return hitWhole(h, k.name, k.target, cmp.Or(trick, BrandInSubdomain)), true
		}
		if n, ok := c.jaIn(l); ok {
			return hitWhole(h, n.name, n.target, BrandInSubdomain), true
		}
	}
	return result{}, false
}

// isCC reports whether a public suffix is a country code or below
// one (de, co.uk, com.au, co.jp).
func isCC(suffix string) bool {
	tld := suffix[strings.LastIndexByte(suffix, '.')+1:]
	return len(tld) == 2 && tld[0] >= 'a' && tld[0] <= 'z' && tld[1] >= 'a' && tld[1] <= 'z'
}

// embedded finds a brand domain in the host that starts left of the
// registrable domain, as whole labels or hyphen-separated parts:
// "amazon.co.jp.account-verify.top", "www.amazon.co.jp-login.com",
// "accounts-amazon.com-13.online". A match that starts at the registrable
// domain itself ("paypal.com.mx") is a TLD swap, not this. homo reports a
// match found only after mapping look-alike characters.
func embedded(h *hostParts, domains []brandDomain) (brandDomain, bool, bool) {
	if len(h.sub) == 0 {
		return brandDomain{}, false, false
	}
	subLen := len(h.ascii) - len(h.reg) - 1
	for _, d := range domains {
		if findDomain(h.ascii, d.domain, subLen) {
			return d, false, true
		}
	}
	skelSub := skeleton(strings.Join(h.sub, "."))
	skelHost := skelSub + "." + skeleton(h.label+"."+h.suffix)
	for _, d := range domains {
		if findDomain(skelHost, d.skel, len(skelSub)) {
			return d, true, true
		}
	}
	return brandDomain{}, false, false
}

// findDomain reports whether d occurs in s starting before limit, preceded
// by the start, '.' or '-', and followed by '.' or '-'.
func findDomain(s, d string, limit int) bool {
	for off := 0; off < limit; {
		k := strings.Index(s[off:], d)
		if k < 0 {
			return false
		}
		st, en := off+k, off+k+len(d)
		off = st + 1
		if st >= limit {
			return false
		}
		if (st == 0 || s[st-1] == '.' || s[st-1] == '-') && en < len(s) && (s[en] == '.' || s[en] == '-') {
			return true
		}
	}
	return false
}

// imitates finds the brand a (mixed-script) label imitates: its
// look-alike skeleton equals a brand label, or contains one as a part.
func (c *Checker) imitates(label string, keys []brandKey) (brandKey, bool) {
	s := skeleton(label)
	for _, k := range keys {
		if s == k.skel {
			return k, true
		}
	}
	// A plain brand part next to a look-alike lure ("paypal-lоgin" with a
	// Cyrillic о): the mixed script is the lure.
	if k, _, ok := c.inLabel(label, []string{"login"}, keys); ok {
		return k, true
	}
	return brandKey{}, false
}

// homoglyphOf reports whether label is key spelt with look-alike
// characters. For keys under 5 characters the label must contain a digit or
// a non-ASCII character: "iine" (いいね) is not LINE, "1ine" and "lіne"
// (Cyrillic і) are.
func homoglyphOf(label, skel string, k brandKey) bool {
	if label == k.key || skel != k.skel {
		return false
	}
	if len(k.key) < 5 {
		return strings.IndexFunc(label, func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0
	}
	return true
}
