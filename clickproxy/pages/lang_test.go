package pages

import "testing"

func pickLangTable(check func(header string, want Lang)) {
	check("en-US,en;q=0.9", EN)
	check("ja,en;q=0.5", JA)
	check("fr", JA)
	check("", JA)
	check("en;q=0.1, ja;q=0.9", JA)
	check("en", EN)
	check("EN-gb", EN)
	check("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", JA)
	check("de-DE, de;q=0.9, en;q=0.5", EN)
	check("en-GB;q=0.8, ja-JP;q=0.8", EN) // a tie: the first listed
	check("ja;q=0.8, en-GB;q=0.8", JA)
	check("ja;q=0, en", EN)
	check("en;q=0", JA) // not acceptable at all
	check("en;q=0, ja;q=0", JA)
	check("*", JA)
	check("*;q=1, en;q=0.2", EN)
	check("en;q=abc, ja;q=0.2", JA) // an unreadable q drops its item only
	check("en;q=1.5", JA)
	check("en;q=-1", JA)
	check("en;q=1e0", JA)
	check("en;q=NaN", JA)
	check("en; q = 0.5 ; x=y", EN)
	check(" , ,;, en", EN)
	check(";;;", JA)
	check("english", JA)
	check("enx, jan", JA)
	check("\xff\xfe, en", EN)
	check("zh-Hant, ko;q=0.9", JA)
}

func TestPickLang(t *testing.T) {
	pickLangTable(func(header string, want Lang) {
		t.Helper()
		if got := PickLang(header); got != want {
			t.Errorf("PickLang(%q) = %q, want %q", header, got, want)
		}
	})
}

func FuzzPickLang(f *testing.F) {
	pickLangTable(func(header string, _ Lang) { f.Add(header) })
	f.Fuzz(func(t *testing.T, header string) {
		got := PickLang(header)
		if got != JA && got != EN {
			t.Fatalf("PickLang(%q) = %q", header, got)
		}
		// Adding a language nobody reads changes nothing.
		if again := PickLang(header + ",fr;q=1"); again != got {
			t.Fatalf("PickLang(%q) = %q, but with fr = %q", header, got, again)
		}
	})
}
