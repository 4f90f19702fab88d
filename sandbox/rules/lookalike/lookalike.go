package lookalike

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// Hit is a host name that imitates a brand's or the organisation's
// domain.
type Hit struct {
	Brand  string // Brand.Name, OwnBrand, or "" for a mixed-script label that imitates nothing we know
	Target string // the real domain imitated, e.g. "amazon.co.jp" ("" when Brand is "")
	Kind   string // one of the kinds below
}

// The kinds of Hit.
const (
	TLDSwap          = "tld-swap"           // amazon.xyz for amazon.co.jp
	EditDistance     = "edit-distance"      // amazom.co.jp
	Homoglyph        = "homoglyph"          // amaz0n.co.jp, paypa1.com, аррӏе.com (all Cyrillic)
	MixedScript      = "mixed-script"       // pаypal.com (Latin with a Cyrillic а)
	BrandInSubdomain = "brand-in-subdomain" // amazon.co.jp.account-verify.top, netflix.security-check.xyz
	BrandInLabel     = "brand-in-label"     // amazon-co-jp-login.example, rakuten-card-security.com
)

// OwnBrand is Hit.Brand for a host that imitates one of
// the organisation's own domains.
const OwnBrand = "own"

// Brand is what the checks need to know about a brand whose domains
// phishing imitates.
type Brand struct {
	Name    string   // shown in Hit and in explanations
	Names   []string // display names; the non-ASCII ones ("楽天") are looked for in IDN labels
	Domains []string // the brand's registrable domains, lower-case ASCII; the first is its main one
	Keys    []string // extra lower-case ASCII words that stand for the brand in host names ("kuroneko")
	// Global: the brand runs local sites under many country-code TLDs
	// (google.de, amazon.fr), so its name under another country code is
	// not a TLD swap.
	Global bool
}

// Checker checks host names against a brand list. It is safe for
// concurrent use.
type Checker struct {
	keys    []brandKey
	domains []brandDomain
	jaNames []jaName
	keyset  map[string]bool // every key of every brand
	owned   map[string]bool // every domain of every brand
}

// New builds the checker for a brand list. The labels of the brands'
// domains stand for their brand inside host names (as do Brand.Keys),
// except the labels in notKeys: generic words and short-link or CDN labels
// ("live" of live.com, "goo" of goo.gl). Order matters where a key is
// shared: the first brand wins. New keeps no reference to its arguments.
func New(brands []Brand, notKeys map[string]bool) *Checker {
	c := &Checker{keyset: map[string]bool{}, owned: map[string]bool{}}
	for i, b := range brands {
		seen := map[string]bool{}
		for _, d := range b.Domains {
			c.owned[d] = true
			c.domains = append(c.domains, brandDomain{brand: i, name: b.Name, domain: d, skel: skeleton(d)})
			label, _, _ := split(d)
			if label == "" || notKeys[label] || len(label) < 2 || seen[label] {
				continue
			}
			seen[label] = true
			c.keys = append(c.keys, newKey(i, b.Name, label, d, true, b.Global))
		}
		for _, k := range b.Keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			c.keys = append(c.keys, newKey(i, b.Name, k, b.Domains[0], false, b.Global))
		}
		for _, n := range b.Names {
			t := Lower(Normalize(n))
			if !isASCII(t) && utf8.RuneCountInString(t) >= 2 && !strings.ContainsAny(t, " ") {
				c.jaNames = append(c.jaNames, jaName{brand: i, name: b.Name, text: t, target: b.Domains[0]})
			}
		}
	}
	for _, k := range c.keys {
		c.keyset[k.key] = true
	}
	return c
}

// BadKeys lists the host-name keys that would make the checks hit almost
// anywhere: under two characters, a lure or glued word ("login", "my"), or
// not lower case. A sound brand list has none.
func (c *Checker) BadKeys() []string {
	w := words()
	var bad []string
	for _, k := range c.keys {
		if len(k.key) < 2 || w.lure[k.key] || w.glued[k.key] || strings.ToLower(k.key) != k.key {
			bad = append(bad, fmt.Sprintf("%q of %s", k.key, k.name))
		}
	}
	return bad
}

// Check reports whether host imitates the domain of a brand in the
// checker's list or one of the organisation's own domains (own, given as
// domains or host names; they are treated like one more brand, checked
// first). See the package documentation for the checks.
func (c *Checker) Check(host string, own []string) (Hit, bool) {
	r, ok := c.check(host, own)
	return r.hit, ok
}

// Reasons returns the finding of Check as verdict reasons: none, or one
// CodeLookalikeDomain reason with evidence and an explanation in Japanese
// and English.
//
// The level is Suspicious, never Malicious. A lookalike domain is a strong
// hint but not proof: the checks are lexical and can hit an unrelated
// company with a similar name, a defensive registration the brand forgot to
// tell us about, or a parked domain that does nothing. What makes a page
// malicious is what it does, so the page rules combine this reason with a
// credential form, a download or brand content on the same page to reach
// Malicious.
func (c *Checker) Reasons(host string, own []string) []verdict.Reason {
	r, ok := c.check(host, own)
	if !ok {
		return nil
	}
	return []verdict.Reason{r.reason(host)}
}

// result is a hit with what the explanation needs.
type result struct {
	hit     Hit
	h       *hostParts
	dist    int    // edit distance for edit-distance hits
	scripts string // "Latin+Cyrillic" for mixed-script hits
	whole   bool   // the hit is left of the registrable domain: show the whole host
}

// brandKey is a word that stands for a brand inside a host name: the
// label of one of its domains or an extra keyword.
type brandKey struct {
	brand  int      // index in the brand list, -1 for own domains
	name   string   // Brand.Name or OwnBrand
	key    string   // lower-case ASCII, e.g. "amazon", "sagawa-exp"
	toks   []string // key split at '-'
	tskels []string // skeleton of each of toks
	skel   string   // skeleton(key)
	target string   // the domain the key comes from, or the brand's first domain
	label  bool     // key is the label of target (not an extra keyword)
	global bool     // Brand.Global
}

// brandDomain is a legitimate domain to search for inside host names.
type brandDomain struct {
	brand  int
	name   string
	domain string
	skel   string
}

// jaName is a non-ASCII brand name ("楽天") to search for in IDN
// labels.
type jaName struct {
	brand  int
	name   string
	text   string
	target string
}

func newKey(brand int, name, key, target string, label, global bool) brandKey {
	k := brandKey{brand: brand, name: name, key: key, toks: strings.Split(key, "-"),
		skel: skeleton(key), target: target, label: label, global: global}
	for _, t := range k.toks {
		k.tskels = append(k.tskels, skeleton(t))
	}
	return k
}
