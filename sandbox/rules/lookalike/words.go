package lookalike

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// lureWords are what phishing host names add to a brand name. A brand name
// inside a label counts only together with one of them (or a TLD-like part,
// as in "amazon-co-jp"), so that "apple-pie-recipes.com", "line-art.jp",
// "au-pair.com" and "rakuten.zoom.us" are not lookalikes.
var lureWords = []string{
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
}

// gluedWords count as lures only when glued to the brand name in one part
// ("mydropbox", "rakutencard", "aupay", "amazoncojp").
var gluedWords = []string{"my", "id", "co", "jp", "com", "cojp", "net", "pay", "card", "bank",
	"app", "online", "web", "mobile", "mail", "info", "jpn", "japan"}

// tldPartWords are parts that spell a TLD after the brand name
// ("amazon-co-jp", "paypal-com").
var tldPartWords = []string{"co", "jp", "com", "ne", "net", "cojp"}

// Names under 5 characters ("au", "fb", "line", "mufg") may be glued only to
// these, as in "myfb", "aupay", "lineid", "auid": "idea" is not "id"+"ea"
// and "helpline" is not "help"+"line".
var (
	shortPrefixWords = []string{"my"}
	shortSuffixWords = []string{"id", "pay", "card", "bank", "login", "signin", "secure", "support", "account", "verify", "jp", "cojp", "com"}
)

// wordSets are the word lists as sets, and the skeletons of the lure and
// glued words, so that glued look-alike spellings ("myfaceb00k") are
// matched on skeletons.
type wordSets struct {
	lure, glued, tldPart     map[string]bool
	shortPrefix, shortSuffix map[string]bool
	skelLure, skelGlued      map[string]bool
}

// words returns the word sets, built once on first use.
var words = sync.OnceValue(func() *wordSets {
	w := &wordSets{
		lure: set(lureWords), glued: set(gluedWords), tldPart: set(tldPartWords),
		shortPrefix: set(shortPrefixWords), shortSuffix: set(shortSuffixWords),
		skelLure: map[string]bool{}, skelGlued: map[string]bool{},
	}
	for _, s := range lureWords {
		w.skelLure[skeleton(s)] = true
	}
	for _, s := range gluedWords {
		w.skelGlued[skeleton(s)] = true
	}
	return w
})

func set(ws []string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// tokens splits a label at '-' and '_', dropping empty parts.
func tokens(label string) []string {
	return strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' })
}

// c.inLabel looks for a brand key among the hyphen-separated parts of
// a label. It needs a lure: a lure word among the other parts of the label or
// in others (the rest of the host, for subdomain labels), a TLD-like part
// after the name, or a lure glued to the name. A look-alike spelling of the
// name needs none. trick is Homoglyph for such a spelling,
// EditDistance for a near miss of the name, and "" for the name
// itself.

// hasTrick reports whether a part uses a digit, a non-ASCII letter
// or one of the letter pairs of skeleton, so that a skeleton match
// is a deliberate look-alike.
func hasTrick(t string) bool {
	return strings.IndexFunc(t, func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0 ||
		strings.Contains(t, "rn") || strings.Contains(t, "vv") || strings.Contains(t, "cl") || strings.ContainsRune(t, 'i') || strings.ContainsRune(t, 'l')
}

// gluedMatch reports whether part t is key with affixes glued on
// ("mydropbox", "rakutencard", "paypal1"), each affix made of lure words,
// glued-only words and digits; hasLure reports a word (not only digits)
// among them. Keys under 5 characters take only shortPrefixWords and
// shortSuffixWords, and only in plain spelling (short is false for the
// skeleton pass).
func gluedMatch(t, key string, short bool, lure, glued map[string]bool) (hasLure, ok bool) {
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
			if w := words(); (pre == "" || w.shortPrefix[pre]) && (post == "" || w.shortSuffix[post]) {
				return true, true
			}
			continue
		}
		l1, ok1 := wordBreak(pre, lure, glued)
		l2, ok2 := wordBreak(post, lure, glued)
		if ok1 && ok2 {
			return l1 || l2, true
		}
	}
}

