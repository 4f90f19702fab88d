package rules

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/domain"
)

// LookalikeHit is a host name that imitates a brand's or the organisation's
// domain.
type LookalikeHit struct {
	Brand  string // Brand.Name, LookalikeOwnBrand, or "" for a mixed-script label that imitates nothing we know
	Target string // the real domain imitated, e.g. "amazon.co.jp" ("" when Brand is "")
	Kind   string // one of the Lookalike* kinds below
}

// The kinds of LookalikeHit.
const (
	LookalikeTLDSwap          = "tld-swap"           // amazon.xyz for amazon.co.jp
	LookalikeEditDistance     = "edit-distance"      // amazom.co.jp
	LookalikeHomoglyph        = "homoglyph"          // amaz0n.co.jp, paypa1.com, аррӏе.com (all Cyrillic)
	LookalikeMixedScript      = "mixed-script"       // pаypal.com (Latin with a Cyrillic а)
	LookalikeBrandInSubdomain = "brand-in-subdomain" // amazon.co.jp.account-verify.top, netflix.security-check.xyz
	LookalikeBrandInLabel     = "brand-in-label"     // amazon-co-jp-login.example, rakuten-card-security.com
)

// LookalikeOwnBrand is LookalikeHit.Brand for a host that imitates one of
// the organisation's own domains.
const LookalikeOwnBrand = "own"

// Lookalike reports whether host imitates the domain of a brand in the
// brand list (Brands) or one of the organisation's own domains (own, given
// as domains or host names; they are treated like one more brand).
//
// The host is compared by its registrable domain (domain.Registrable:
// Public Suffix List after full-width folding and IDNA). A host whose
// registrable domain belongs to a brand or to own ("www.amazon.co.jp",
// "login.microsoftonline.com") never hits, nor does an IP address or an
// invalid host. The checks, strongest first:
//
//   - brand-in-subdomain: a brand domain inside the host to the left of the
//     registrable domain ("amazon.co.jp.account-verify.top",
//     "www.amazon.co.jp-login.com", "accounts-amazon.com-13.online"), or a
//     brand name as a subdomain when the host also carries a lure word
//     ("netflix.security-check-83.xyz");
//   - mixed-script: a label mixing scripts beyond what Chrome displays
//     (Latin may join only Han with Hiragana/Katakana, Bopomofo or Hangul),
//     e.g. "pаypal.com" with a Cyrillic "а"; reported without a brand when
//     the label imitates none;
//   - homoglyph: the registrable label equals a brand label once look-alike
//     characters are mapped (0/o, 1/l/i, rn/m, vv/w, cl/d, Cyrillic, Greek
//     and Armenian look-alikes, accents): "amaz0n.co.jp", "аррӏе.com";
//   - tld-swap: the brand's label under another public suffix
//     ("example.co", "example.com" and "example.jp" for "example.co.jp"; on
//     a hosting platform such as web.app it is brand-in-label);
//   - edit-distance: one edit (two for brand labels of 8 or more
//     characters, at most one of them a replaced letter) from a brand label
//     of at least 5 characters, counting a swap of neighbouring letters as
//     one edit and keeping the first letter;
//   - brand-in-label: a brand name as a hyphen-separated part of the
//     registrable label (or glued to a lure word like "my", "login",
//     "secure") together with a lure word or a TLD-like part
//     ("amazon-co-jp-login.example", "rakuten-card-security.com",
//     "mydropbox-helpdesk.xyz"); a look-alike spelling of the name
//     ("faceb00k-recovery.cfd") is a homoglyph hit even without a lure.
//
// See the comments on the helpers for the guards against false positives
// (short names, common words, brands with local sites in many countries).
func Lookalike(host string, own []string) (LookalikeHit, bool) {
	r, ok := lookalikeCheck(host, own)
	return r.hit, ok
}

// LookalikeReasons returns the finding of Lookalike as verdict reasons: none,
// or one CodeLookalikeDomain reason with evidence and an explanation in
// Japanese and English.
//
// The level is Suspicious, never Malicious. A lookalike domain is a strong
// hint but not proof: the checks are lexical and can hit an unrelated
// company with a similar name, a defensive registration the brand forgot to
// tell us about, or a parked domain that does nothing. What makes a page
// malicious is what it does, so the page rules combine this reason with a
// credential form, a download or brand content (BrandsInText) on the same
// page to reach Malicious.
func LookalikeReasons(host string, own []string) []verdict.Reason {
	r, ok := lookalikeCheck(host, own)
	if !ok {
		return nil
	}
	return []verdict.Reason{r.reason(host)}
}

