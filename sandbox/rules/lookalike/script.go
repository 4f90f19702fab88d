package lookalike

import (
	"sort"
	"strings"
	"unicode"
)

// scriptTables lists the scripts checked first, the rest being looked up
// in unicode.Scripts.
var scriptTables = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Han", unicode.Han}, {"Hiragana", unicode.Hiragana},
	{"Katakana", unicode.Katakana}, {"Hangul", unicode.Hangul}, {"Bopomofo", unicode.Bopomofo},
}

func scriptOf(r rune) string {
	for _, s := range scriptTables {
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

// mixedScript reports whether a label mixes scripts beyond Chrome's
// "highly restrictive" IDN rule: one script, or Latin with Han and
// Hiragana/Katakana (Japanese), with Han and Bopomofo, or with Han and
// Hangul. Digits, hyphens and marks belong to no script here.
func mixedScript(label string) (string, bool) {
	if isASCII(label) {
		return "", false
	}
	set := map[string]bool{}
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		if s := scriptOf(r); s != "" {
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

// scriptsJA names scripts ("Cyrillic+Latin") in Japanese
// ("キリル文字とラテン文字").
func scriptsJA(scripts string) string {
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