// wordBreak reports whether s splits into lure words, glued words
// and digit runs; lure reports whether any word (not only digits) was used.
func wordBreak(s string, lure, glued map[string]bool) (hasLure, ok bool) {
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
			case allDigits(w):
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

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// jaIn finds a Japanese brand name in an IDN label ("楽天-ログイン",
// "ヤマト運輸.top" is not ours, but "ヤマト運輸-再配達.com" is).
func (c *Checker) jaIn(label string) (jaName, bool) {
	if isASCII(label) {
		return jaName{}, false
	}
	for _, n := range c.jaNames {
		if strings.Contains(label, n.text) {
			return n, true
		}
	}
	return jaName{}, false
}

// inLabel looks for a brand key among the hyphen-separated parts of a
// label. It needs a lure: a lure word among the other parts of the label or
// in others (the rest of the host, for subdomain labels), a TLD-like part
// after the name, or a lure glued to the name. A look-alike spelling of the
// name needs none. trick is Homoglyph for such a spelling, EditDistance for
// a near miss of the name, and "" for the name itself.
func (c *Checker) inLabel(label string, others []string, keys []brandKey) (k brandKey, trick string, ok bool) {
	toks := tokens(label)
	if len(toks) == 0 {
		return brandKey{}, "", false
	}
	p := labelParts{toks: toks, skels: make([]string, len(toks)), others: others, w: words()}
	for i, t := range toks {
		p.skels[i] = skeleton(t)
	}
	for _, k := range keys {
		if len(k.toks) > 1 {
			trick, ok = p.matchHyphenated(k)
		} else {
			trick, ok = c.matchPart(p, k)
		}
		if ok {
			return k, trick, true
		}
	}
	return brandKey{}, "", false
}

// labelParts is a label split for inLabel: its parts, their skeletons, and
// the parts of the rest of the host (others).
type labelParts struct {
	toks, skels, others []string
	w                   *wordSets
}

// lureAround reports a lure outside the parts [i, i+n): a lure word among
// the label's other parts or in others, or a TLD-like part after them.
func (p labelParts) lureAround(i, n int) bool {
	for j, t := range p.toks {
		if j >= i && j < i+n {
			continue
		}
		if p.w.lure[trimDigits(t)] || (j >= i+n && p.w.tldPart[t]) {
			return true
		}
	}
	for _, t := range p.others {
		if p.w.lure[trimDigits(t)] {
			return true
		}
	}
	return false
}

// trimDigits drops the digits kits number their hosts with ("signin2",
// "login01"), so that the word before them counts as a lure.
func trimDigits(t string) string {
	if s := strings.TrimRight(t, "0123456789"); s != "" {
		return s
	}
	return t
}

// matchHyphenated matches a hyphenated key ("sagawa-exp") against whole
// parts: spelt as is with a lure around it, or spelt with look-alikes.
func (p labelParts) matchHyphenated(k brandKey) (trick string, ok bool) {
	n := len(k.toks)
	for i := 0; i+n <= len(p.toks); i++ {
		exact, skel := true, true
		for j := 0; j < n; j++ {
			exact = exact && p.toks[i+j] == k.toks[j]
			skel = skel && p.skels[i+j] == k.tskels[j]
		}
		if exact && p.lureAround(i, n) {
			return "", true
		}
		if !exact && skel && strings.IndexFunc(strings.Join(p.toks[i:i+n], ""), func(r rune) bool { return r >= utf8.RuneSelf || unicode.IsDigit(r) }) >= 0 {
			return Homoglyph, true
		}
	}
	return "", false
}

// matchPart matches a one-word key against each part: the key itself or
// with affixes glued on (with a lure), a look-alike spelling, or a near
// miss of a real domain's label with a lure.
func (c *Checker) matchPart(p labelParts, k brandKey) (trick string, ok bool) {
	for i, t := range p.toks {
		if t == k.key {
			if p.lureAround(i, 1) {
				return "", true
			}
			continue
		}
		short := len(k.key) < 5
		if glued, ok := gluedMatch(t, k.key, short, p.w.lure, p.w.glued); ok {
			if glued || p.lureAround(i, 1) {
				return "", true
			}
			continue
		}
		if homoglyphOf(t, p.skels[i], k) {
			return Homoglyph, true
		}
		if !short && strings.Contains(p.skels[i], k.skel) && !strings.Contains(t, k.key) {
			if _, ok := gluedMatch(p.skels[i], k.skel, false, p.w.skelLure, p.w.skelGlued); ok && hasTrick(t) {
				return Homoglyph, true
			}
		}
		// A near miss of a real domain's label, with a lure
		// ("amazom-login").
		if len(p.toks) > 1 && editOf(t, k) > 0 && !c.keyset[t] && p.lureAround(i, 1) {
			return EditDistance, true
		}
	}
	return "", false
}