// lookalikeResult is a hit with what the explanation needs.
type lookalikeResult struct {
	hit     LookalikeHit
	h       *lookalikeHost
	dist    int    // edit distance for edit-distance hits
	scripts string // "Latin+Cyrillic" for mixed-script hits
	whole   bool   // the hit is left of the registrable domain: show the whole host
}

// lookalikeKey is a word that stands for a brand inside a host name: the
// label of one of its domains or an extra keyword.
type lookalikeKey struct {
	brand  int      // index in brandTable, -1 for own domains
	name   string   // Brand.Name or LookalikeOwnBrand
	key    string   // lower-case ASCII, e.g. "amazon", "sagawa-exp"
	toks   []string // key split at '-'
	tskels []string // lookalikeSkeleton of each of toks
	skel   string   // lookalikeSkeleton(key)
	target string   // the domain the key comes from, or the brand's first domain
	label  bool     // key is the label of target (not an extra keyword)
	global bool     // brandEntry.global
}

// lookalikeDomain is a legitimate domain to search for inside host names.
type lookalikeDomain struct {
	brand  int
	name   string
	domain string
	skel   string
}

// lookalikeJaName is a non-ASCII brand name ("楽天") to search for in IDN
// labels.
type lookalikeJaName struct {
	brand  int
	name   string
	text   string
	target string
}

var (
	lookalikeKeys    []lookalikeKey
	lookalikeDomains []lookalikeDomain
	lookalikeJaNames []lookalikeJaName
	lookalikeKeyset  = map[string]bool{} // every key of every brand
)

func init() {
	for i := range brandTable {
		e := &brandTable[i]
		seen := map[string]bool{}
		for _, d := range e.Domains {
			lookalikeDomains = append(lookalikeDomains, lookalikeDomain{brand: i, name: e.Name, domain: d, skel: lookalikeSkeleton(d)})
			label, _, _ := lookalikeSplit(d)
			if label == "" || brandDenyKeys[label] || len(label) < 2 || seen[label] {
				continue
			}
			seen[label] = true
			lookalikeKeys = append(lookalikeKeys, lookalikeNewKey(i, e.Name, label, d, true, e.global))
		}
		for _, k := range e.keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			lookalikeKeys = append(lookalikeKeys, lookalikeNewKey(i, e.Name, k, e.Domains[0], false, e.global))
		}
		for _, n := range e.Names {
			t := brandLower(brandNormalize(n))
			if !lookalikeIsASCII(t) && utf8.RuneCountInString(t) >= 2 && !strings.ContainsAny(t, " ") {
				lookalikeJaNames = append(lookalikeJaNames, lookalikeJaName{brand: i, name: e.Name, text: t, target: e.Domains[0]})
			}
		}
	}
	for _, k := range lookalikeKeys {
		lookalikeKeyset[k.key] = true
	}
}

func lookalikeNewKey(brand int, name, key, target string, label, global bool) lookalikeKey {
	k := lookalikeKey{brand: brand, name: name, key: key, toks: strings.Split(key, "-"),
		skel: lookalikeSkeleton(key), target: target, label: label, global: global}
	for _, t := range k.toks {
		k.tskels = append(k.tskels, lookalikeSkeleton(t))
	}
	return k
}

// lookalikeSplit splits a registrable domain into its label and public
// suffix, and reports whether the suffix is in the ICANN section of the
// Public Suffix List (not a hosting platform such as web.app).
func lookalikeSplit(reg string) (label, suffix string, icann bool) {
	suffix, icann = publicsuffix.PublicSuffix(reg)
	if len(suffix)+1 >= len(reg) || !strings.HasSuffix(reg, "."+suffix) {
		return "", suffix, icann
	}
	return reg[:len(reg)-len(suffix)-1], suffix, icann
}

// lookalikeIDNA converts a host to ASCII as domain.Registrable does
// (the WHATWG URL Standard's domain-to-ASCII with beStrict false), to see the
// labels left of the registrable domain.
var lookalikeIDNA = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// lookalikeHost is a host name taken apart.
type lookalikeHost struct {
	ascii  string   // whole host, lower-case ASCII (punycode)
	uni    string   // whole host with IDN labels decoded
	reg    string   // registrable domain (ASCII)
	label  string   // registrable label, Unicode (NFKC, lower case)
	suffix string   // public suffix
	icann  bool     // suffix is an ICANN suffix
	sub    []string // labels left of reg, Unicode
}

