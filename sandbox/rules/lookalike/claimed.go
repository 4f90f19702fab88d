package lookalike

import (
	"cmp"
	"strings"
)

// NameInHost reports whether host carries name, a brand name the page
// itself claims (read from its title, logo or footer by sandbox/rules), in
// the way phishing host names do, without being that brand's own domain.
// It needs no brand list, so it works for brands nobody listed.
//
// The registrable label spelt as the name, hyphens aside ("coincheck.com",
// "coincheck.top", "creative-tim.com" for "creativetim"), is plausibly the
// brand's own: it reports nothing, since a page naming itself after its
// own domain is what every site does. It reports:
//   - the name with lure words in the registrable label
//     ("coincheck-login-secure.top", "mycoincheck-helpdesk.com");
//   - the name spelt with look-alikes in it ("c0incheck.com");
//   - the name as (part of) a subdomain label of another domain, with a
//     lure word somewhere in the host ("coincheck.account-verify.top");
//   - a non-ASCII name ("楽天") with more in an IDN label.
//
// name is lower-case; one-letter ASCII names are ignored, and names under
// five letters match only as whole hyphen parts or with "my", "id" and
// the like glued on (as brand keys do: "vk-account-unlock", "myfb").
// Kind in the Hit is BrandInLabel, BrandInSubdomain or Homoglyph; Brand is
// name and Target is "".
func NameInHost(host, name string) (Hit, bool) {
	name = Lower(Normalize(name))
	if name == "" || isASCII(name) && len(name) < 2 {
		return Hit{}, false
	}
	h, ok := parseHost(host)
	if !ok || strings.ReplaceAll(h.label, "-", "") == strings.ReplaceAll(name, "-", "") {
		return Hit{}, false
	}
	c := &Checker{keyset: map[string]bool{}, owned: map[string]bool{}}
	if !isASCII(name) {
		c.jaNames = []jaName{{brand: -1, name: name, text: name}}
		for i, l := range append([]string{h.label}, h.sub...) {
			if l != name {
				if _, ok := c.jaIn(l); ok {
					kind := BrandInLabel
					if i > 0 {
						kind = BrandInSubdomain
					}
					return Hit{Brand: name, Kind: kind}, true
				}
			}
		}
		return Hit{}, false
	}
	k := newKey(-1, name, name, "", false, false)
	c.keyset[name] = true
	keys := []brandKey{k}
	if homoglyphOf(h.label, skeleton(h.label), k) {
		return Hit{Brand: name, Kind: Homoglyph}, true
	}
	if _, trick, ok := c.inLabel(h.label, nil, keys); ok && trick != EditDistance {
		return Hit{Brand: name, Kind: cmp.Or(trick, BrandInLabel)}, true
	}
	if r, ok := c.subdomainHit(h, keys); ok && r.hit.Kind != EditDistance {
		return Hit{Brand: name, Kind: r.hit.Kind}, true
	}
	return Hit{}, false
}

// LureWords returns the hyphen- or underscore-separated parts of host's
// registrable label that are lure words ("account", "verify", "login"),
// as in "secure-account-verify.top", each once. Subdomain labels are left
// out: "login.example.com" is how real sites name their sign-in host.
func LureWords(host string) []string {
	h, ok := parseHost(host)
	if !ok {
		return nil
	}
	w := words()
	var out []string
	for _, t := range tokens(h.label) {
		t = trimDigits(t)
		if w.lure[t] && !contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// IsLureWord reports whether a lower-case word is one of the words phishing
// host names add to a brand name ("login", "secure", "verify").
func IsLureWord(s string) bool {
	w := words()
	return w.lure[s] || w.glued[s]
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// EmbeddedDomain finds a domain name written into the left part of host,
// the way kits make a host start like the brand's ("vk.com" in
// "vk.com.account-verify.top", "amazon.co.jp" in
// "www.amazon.co.jp-login.com", "amazon.com" in
// "accounts-amazon.com-13.online"): a name label followed by a label
// that is a common top-level or second-level domain (com, net, org, co, ne,
// or, jp), with more host after it. It needs no brand list; it returns the
// embedded name as written ("vk.com") and the real registrable domain.
// A "www" or single-letter name is not counted.
func EmbeddedDomain(host string) (embedded, reg string, ok bool) {
	h, ok := parseHost(host)
	if !ok || len(h.sub) == 0 {
		return "", "", false
	}
	// The labels and hyphen parts, left to right, with the registrable
	// label's parts last: "accounts-amazon.com-13.online" gives
	// [accounts amazon] [com 13].
	var parts [][]string
	for _, l := range h.sub {
		parts = append(parts, tokens(l))
	}
	parts = append(parts, tokens(h.label))
	for i := 0; i+1 < len(parts); i++ {
		name := parts[i]
		next := parts[i+1]
		if len(name) == 0 || len(next) == 0 {
			continue
		}
		last := name[len(name)-1]
		if len(last) < 2 || last == "www" || !isASCII(last) || !embeddedTLD[next[0]] {
			continue
		}
		// The TLD-like part must be followed by more host: a label
		// ("vk.com.account-verify") or a hyphen part ("co.jp-login").
		if i+1 == len(parts)-1 && len(next) == 1 {
			continue
		}
		e := last + "." + next[0]
		switch next[0] {
		case "co", "ne", "or":
			// Only as the second level of a country code: co.jp, co.uk.
			cc := ""
			if len(next) > 1 {
				cc = next[1]
			} else if i+2 < len(parts) && len(parts[i+2]) > 0 {
				cc = parts[i+2][0]
			}
			if cc != "jp" && cc != "uk" {
				continue
			}
			e += "." + cc
		}
		return e, h.reg, true
	}
	return "", "", false
}

// embeddedTLD are the domain endings kits write into host names.
var embeddedTLD = map[string]bool{"com": true, "net": true, "org": true, "co": true, "ne": true, "or": true, "jp": true}

// Skeleton is the look-alike skeleton of s (0 and o, 1 and l, rn and m
// are one), for cheap prefilters before NameInHost.
func Skeleton(s string) string { return skeleton(Lower(Normalize(s))) }
