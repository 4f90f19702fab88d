package lookalike

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// confusable maps letters that look like a Latin letter to it:
// Cyrillic, Greek, Armenian and Latin variants (after NFD has split off
// accents), and the digits 0 and 1.
var confusable = map[rune]rune{
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

// skeleton maps a string to a form in which look-alike spellings
// are equal, in the spirit of the UTS #39 skeleton but for domain names: it
// lower-cases, drops accents (NFD, non-spacing marks removed), maps
// look-alike letters and the digits 0 and 1 to Latin letters, then treats i
// and l as one letter and "rn", "vv" and "cl" as "m", "w" and "d".
func skeleton(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if m, ok := confusable[r]; ok {
			r = m
		}
		if r == 'i' {
			r = 'l'
		}
		b.WriteRune(r)
	}
	t := b.String()
	if strings.Contains(t, "rn") || strings.Contains(t, "vv") || strings.Contains(t, "cl") {
		t = skelReplacer.Replace(t)
	}
	return t
}

var skelReplacer = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")
