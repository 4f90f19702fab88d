package pages

import (
	"strconv"
	"strings"
)

// Lang is the language of a page.
type Lang string

// The languages Kensa's pages are written in.
const (
	JA Lang = "ja"
	EN Lang = "en"
)

// valid reports whether l is one of the languages.
func (l Lang) valid() bool { return l == JA || l == EN }

// maxLangItems bounds the work PickLang does on a hostile header.
const maxLangItems = 32

// PickLang chooses the language of a page from an Accept-Language header
// value (RFC 9110, section 12.5.4): whichever of Japanese and English has the
// higher quality value, the one listed first on a tie. Japanese is the
// default: for an empty header, one that names neither language (or gives
// both q=0), and one that cannot be read.
//
// Reading is lenient, as browsers and proxies write odd headers: a range
// matches by its primary subtag ("ja-JP", "EN-us"), an item with an
// unreadable q-value is ignored rather than the whole header, and only the
// first 32 items count. The wildcard "*" picks nothing: Kensa's users read
// Japanese unless they say otherwise.
func PickLang(acceptLanguage string) Lang {
	best, bestQ := JA, 0.0
	for i, item := range strings.Split(acceptLanguage, ",") {
		if i == maxLangItems {
			break
		}
		tag, params, _ := strings.Cut(item, ";")
		primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		var l Lang
		switch strings.ToLower(primary) {
		case "ja":
			l = JA
		case "en":
			l = EN
		default:
			continue
		}
		q, ok := qValue(params)
		if ok && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// qValue reads the weight of one Accept-Language item from its parameters
// ("q=0.5"): 1 when there is none, ok false when it cannot be read.
func qValue(params string) (q float64, ok bool) {
	q = 1
	if strings.TrimSpace(params) == "" {
		return q, true
	}
	for p := range strings.SplitSeq(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
		// read leniently: any decimal in [0, 1] without exponent or sign.
		if v == "" || len(v) > 8 || strings.ContainsAny(v, "eEnN+-xXpP_") {
			return 0, false
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		q = f
	}
	return q, true
}
