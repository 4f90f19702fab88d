package lookalike

import (
	"fmt"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// reason turns a hit into a verdict reason.
func (r result) reason(host string) verdict.Reason {
	ja, en := r.summary()
	dja, den := r.detail()
	return verdict.Reason{
		Code:     verdict.CodeLookalikeDomain,
		Level:    verdict.Suspicious, // see Checker.Reasons: lookalike alone is a hint, not proof
		Evidence: r.evidence(host),
		JA:       ja + dja,
		EN:       en + den,
	}
}

func (r result) evidence(host string) map[string]string {
	ev := map[string]string{
		"host":   host,
		"domain": r.h.reg,
		"kind":   r.hit.Kind,
	}
	if r.hit.Brand != "" {
		ev["brand"] = r.hit.Brand
		ev["target"] = r.hit.Target
	}
	if r.scripts != "" {
		ev["scripts"] = r.scripts
	}
	return ev
}

// shown is the domain as the explanation shows it: the registrable domain,
// or the whole host for a hit left of it, in Unicode with the ASCII form
// after it when they differ.
func (r result) shown() string {
	h := r.h
	if r.whole {
		if h.uni != h.ascii {
			return h.uni + " (" + h.ascii + ")"
		}
		return h.ascii
	}
	if u := h.label + "." + h.suffix; u != h.reg {
		return u + " (" + h.reg + ")"
	}
	return h.reg
}

// summary is the explanation's first sentence: what the domain imitates.
func (r result) summary() (ja, en string) {
	shown := r.shown()
	switch {
	case r.hit.Brand == "":
		return fmt.Sprintf("このドメイン %s は複数の文字体系（%s）の文字を混ぜています。見た目の似た文字で別のサイトになりすます手口です。", shown, scriptsJA(r.scripts)),
			fmt.Sprintf("The domain %s mixes letters from different scripts (%s), a trick for passing one site off as another.", shown, r.scripts)
	case r.hit.Brand == OwnBrand:
		return fmt.Sprintf("このドメイン %s はあなたの組織のドメイン %s に似せています。", shown, r.hit.Target),
			fmt.Sprintf("The domain %s imitates your organisation's domain %s.", shown, r.hit.Target)
	}
	return fmt.Sprintf("このドメイン %s は %s の本物のドメイン %s に似せています。", shown, r.hit.Brand, r.hit.Target),
		fmt.Sprintf("The domain %s imitates %s's real domain %s.", shown, r.hit.Brand, r.hit.Target)
}

// detail is what the explanation adds for the kind of hit ("" for none).
func (r result) detail() (ja, en string) {
	h := r.h
	bja, ben := r.hit.Brand, r.hit.Brand
	if bja == OwnBrand {
		bja, ben = "あなたの組織", "your organisation"
	}
	switch r.hit.Kind {
	case TLDSwap:
		return fmt.Sprintf("名前は同じですが、末尾（.%s）が違います。", h.suffix),
			fmt.Sprintf(" The name is the same but the ending (.%s) is different.", h.suffix)
	case EditDistance:
		if r.dist == 1 {
			return "綴りが1文字だけ違います。", " It is spelt with one letter different."
		}
		return fmt.Sprintf("綴りが%d文字だけ違います。", r.dist), fmt.Sprintf(" It is spelt with %d letters different.", r.dist)
	case Homoglyph:
		return "0 と o、1 と l、rn と m のような形の似た文字を使っています。", " It uses look-alike characters, like 0 for o, 1 for l or rn for m."
	case MixedScript:
		if r.hit.Brand != "" {
			return fmt.Sprintf("見た目の似た別の文字体系の文字を混ぜています（%s）。", scriptsJA(r.scripts)),
				fmt.Sprintf(" It mixes look-alike letters from different scripts (%s).", r.scripts)
		}
	case BrandInSubdomain:
		return fmt.Sprintf("本当のサイトは %s で、%s とは関係ありません。", h.reg, bja),
			fmt.Sprintf(" The site is really %s, which has nothing to do with %s.", h.reg, ben)
	case BrandInLabel:
		return "名前を含んでいますが、本物のドメインではありません。", " It contains the name but is not one of the real domains."
	}
	return "", ""
}