func lookalikeParse(host string) (*lookalikeHost, bool) {
	reg, err := domain.Registrable(host)
	if err != nil {
		return nil, false
	}
	h := &lookalikeHost{reg: reg, ascii: reg}
	var asciiLabel string
	asciiLabel, h.suffix, h.icann = lookalikeSplit(reg)
	if asciiLabel == "" {
		return nil, false
	}
	h.label = lookalikeUnicode(asciiLabel)
	// The labels left of the registrable domain. RegistrableDomain has
	// already bounded the length and checked the host.
	full := strings.TrimSuffix(domain.Fold(host), ".")
	if a, err := lookalikeIDNA.ToASCII(full); err == nil {
		a = strings.ToLower(a)
		if strings.HasSuffix(a, "."+reg) {
			h.ascii = a
			for _, l := range strings.Split(strings.TrimSuffix(a, "."+reg), ".") {
				h.sub = append(h.sub, lookalikeUnicode(l))
			}
		}
	}
	uni := append(append([]string(nil), h.sub...), h.label, h.suffix)
	h.uni = strings.Join(uni, ".")
	return h, true
}

// lookalikeUnicode decodes a punycode label and returns it NFKC-normalised
// and lower-cased; an undecodable label is returned as is.
func lookalikeUnicode(l string) string {
	if strings.HasPrefix(l, "xn--") {
		if u, err := idna.Punycode.ToUnicode(l); err == nil {
			l = u
		}
	}
	return brandLower(norm.NFKC.String(l))
}

func lookalikeIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lookalikeCheck runs the checks in order of strength and returns the first
// hit.
func lookalikeCheck(host string, own []string) (lookalikeResult, bool) {
	h, ok := lookalikeParse(host)
	if !ok || brandOwns(h.reg) {
		return lookalikeResult{}, false
	}
	// The organisation's own domains, as one more brand checked first.
	var ownKeys []lookalikeKey
	var ownDomains []lookalikeDomain
	for _, o := range own {
		d, err := domain.Registrable(o)
		if err != nil {
			continue
		}
		if d == h.reg {
			return lookalikeResult{}, false
		}
		ownDomains = append(ownDomains, lookalikeDomain{brand: -1, name: LookalikeOwnBrand, domain: d, skel: lookalikeSkeleton(d)})
		if l, _, _ := lookalikeSplit(d); len(l) >= 2 {
			ownKeys = append(ownKeys, lookalikeNewKey(-1, LookalikeOwnBrand, l, d, true, false))
		}
	}
	keys := append(ownKeys, lookalikeKeys...)
	domains := append(ownDomains, lookalikeDomains...)

	// A global brand's name under a country code is probably its local
	// site (google.de, amazon.fr): not a lookalike at all.
	if h.icann && lookalikeIsCC(h.suffix) {
		for _, k := range lookalikeKeys {
			if k.global && k.label && k.key == h.label {
				return lookalikeResult{}, false
			}
		}
	}
	res := func(name, target, kind string) (lookalikeResult, bool) {
		return lookalikeResult{hit: LookalikeHit{Brand: name, Target: target, Kind: kind}, h: h}, true
	}
	resWhole := func(name, target, kind string) (lookalikeResult, bool) {
		r, ok := res(name, target, kind)
		r.whole = true
		return r, ok
	}

	// 1. A brand domain embedded left of the registrable domain.
	if d, homo, ok := lookalikeEmbedded(h, domains); ok {
		kind := LookalikeBrandInSubdomain
		if homo {
			kind = LookalikeHomoglyph
		}
		return resWhole(d.name, d.domain, kind)
	}

	// 2. Mixed scripts in any label (registrable label first).
	for i, l := range append([]string{h.label}, h.sub...) {
		if scripts, mixed := lookalikeMixedScript(l); mixed {
			r := lookalikeResult{hit: LookalikeHit{Kind: LookalikeMixedScript}, h: h, scripts: scripts, whole: i > 0}
			if k, ok := lookalikeImitates(l, keys); ok {
				r.hit.Brand, r.hit.Target = k.name, k.target
			}
			return r, true
		}
	}

	// 3. The registrable label is a brand label spelt with look-alikes.
	labelSkel := lookalikeSkeleton(h.label)
	for _, k := range keys {
		if lookalikeHomoglyphOf(h.label, labelSkel, k) {
			return res(k.name, k.target, LookalikeHomoglyph)
		}
	}

	// 4. The brand's label under another suffix.
	for _, k := range keys {
		if k.label && k.key == h.label && h.reg != k.target {
			if k.global && h.icann && lookalikeIsCC(h.suffix) {
				continue
			}
			kind := LookalikeTLDSwap
			if !h.icann {
				kind = LookalikeBrandInLabel // a tenant named after the brand on a hosting platform
			}
			return res(k.name, k.target, kind)
		}
	}

	// 5. One or two edits from a brand label.
	if !lookalikeKeyset[h.label] {
		for _, k := range keys {
			if d := lookalikeEditOf(h.label, k); d > 0 {
				r, _ := res(k.name, k.target, LookalikeEditDistance)
				r.dist = d
				return r, true
			}
		}
	}

	// 6. A brand name inside the registrable label.
	if k, trick, ok := lookalikeInLabel(h.label, nil, keys); ok {
		kind := LookalikeBrandInLabel
		if trick != "" {
			kind = trick
		}
		return res(k.name, k.target, kind)
	}
	if n, ok := lookalikeJaIn(h.label); ok {
		return res(n.name, n.target, LookalikeBrandInLabel)
	}

	// 7. A brand name as (part of) a subdomain label, with a lure word
	// somewhere in the host.
	var others []string
	others = append(others, lookalikeTokens(h.label)...)
	for _, l := range h.sub {
		others = append(others, lookalikeTokens(l)...)
	}
	for _, l := range h.sub {
		if k, trick, ok := lookalikeInLabel(l, others, keys); ok {
			kind := LookalikeBrandInSubdomain
			if trick != "" {
				kind = trick
			}
			return resWhole(k.name, k.target, kind)
		}
		if n, ok := lookalikeJaIn(l); ok {
			return resWhole(n.name, n.target, LookalikeBrandInSubdomain)
		}
	}
	return lookalikeResult{}, false
}

