package rules

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Cloaking: kits answer the browsers they do not target with an error page
// (a 404, a 403), a blank page or a harmless one, and the device they
// target (an Android phone: an APK; an iPhone: an Apple ID form) with the
// lure. The sandbox renders a page that looks empty again as the other
// device classes (sandbox/inprocess) and compares the renders here. A site
// that only lays itself out for phones (other text, the same title, forms
// and site) is not cloaking.

// cloakMinText is the visible text (bytes, trimmed) below which a page
// without a form or a download is blank.
const cloakMinText = 40

// cloakBlank is the difference of a page with nothing to act on.
const cloakBlank = "blank page"

// cloakErrorTitleWords are what the titles of error pages say, lower case,
// Japanese and English. Generic words of HTTP and of servers' default
// pages, no site's own.
var cloakErrorTitleWords = []string{
	"404", "403", "410", "500", "502", "503", "not found", "forbidden", "access denied", "unauthorized",
	"bad request", "service unavailable", "internal server error", "bad gateway", "page unavailable", "error",
	"ページが見つかりません", "ページが見つかりませんでした", "お探しのページ", "見つかりません", "アクセスできません",
	"アクセスが拒否", "アクセス権限", "エラー", "存在しません", "閲覧できません", "表示できません",
}

// cloakErrorTitle reports a title that reads as an error page.
func cloakErrorTitle(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	if t == "" {
		return false
	}
	for _, w := range cloakErrorTitleWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// cloakHasInput reports a visible form field of any kind.
func cloakHasInput(r *capture.Report) bool {
	for _, f := range r.Forms {
		for _, in := range f.Inputs {
			if in.Visible && in.Type != "hidden" && in.Type != "submit" && in.Type != "button" {
				return true
			}
		}
	}
	return false
}

// cloakBlankOrError reports a captured page that shows an error (an error
// status, an error title) or nothing to act on (almost no text, no field,
// no download), and why. A render that failed is neither: there is no page
// to compare.
func cloakBlankOrError(r *capture.Report) (string, bool) {
	switch {
	case r.Status >= 400:
		return "HTTP " + strconv.Itoa(r.Status), true
	case cloakErrorTitle(r.Title):
		return "error page \u201c" + cloakClip(strings.TrimSpace(r.Title), 40) + "\u201d", true
	case len(strings.TrimSpace(r.Text)) < cloakMinText && !cloakHasInput(r) && len(r.Downloads) == 0:
		return cloakBlank, true
	}
	return "", false
}

// LooksEmpty reports whether a render looks empty or like an error: the
// render failed, the final document has an error status (404, 403...), its
// title reads as an error page, or it shows almost no text and no form or
// download. A cloaking kit shows exactly that to the devices it does not
// target, so such a page is rendered again as the other device classes.
func LooksEmpty(r *capture.Report) bool {
	if r.Err != "" {
		return true
	}
	_, ok := cloakBlankOrError(r)
	return ok
}

// Cloaking compares first, a render of a URL, with other, a render of the
// same URL as another device class, and says what differs in what the page
// asks of a person; "" when nothing material does. Material:
//
//   - an error page (an error status or title) against a real page on the
//     other side ("HTTP 404 / a page"); a blank page against one with text
//     is not, by itself (a responsive page shows other text at another
//     width), but what the other page asks for is compared as below;
//   - another site in the end (registrable domains: www. against m. is
//     the same site);
//   - a credential field (password or masked) on one only;
//   - sensitive fields (email, telephone, card, one-time code...) on one
//     that the other does not have;
//   - a download on one only;
//   - another brand claimed (title and logos), or titles with no word in
//     common.
//
// A mobile layout of the same page (other text, fewer images, the same
// title, fields and site) is not material. Nor is anything when other's
// render failed or shows an error or blank page: nothing is hidden from
// the first render then. Nor is a first render that failed (a timeout, a
// dead browser): that says something about the machine, not the page, and
// calling it cloaking would block a real sign-in page whenever the sandbox
// is slow. The other render's own verdict still counts (inprocess keeps
// the worse of the two).
func Cloaking(first, other *capture.Report) string {
	if other == nil || other.Err != "" {
		return ""
	}
	if first.Err != "" && first.Status < 400 {
		return "" // the first render failed: nothing to compare""
	}
	e1, err1 := cloakBlankOrError(first)
	if _, err2 := cloakBlankOrError(other); err2 {
		// The other device sees less: nothing is hidden from the first.
		return ""
	}
	if err1 && e1 != cloakBlank {
		return e1 + " / a page"
	}
	// A blank page against a page with text is not enough by itself: a
	// responsive page can hide its text at one width and show it at
	// another. What the other page asks for is compared below.
	_, r1 := registrable(cloakURL(first))
	_, r2 := registrable(cloakURL(other))
	if r1 != "" && r2 != "" && r1 != r2 {
		return "final site " + r1 + " / " + r2
	}
	if c1, c2 := cloakCredentialField(first), cloakCredentialField(other); c1 != c2 {
		return "credential form " + cloakYesNo(c1) + " / " + cloakYesNo(c2)
	}
	s1, s2 := cloakSensitiveFields(first), cloakSensitiveFields(other)
	for _, k := range s2 {
		if !slices.Contains(s1, k) {
			return "form field " + k + " only on one"
		}
	}
	for _, k := range s1 {
		if !slices.Contains(s2, k) {
			return "form field " + k + " only on one"
		}
	}
	if (len(first.Downloads) == 0) != (len(other.Downloads) == 0) {
		return "download " + cloakYesNo(len(first.Downloads) > 0) + " / " + cloakYesNo(len(other.Downloads) > 0)
	}
	b1, b2 := cloakBrands(first), cloakBrands(other)
	if !slices.Equal(b1, b2) && (len(b1) > 0 || len(b2) > 0) {
		return "brand " + cloakOrNone(strings.Join(b1, ",")) + " / " + cloakOrNone(strings.Join(b2, ","))
	}
	if cloakTitlesDiffer(first.Title, other.Title) {
		return "title \u201c" + cloakClip(first.Title, 40) + "\u201d / \u201c" + cloakClip(other.Title, 40) + "\u201d"
	}
	return ""
}

// CloakingReason is the reason for a difference Cloaking found, seen with
// the User-Agent ua. It is malicious when the page hidden from the first
// render asks for something (hidden: a credential form, a download, or a
// verdict of its own worse than clean), suspicious otherwise.
func CloakingReason(difference, ua string, hidden verdict.Level) verdict.Reason {
	l := verdict.Suspicious
	if hidden == verdict.Suspicious || hidden == verdict.Malicious {
		l = verdict.Malicious
	}
	return verdict.Reason{
		Code: verdict.CodeCloaking, Level: l,
		Evidence: map[string]string{"difference": difference, "user_agent": ua},
		JA:       "このページは端末の種類によって違う内容を見せています（" + difference + "）。詐欺サイトがよく使う手口です。",
		EN:       "This page shows different content depending on the device (" + difference + "), a common trick of scam sites.",
	}
}

// CloakingHides reports whether other shows something a kit hides from
// the devices it does not target: a credential field or a download.
func CloakingHides(other *capture.Report) bool {
	return cloakCredentialField(other) || len(other.Downloads) > 0
}

func cloakURL(r *capture.Report) string {
	if r.FinalURL != "" {
		return r.FinalURL
	}
	return r.URL
}

func cloakCredentialField(r *capture.Report) bool {
	for _, f := range r.Forms {
		for _, in := range f.Inputs {
			if in.Visible && (in.Type == "password" || in.Masked) {
				return true
			}
		}
	}
	return false
}

// cloakSensitiveFields are the kinds of visible fields that ask for something
// a kit wants (sorted, unique): email, telephone, card and one-time code
// fields, by type or autocomplete.
func cloakSensitiveFields(r *capture.Report) []string {
	var out []string
	add := func(k string) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, f := range r.Forms {
		for _, in := range f.Inputs {
			if !in.Visible {
				continue
			}
			switch in.Type {
			case "email", "tel":
				add(in.Type)
			}
			ac := strings.ToLower(in.Autocomplete)
			switch {
			case strings.Contains(ac, "cc-"):
				add("card")
			case strings.Contains(ac, "one-time-code"):
				add("one-time-code")
			case strings.Contains(ac, "email"):
				add("email")
			case strings.Contains(ac, "tel"):
				add("tel")
			}
		}
	}
	slices.Sort(out)
	return out
}

// cloakBrands are the names of the brands the title and the images'
// alt texts name (sorted, unique).
func cloakBrands(r *capture.Report) []string {
	var b strings.Builder
	b.WriteString(r.Title)
	for _, im := range r.Images {
		b.WriteString("\n")
		b.WriteString(im.Alt)
	}
	var out []string
	for _, br := range BrandsInText(b.String()) {
		if !slices.Contains(out, br.Name) {
			out = append(out, br.Name)
		}
	}
	slices.Sort(out)
	return out
}

// cloakTitlesDiffer reports two non-empty titles where neither contains the
// other and no word (two letters or more) is in both.
func cloakTitlesDiffer(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	if a == "" || b == "" || strings.Contains(a, b) || strings.Contains(b, a) {
		return false
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsNumber(r)
		})
	}
	wb := split(b)
	for _, w := range split(a) {
		if len([]rune(w)) >= 2 && slices.Contains(wb, w) {
			return false
		}
	}
	return true
}

func cloakYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func cloakOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func cloakClip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