// lookalikeIsCC reports whether a public suffix is a country code or below
// one (de, co.uk, com.au, co.jp).
func lookalikeIsCC(suffix string) bool {
	tld := suffix[strings.LastIndexByte(suffix, '.')+1:]
	return len(tld) == 2 && tld[0] >= 'a' && tld[0] <= 'z' && tld[1] >= 'a' && tld[1] <= 'z'
}

// lookalikeEmbedded finds a brand domain in the host that starts left of the
// registrable domain, as whole labels or hyphen-separated parts:
// "amazon.co.jp.account-verify.top", "www.amazon.co.jp-login.com",
// "accounts-amazon.com-13.online". A match that starts at the registrable
// domain itself ("paypal.com.mx") is a TLD swap, not this. homo reports a
// match found only after mapping look-alike characters.
func lookalikeEmbedded(h *lookalikeHost, domains []lookalikeDomain) (lookalikeDomain, bool, bool) {
	if len(h.sub) == 0 {
		return lookalikeDomain{}, false, false
	}
	subLen := len(h.ascii) - len(h.reg) - 1
	for _, d := range domains {
		if lookalikeFind(h.ascii, d.domain, subLen) {
			return d, false, true
		}
	}
	skelSub := lookalikeSkeleton(strings.Join(h.sub, "."))
	skelHost := skelSub + "." + lookalikeSkeleton(h.label+"."+h.suffix)
	for _, d := range domains {
		if lookalikeFind(skelHost, d.skel, len(skelSub)) {
			return d, true, true
		}
	}
	return lookalikeDomain{}, false, false
}

// lookalikeFind reports whether d occurs in s starting before limit, preceded
// by the start, '.' or '-', and followed by '.' or '-'.
func lookalikeFind(s, d string, limit int) bool {
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

// lookalikeScripts lists the scripts checked first, the rest being looked up
// in unicode.Scripts.
var lookalikeScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Han", unicode.Han}, {"Hiragana", unicode.Hiragana},
	{"Katakana", unicode.Katakana}, {"Hangul", unicode.Hangul}, {"Bopomofo", unicode.Bopomofo},
}

func lookalikeScriptOf(r rune) string {
	for _, s := range lookalikeScripts {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	for name, t := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(t, r) {
			return name
		}
	}
	return ""
}

// lookalikeMixedScript reports whether a label mixes scripts beyond Chrome's
// "highly restrictive" IDN rule: one script, or Latin with Han and
// Hiragana/Katakana (Japanese), with Han and Bopomofo, or with Han and
// Hangul. Digits, hyphens and marks belong to no script here.
func lookalikeMixedScript(label string) (string, bool) {
	if lookalikeIsASCII(label) {
		return "", false
	}
	set := map[string]bool{}
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		if s := lookalikeScriptOf(r); s != "" {
			set[s] = true
		}
	}
	if len(set) <= 1 {
		return "", false
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		n := 0
		for _, s := range allowed {
			if set[s] {
				n++
			}
		}
		if n == len(set) {
			return "", false
		}
	}
	names := make([]string, 0, len(set))
	for s := range set {
		names = append(names, s)
	}
	sort.Strings(names)
	return strings.Join(names, "+"), true
}

// lookalikeImitates finds the brand a (mixed-script) label imitates: its
// look-alike skeleton equals a brand label, or contains one as a part.
func lookalikeImitates(label string, keys []lookalikeKey) (lookalikeKey, bool) {
	s := lookalikeSkeleton(label)
	for _, k := range keys {
		if s == k.skel {
			return k, true
		}
	}
	// A plain brand part next to a look-alike lure ("paypal-lоgin" with a
	// Cyrillic о): the mixed script is the lure.
	if k, _, ok := lookalikeInLabel(label, []string{"login"}, keys); ok {
		return k, true
	}
	return lookalikeKey{}, false
}

// lookalikeHomoglyphOf reports whether label is key spelt with look-alike
// characters. For keys under 5 characters the label must contain a digit or
// a non-ASCII character: "iine" (いいね) is not LINE, "1ine" and "lіne"
// (Cyrillic і) are.
func lookalikeHomoglyphOf(label, skel string, k lookalikeKey) bool {
	if label == k.key || skel != k.skel {
		return false
	}
	if len(k.key) < 5 {
		return strings.IndexFunc(label, func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0
	}
	return true
}

// lookalikeEditOf returns the number of edits (1 or 2) that turn label into
// a brand label, or 0 when it is not a near miss. Only labels of real
// domains of at least 5 characters are compared (shorter names are a letter
// away from countless words). A brand label of 8 or more characters allows
// two edits, of which at most one may replace a letter: typos drop, double
// or swap letters ("mcrosoft", "mircosfot"), while two replaced letters
// make another word ("sonybank" is a bank, not "softbank"). The first
// character must be the same: typosquats keep the start that readers look
// at, while unrelated words differ there ("email"/"gmail",
// "switch"/"twitch", "interest"/"pinterest").
func lookalikeEditOf(label string, k lookalikeKey) int {
	if !k.label || len(k.key) < 5 || label == k.key || label == "" || label[0] != k.key[0] || !lookalikeIsASCII(label) {
		return 0
	}
	limit := lookalikeOneEdit
	if len(k.key) >= 8 {
		limit = lookalikeTwoEdits
	}
	d := lookalikeDistance(label, k.key, limit)
	switch {
	case d <= lookalikeOneEdit:
		return 1
	case d <= limit:
		return 2
	}
	return 0
}

// Weights of lookalikeDistance: inserting, deleting or swapping neighbouring
// letters costs 2, replacing a letter 3. One edit costs at most 3; two edits
// of which at most one replaces a letter cost at most 5.
const (
	lookalikeOneEdit  = 3
	lookalikeTwoEdits = 5
)

// lookalikeDistance is a weighted optimal string alignment distance
// (Levenshtein plus swaps of neighbouring letters) between two ASCII
// strings, or limit+1 when it exceeds limit.
func lookalikeDistance(a, b string, limit int) int {
	if d := len(a) - len(b); 2*d > limit || -2*d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = 2 * j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = 2 * i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			sub := 3
			if a[i-1] == b[j-1] {
				sub = 0
			}
			v := min(prev[j]+2, cur[j-1]+2, prev[j-1]+sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+2)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// Lure words: what phishing host names add to a brand name. A brand name
// inside a label counts only together with one of them (or a TLD-like part,
// as in "amazon-co-jp"), so that "apple-pie-recipes.com", "line-art.jp",
// "au-pair.com" and "rakuten.zoom.us" are not lookalikes.
var lookalikeLure = lookalikeSet(
	"login", "logon", "signin", "signon", "signup", "secure", "security", "account", "accounts",
	"verify", "verification", "verified", "confirm", "confirmation", "update", "updates", "unlock",
	"recovery", "recover", "restore", "helpdesk", "help", "support", "auth", "authentication",
	"authorize", "password", "passwd", "billing", "payment", "payments", "wallet", "check",
	"checking", "alert", "alerts", "notice", "notification", "suspend", "suspended", "locked",
	"limited", "validate", "validation", "reactivate", "reset", "center", "centre", "portal",
	"official", "customer", "member", "members", "mypage", "session", "webscr", "safety",
	"protect", "protection", "access", "delivery", "redelivery", "tracking", "track", "parcel",
	"fuzai", "kakunin", "haitatsu", "saihaitatsu", "honnin",
	"ログイン", "認証", "確認", "本人確認", "サポート", "セキュリティ", "アカウント", "更新", "停止", "再配達", "不在", "お知らせ",
)

// lookalikeGlued are words that count as lures only when glued to the brand
// name in one part ("mydropbox", "rakutencard", "aupay", "amazoncojp").
var lookalikeGlued = lookalikeSet("my", "id", "co", "jp", "com", "cojp", "net", "pay", "card", "bank",
	"app", "online", "web", "mobile", "mail", "info", "jpn", "japan")

// lookalikeTLDPart are parts that spell a TLD after the brand name
// ("amazon-co-jp", "paypal-com").
var lookalikeTLDPart = lookalikeSet("co", "jp", "com", "ne", "net", "cojp")

// Names under 5 characters ("au", "fb", "line", "mufg") may be glued only to
// these, as in "myfb", "aupay", "lineid", "auid": "idea" is not "id"+"ea"
// and "helpline" is not "help"+"line".
var (
	lookalikeShortPrefix = lookalikeSet("my")
	lookalikeShortSuffix = lookalikeSet("id", "pay", "card", "bank", "login", "signin", "secure", "support", "account", "verify", "jp", "cojp", "com")
)

func lookalikeSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// lookalikeSkelLure and lookalikeSkelGlued are the skeletons of the affix
// words, so that glued look-alike spellings ("myfaceb00k") are matched on
// skeletons.
var lookalikeSkelLure, lookalikeSkelGlued = func() (map[string]bool, map[string]bool) {
	l, g := map[string]bool{}, map[string]bool{}
	for w := range lookalikeLure {
		l[lookalikeSkeleton(w)] = true
	}
	for w := range lookalikeGlued {
		g[lookalikeSkeleton(w)] = true
	}
	return l, g
}()

// lookalikeTokens splits a label at '-' and '_', dropping empty parts.
func lookalikeTokens(label string) []string {
	return strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' })
}

// lookalikeInLabel looks for a brand key among the hyphen-separated parts of
// a label. It needs a lure: a lure word among the other parts of the label or
// in others (the rest of the host, for subdomain labels), a TLD-like part
// after the name, or a lure glued to the name. A look-alike spelling of the
// name needs none. trick is LookalikeHomoglyph for such a spelling,
// LookalikeEditDistance for a near miss of the name, and "" for the name
// itself.
func lookalikeInLabel(label string, others []string, keys []lookalikeKey) (k lookalikeKey, trick string, ok bool) {
	toks := lookalikeTokens(label)
	if len(toks) == 0 {
		return lookalikeKey{}, "", false
	}
	skels := make([]string, len(toks))
	for i, t := range toks {
		skels[i] = lookalikeSkeleton(t)
	}
	lureAround := func(i, n int) bool {
		for j, t := range toks {
			if j >= i && j < i+n {
				continue
			}
			if lookalikeLure[t] || (j >= i+n && lookalikeTLDPart[t]) {
				return true
			}
		}
		for _, t := range others {
			if lookalikeLure[t] {
				return true
			}
		}
		return false
	}
	for _, k := range keys {
		n := len(k.toks)
		if n > 1 {
			// A hyphenated key ("sagawa-exp") matches whole parts.
			for i := 0; i+n <= len(toks); i++ {
				exact, skel := true, true
				for j := 0; j < n; j++ {
					exact = exact && toks[i+j] == k.toks[j]
					skel = skel && skels[i+j] == k.tskels[j]
				}
				if exact && lureAround(i, n) {
					return k, "", true
				}
				if !exact && skel && strings.IndexFunc(strings.Join(toks[i:i+n], ""), func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0 {
					return k, LookalikeHomoglyph, true
				}
			}
			continue
		}
		for i, t := range toks {
			if t == k.key {
				if lureAround(i, 1) {
					return k, "", true
				}
				continue
			}
			short := len(k.key) < 5
			if glued, ok := lookalikeGluedMatch(t, k.key, short, lookalikeLure, lookalikeGlued); ok {
				if glued || lureAround(i, 1) {
					return k, "", true
				}
				continue
			}
			if lookalikeHomoglyphOf(t, skels[i], k) {
				return k, LookalikeHomoglyph, true
			}
			if !short && strings.Contains(skels[i], k.skel) && !strings.Contains(t, k.key) {
				if _, ok := lookalikeGluedMatch(skels[i], k.skel, false, lookalikeSkelLure, lookalikeSkelGlued); ok && lookalikeHasTrick(t) {
					return k, LookalikeHomoglyph, true
				}
			}
			// A near miss of a real domain's label, with a lure
			// ("amazom-login").
			if len(toks) > 1 && lookalikeEditOf(t, k) > 0 && !lookalikeKeyset[t] && lureAround(i, 1) {
				return k, LookalikeEditDistance, true
			}
		}
	}
	return lookalikeKey{}, "", false
}

// lookalikeHasTrick reports whether a part uses a digit, a non-ASCII letter
// or one of the letter pairs of lookalikeSkeleton, so that a skeleton match
// is a deliberate look-alike.
func lookalikeHasTrick(t string) bool {
	return strings.IndexFunc(t, func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0 ||
		strings.Contains(t, "rn") || strings.Contains(t, "vv") || strings.Contains(t, "cl") || strings.ContainsRune(t, 'i') || strings.ContainsRune(t, 'l')
}

// lookalikeGluedMatch reports whether part t is key with affixes glued on
// ("mydropbox", "rakutencard", "paypal1"), each affix made of lure words,
// glued-only words and digits; hasLure reports a word (not only digits)
// among them. Keys under 5 characters take only lookalikeShortPrefix and
// lookalikeShortSuffix, and only in plain spelling (short is false for the
// skeleton pass).
func lookalikeGluedMatch(t, key string, short bool, lure, glued map[string]bool) (hasLure, ok bool) {
	if len(key) == 0 || len(t) <= len(key) {
		return false, false
	}
	for off := 0; ; {
		k := strings.Index(t[off:], key)
		if k < 0 {
			return false, false
		}
		st := off + k
		off = st + 1
		pre, post := t[:st], t[st+len(key):]
		if short {
			if (pre == "" || lookalikeShortPrefix[pre]) && (post == "" || lookalikeShortSuffix[post]) {
				return true, true
			}
			continue
		}
		l1, ok1 := lookalikeWordBreak(pre, lure, glued)
		l2, ok2 := lookalikeWordBreak(post, lure, glued)
		if ok1 && ok2 {
			return l1 || l2, true
		}
	}
}

// lookalikeWordBreak reports whether s splits into lure words, glued words
// and digit runs; lure reports whether any word (not only digits) was used.
func lookalikeWordBreak(s string, lure, glued map[string]bool) (hasLure, ok bool) {
	if s == "" {
		return false, true
	}
	// best[i]: 0 unreachable, 1 reachable with digits only, 2 reachable with a word.
	best := make([]uint8, len(s)+1)
	best[0] = 1
	for i := 0; i < len(s); i++ {
		if best[i] == 0 {
			continue
		}
		for j := i + 1; j <= len(s) && j-i <= 24; j++ {
			w := s[i:j]
			var v uint8
			switch {
			case lure[w] || glued[w]:
				v = 2
			case lookalikeAllDigits(w):
				v = best[i]
			default:
				continue
			}
			if best[i] == 2 {
				v = 2
			}
			if v > best[j] {
				best[j] = v
			}
		}
	}
	return best[len(s)] == 2, best[len(s)] > 0
}

func lookalikeAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// lookalikeJaIn finds a Japanese brand name in an IDN label ("楽天-ログイン",
// "ヤマト運輸.top" is not ours, but "ヤマト運輸-再配達.com" is).
func lookalikeJaIn(label string) (lookalikeJaName, bool) {
	if lookalikeIsASCII(label) {
		return lookalikeJaName{}, false
	}
	for _, n := range lookalikeJaNames {
		if strings.Contains(label, n.text) {
			return n, true
		}
	}
	return lookalikeJaName{}, false
}

// lookalikeConfusable maps letters that look like a Latin letter to it:
// Cyrillic, Greek, Armenian and Latin variants (after NFD has split off
// accents), and the digits 0 and 1.
var lookalikeConfusable = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j',
	'к': 'k', 'ӏ': 'l', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't',
	'у': 'y', 'ү': 'y', 'х': 'x', 'ԝ': 'w', 'ь': 'b', 'ɡ': 'g',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w',
	// Armenian
	'օ': 'o', 'ս': 'u', 'հ': 'h', 'ո': 'n', 'ց': 'g', 'զ': 'q',
	// Latin variants
	'ı': 'i', 'ɩ': 'i', 'ɑ': 'a', 'ƅ': 'b', 'ſ': 's', 'ȷ': 'j',
	// digits
	'0': 'o', '1': 'l',
}

// lookalikeSkeleton maps a string to a form in which look-alike spellings
// are equal, in the spirit of the UTS #39 skeleton but for domain names: it
// lower-cases, drops accents (NFD, non-spacing marks removed), maps
// look-alike letters and the digits 0 and 1 to Latin letters, then treats i
// and l as one letter and "rn", "vv" and "cl" as "m", "w" and "d".
func lookalikeSkeleton(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if m, ok := lookalikeConfusable[r]; ok {
			r = m
		}
		if r == 'i' {
			r = 'l'
		}
		b.WriteRune(r)
	}
	t := b.String()
	if strings.Contains(t, "rn") || strings.Contains(t, "vv") || strings.Contains(t, "cl") {
		t = lookalikeSkelReplacer.Replace(t)
	}
	return t
}

var lookalikeSkelReplacer = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")

// reason turns a hit into a verdict reason.
func (r lookalikeResult) reason(host string) verdict.Reason {
	h := r.h
	shown := h.reg
	if u := h.label + "." + h.suffix; u != h.reg {
		shown = u + " (" + h.reg + ")"
	}
	if r.whole {
		shown = h.ascii
		if h.uni != h.ascii {
			shown = h.uni + " (" + h.ascii + ")"
		}
	}
	ev := map[string]string{
		"host":   host,
		"domain": h.reg,
		"kind":   r.hit.Kind,
	}
	if r.hit.Brand != "" {
		ev["brand"] = r.hit.Brand
		ev["target"] = r.hit.Target
	}
	if r.scripts != "" {
		ev["scripts"] = r.scripts
	}

	var ja, en string
	switch {
	case r.hit.Brand == "":
		ja = fmt.Sprintf("このドメイン %s は複数の文字体系（%s）の文字を混ぜています。見た目の似た文字で別のサイトになりすます手口です。", shown, lookalikeScriptsJA(r.scripts))
		en = fmt.Sprintf("The domain %s mixes letters from different scripts (%s), a trick for passing one site off as another.", shown, r.scripts)
	case r.hit.Brand == LookalikeOwnBrand:
		ja = fmt.Sprintf("このドメイン %s はあなたの組織のドメイン %s に似せています。", shown, r.hit.Target)
		en = fmt.Sprintf("The domain %s imitates your organisation's domain %s.", shown, r.hit.Target)
	default:
		ja = fmt.Sprintf("このドメイン %s は %s の本物のドメイン %s に似せています。", shown, r.hit.Brand, r.hit.Target)
		en = fmt.Sprintf("The domain %s imitates %s's real domain %s.", shown, r.hit.Brand, r.hit.Target)
	}
	bja, ben := r.hit.Brand, r.hit.Brand
	if bja == LookalikeOwnBrand {
		bja, ben = "あなたの組織", "your organisation"
	}
	switch r.hit.Kind {
	case LookalikeTLDSwap:
		ja += fmt.Sprintf("名前は同じですが、末尾（.%s）が違います。", h.suffix)
		en += fmt.Sprintf(" The name is the same but the ending (.%s) is different.", h.suffix)
	case LookalikeEditDistance:
		if r.dist == 1 {
			ja += "綴りが1文字だけ違います。"
			en += " It is spelt with one letter different."
		} else {
			ja += fmt.Sprintf("綴りが%d文字だけ違います。", r.dist)
			en += fmt.Sprintf(" It is spelt with %d letters different.", r.dist)
		}
	case LookalikeHomoglyph:
		ja += "0 と o、1 と l、rn と m のような形の似た文字を使っています。"
		en += " It uses look-alike characters, like 0 for o, 1 for l or rn for m."
	case LookalikeMixedScript:
		if r.hit.Brand != "" {
			ja += fmt.Sprintf("見た目の似た別の文字体系の文字を混ぜています（%s）。", lookalikeScriptsJA(r.scripts))
			en += fmt.Sprintf(" It mixes look-alike letters from different scripts (%s).", r.scripts)
		}
	case LookalikeBrandInSubdomain:
		ja += fmt.Sprintf("本当のサイトは %s で、%s とは関係ありません。", h.reg, bja)
		en += fmt.Sprintf(" The site is really %s, which has nothing to do with %s.", h.reg, ben)
	case LookalikeBrandInLabel:
		ja += "名前を含んでいますが、本物のドメインではありません。"
		en += " It contains the name but is not one of the real domains."
	}
	return verdict.Reason{
		Code:     verdict.CodeLookalikeDomain,
		Level:    verdict.Suspicious, // see LookalikeReasons: lookalike alone is a hint, not proof
		Evidence: ev,
		JA:       ja,
		EN:       en,
	}
}

// lookalikeScriptsJA names scripts ("Cyrillic+Latin") in Japanese
// ("キリル文字とラテン文字").
func lookalikeScriptsJA(scripts string) string {
	ja := map[string]string{"Latin": "ラテン文字", "Cyrillic": "キリル文字", "Greek": "ギリシャ文字", "Armenian": "アルメニア文字",
		"Han": "漢字", "Hiragana": "ひらがな", "Katakana": "カタカナ", "Hangul": "ハングル", "Bopomofo": "注音字母",
		"Arabic": "アラビア文字", "Hebrew": "ヘブライ文字", "Thai": "タイ文字", "Georgian": "ジョージア文字", "Cherokee": "チェロキー文字"}
	parts := strings.Split(scripts, "+")
	for i, p := range parts {
		if j, ok := ja[p]; ok {
			parts[i] = j
		}
	}
	return strings.Join(parts, "と")
}
