package rules

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/domain"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/rules/lookalike"
)

// pageClaim is what a page says about whose it is, read from the places a
// site names itself: the title, og:site_name, logo alt texts and file
// names, the icons' file names, headings and legends, the copyright line
// and the labels of its form fields.
type pageClaim struct {
	// strong is that text (but for file names), joined, for
	// BrandsInText (listed brands).
	strong string
	// names are candidate brand names in lower-case ASCII ("coinvault",
	// "stackoverflow") or Japanese, each with the spelling the page used
	// ("CoinVault"), in the order found.
	names []claimName
}

type claimName struct{ key, shown string }

// claimOf reads a page's claim. labels are the form labels and
// placeholders (credentialPage.labels), which count as claims too ("Apple
// ID", "楽天会員ID").
func claimOf(r *capture.Report, labels []string) pageClaim {
	var texts []string
	texts = append(texts, r.Title, r.SiteName, r.Copyright)
	texts = append(texts, r.Headings...)
	var files []string
	for _, im := range r.Images {
		texts = append(texts, im.Alt)
		if f := logoFileName(im.Src); f != "" {
			files = append(files, f)
		}
	}
	for _, ic := range r.Icons {
		if f := fileStem(ic); f != "" {
			files = append(files, f)
		}
		// An icon taken from another site is that site's: a kit that
		// links https://www.google.com/favicon.ico claims to be Google.
		if _, reg := registrable(ic); reg != "" {
			files = append(files, strings.SplitN(reg, ".", 2)[0])
		}
	}
	texts = append(texts, labels...)
	// File names feed only the names matched against the host: an SSO
	// button's "google-logo.svg" on a shop's sign-in page is no claim to
	// be Google, and it cannot put "google" into the shop's host name.
	return pageClaim{strong: strings.Join(texts, "\n"), names: claimNames(append(texts, files...))}
}

// claimNames are the candidate names in texts: each word, and runs of up
// to three words glued as host names glue them ("Stack Overflow" ->
// stackoverflow), but for stop words, each once.
func claimNames(texts []string) []claimName {
	var names []claimName
	seen := map[string]bool{}
	add := func(key, shown string) {
		if key == "" || seen[key] || claimStopWord(key) {
			return
		}
		seen[key] = true
		names = append(names, claimName{key, shown})
	}
	for _, t := range texts {
		for _, seg := range claimSegments(t) {
			words := claimWords(seg)
			for i := range words {
				key, shown := "", ""
				for j := i; j < len(words) && j < i+3; j++ {
					key += words[j].key
					shown = strings.TrimSpace(shown + " " + words[j].shown)
					add(key, shown)
				}
			}
		}
	}
	return names
}

// claimSegments splits a text at the separators titles use between the
// page's name and the site's ("Sign in · GitHub", "ログイン｜さくら銀行").
func claimSegments(s string) []string {
	return strings.FieldsFunc(lookalike.Normalize(s), func(r rune) bool {
		switch r {
		case '|', '·', '•', '»', '«', '–', '—', ':', '/', '\n', '(', ')', '[', ']', '「', '」', '【', '】', '、', '。', '-', ',', '©':
			return true
		}
		return false
	})
}

// claimWords splits a segment into words: runs of ASCII letters and digits
// (lower-cased) and runs of Japanese letters (kept as they are, at least
// two), in order.
func claimWords(seg string) []claimName {
	var out []claimName
	var b strings.Builder
	kind := 0 // 1 ASCII, 2 Japanese
	flush := func() {
		s := b.String()
		b.Reset()
		switch {
		case kind == 1 && (len(s) >= 3 || len(s) == 2 && strings.ToUpper(s) == s && !isDigits(s)):
			// Two letters only as an acronym ("VK"), never a word
			// ("to", "my").
			out = append(out, claimName{strings.ToLower(s), s})
		case kind == 2 && utf8.RuneCountInString(s) >= 2:
			out = append(out, claimName{s, s})
		}
		kind = 0
	}
	for _, r := range seg {
		k := 0
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			k = 1
		case brandIsJapanese(r) && !(r >= 0x3000 && r <= 0x303f):
			k = 2
		}
		if k != kind {
			flush()
		}
		if k != 0 {
			kind = k
			b.WriteRune(r)
		}
	}
	flush()
	return out
}

// claimStopWords are words that name no one: what sign-in pages, kits and
// templates say around a brand's name, and words a host name may share
// with a page without being a brand (lure words are added in
// claimStopWord).
var claimStopWords = map[string]bool{
	"the": true, "and": true, "for": true, "your": true, "you": true, "with": true, "from": true, "this": true,
	"sign": true, "log": true, "in": true, "to": true, "of": true, "on": true, "up": true, "or": true,
	"page": true, "home": true, "welcome": true, "new": true, "all": true, "rights": true, "reserved": true,
	"copyright": true, "inc": true, "ltd": true, "llc": true, "corp": true, "corporation": true, "company": true, "co": true,
	"group": true, "holdings": true, "limited": true, "official": true, "site": true, "website": true, "web": true,
	"service": true, "services": true, "system": true, "network": true, "wifi": true, "wi": true, "fi": true,
	"router": true, "hotspot": true, "free": true, "config": true, "plugin": true, "plugins": true, "manager": true,
	"player": true, "flash": true, "download": true, "install": true, "docs": true, "share": true, "file": true,
	"files": true, "document": true, "documents": true, "admin": true, "dashboard": true, "template": true,
	"example": true, "demo": true, "user": true, "users": true, "email": true, "password": true, "forgot": true,
	"register": true, "create": true, "continue": true, "next": true, "required": true, "error": true,
	"not": true, "found": true, "loading": true, "please": true, "enter": true,
	"logo": true, "icon": true, "favicon": true, "image": true, "img": true, "assets": true, "static": true,
	"bank": true, "card": true, "pay": true, "mail": true, "online": true, "mobile": true, "app": true,
	"japan": true, "jp": true, "com": true, "net": true, "org": true, "www": true, "http": true, "https": true,
	"ログイン": true, "サインイン": true, "ホーム": true, "会員": true, "お客様": true, "ページ": true,
}

func claimStopWord(s string) bool {
	if claimStopWords[s] || lookalike.IsLureWord(s) {
		return true
	}
	if isDigits(s) {
		return true
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// logoFileName is the stem of an image's file name when the image is a
// logo ("github-logo.png" -> "github-logo", "EA_Origin_Lockup_Black.png"),
// "" otherwise.
func logoFileName(src string) string {
	f := fileStem(src)
	l := strings.ToLower(f)
	for _, w := range []string{"logo", "lockup", "wordmark", "brand"} {
		if strings.Contains(l, w) {
			return f
		}
	}
	return ""
}

// fileStem is the file name of a URL's path without its extension.
func fileStem(raw string) string {
	if strings.HasPrefix(raw, "data:") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	b := path.Base(u.Path)
	if b == "/" || b == "." {
		return ""
	}
	return strings.TrimSuffix(b, path.Ext(b))
}

// claimedInHost finds a name the page claims in host the way phishing
// hosts carry it (lookalike.NameInHost): the brand's name plus lure words,
// look-alike spelling, or a subdomain of another domain. Hosts on a
// platform where each customer's tenant is a subdomain under its own name
// (tenantPlatforms) are left out for subdomain hits.
func claimedInHost(c pageClaim, host string) (claimName, lookalike.Hit, bool) {
	reg, err := domain.Registrable(host)
	if err != nil {
		return claimName{}, lookalike.Hit{}, false
	}
	// A page that names itself after its own registrable domain
	// ("Cloud Support" on cloud-support.co.jp) claims nothing borrowed,
	// even if a shorter part of the name ("cloud") sits there beside a
	// lure word.
	label := strings.ReplaceAll(strings.SplitN(reg, ".", 2)[0], "-", "")
	for _, n := range c.names {
		if n.key == label {
			return claimName{}, lookalike.Hit{}, false
		}
	}
	skel := lookalike.Skeleton(host)
	for _, n := range c.names {
		if !strings.Contains(skel, lookalike.Skeleton(n.key)) {
			continue // cheap: the name is nowhere in the host
		}
		hit, ok := lookalike.NameInHost(host, n.key)
		if !ok {
			continue
		}
		if hit.Kind == lookalike.BrandInSubdomain {
			// Companies name their own subdomains after their products
			// and "login" ("payroll.login.example.co.jp"): a name in a
			// subdomain counts only under a registrable domain that is
			// itself a lure ("coinvault.account-verify.top") or on a cheap TLD,
			// and never on a tenant platform.
			if _, risky := riskyTLD(host); tenantPlatform(reg) || len(lookalike.LureWords(host)) == 0 && !risky {
				continue
			}
		}
		return n, hit, true
	}
	return claimName{}, lookalike.Hit{}, false
}

// tenantPlatforms are registrable domains where every customer gets a
// subdomain named after itself, often with words like "support" or
// "login" ("acme-support.zendesk.com", "acme-login.okta.com"): the
// customer's name there is its own, not an impersonation.
var tenantPlatforms = map[string]bool{
	"okta.com": true, "oktapreview.com": true, "okta-emea.com": true, "auth0.com": true, "onelogin.com": true,
	"b2clogin.com": true, "awsapps.com": true, "cloudflareaccess.com": true, "zendesk.com": true,
	"freshdesk.com": true, "service-now.com": true, "atlassian.net": true, "cybozu.com": true,
	"kintone.com": true, "force.com": true, "my.site.com": true, "salesforce.com": true, "slack.com": true,
	"backlog.jp": true, "backlog.com": true, "box.com": true,
}

func tenantPlatform(reg string) bool { return tenantPlatforms[reg] }

// BrandClaimReasons judges what a page without a credential form says it
// is against its host (docs/detection.md, "brand claims"):
//
//   - the host imitates a listed brand (a lookalike) and the page names the
//     same brand where a site names itself (claim "identity") or only in
//     its text (claim "text"): content and host agree on the impostor,
//     a second sign beside the lookalike;
//   - no lookalike, but a name the page claims for itself, listed or not,
//     sits in the host the way phishing hosts carry it
//     (lookalike.NameInHost; claim "host"), or a name from its text does
//     (claim "text-host", weaker).
//
// Each is Suspicious alone: the page asks for nothing yet. The score adds
// them to a download lure, unknown-sources text or host signs.
func BrandClaimReasons(r *capture.Report, brands *BrandList) []verdict.Reason {
	page := r.FinalURL
	if page == "" {
		page = r.URL
	}
	host, reg := registrable(page)
	if host == "" {
		return nil
	}
	if _, ok := brands.ForDomain(reg); ok {
		return nil
	}
	claim := claimOf(r, nil)
	reason := func(kind, brand string, ev map[string]string) []verdict.Reason {
		ev["claim"], ev["brand"], ev["host"] = kind, brand, host
		ja := "このページは「" + brand + "」を名乗っていますが、ドメイン（" + host + "）は名前に別の語を付け足したもので、" + brand + " のものではありません。"
		en := "This page presents itself as " + brand + ", but " + host + " only borrows the name: it is not " + brand + "'s site."
		if kind == "identity" || kind == "text" {
			ja = "このページは「" + brand + "」のページのように見せていますが、ドメイン（" + host + "）は " + brand + " のものに似せた別のものです。"
			en = "This page presents itself as " + brand + " on " + host + ", a domain made to look like " + brand + "'s."
		}
		return []verdict.Reason{{Code: verdict.CodeBrandImpersonated, Level: verdict.Suspicious, Evidence: ev, JA: ja, EN: en}}
	}
	if hit, ok := brands.Lookalike(host, nil); ok && hit.Brand != "" {
		for _, b := range brands.InText(claim.strong) {
			if b.Name == hit.Brand {
				return reason("identity", b.Name, map[string]string{"imitates": hit.Target})
			}
		}
		for _, b := range brands.InText(r.Text) {
			if b.Name == hit.Brand {
				return reason("text", b.Name, map[string]string{"imitates": hit.Target})
			}
		}
		return nil
	}
	if n, hit, ok := claimedInHost(claim, host); ok {
		return reason("host", n.shown, map[string]string{"claimed_in_host": hit.Kind})
	}
	text := pageClaim{names: claimNames([]string{r.Text})}
	text.names = append(claim.names, text.names...) // the page's own names first: they rule its own domain out
	if n, hit, ok := claimedInHost(text, host); ok {
		return reason("text-host", n.shown, map[string]string{"claimed_in_host": hit.Kind})
	}
	return nil
}

// EmbeddedDomainReasons reports a host that starts with another domain's
// name (lookalike.EmbeddedDomain: "vk.com.account-verify.top"), for
// domains the brand list does not know. Suspicious alone, like a
// lookalike.
func EmbeddedDomainReasons(host string) []verdict.Reason {
	e, reg, ok := lookalike.EmbeddedDomain(host)
	if !ok {
		return nil
	}
	return []verdict.Reason{{
		Code: verdict.CodeLookalikeDomain, Level: verdict.Suspicious,
		Evidence: map[string]string{"host": host, "domain": reg, "kind": "embedded-domain", "embedded": e},
		JA:       "このドメイン " + host + " は " + e + " で始まるように見せていますが、本当のサイトは " + reg + " で、" + e + " とは関係ありません。",
		EN:       "The domain " + host + " is made to start like " + e + ", but the site is really " + reg + ", which has nothing to do with " + e + ".",
	}}
}

// HostRiskyTLDReasons is the TLD sign for a page without a credential
// form (credentialRiskyTLD covers those with one): clean-level evidence,
// counted in the host family of the score.
func HostRiskyTLDReasons(host string) []verdict.Reason {
	tld, ok := riskyTLD(host)
	if !ok {
		return nil
	}
	return []verdict.Reason{{
		Code: verdict.CodeRiskyTLD, Level: verdict.Clean,
		Evidence: map[string]string{"host": host, "tld": tld},
		JA:       "このページは、フィッシングに多用されるドメイン（." + tld + "）にあります。",
		EN:       "This page is on a ." + tld + " domain, a kind phishing sites use far more than real services.",
	}}
}

// LureDomainReasons reports a registrable domain padded with lure words
// ("secure-account-verify.top", "gmail-login-secure.live"): clean-level
// evidence, weak alone (real companies name domains "…-support" too), that
// adds to other signs in the score.
func LureDomainReasons(host string) []verdict.Reason {
	ws := lookalike.LureWords(host)
	if len(ws) == 0 {
		return nil
	}
	reg, _ := domain.Registrable(host)
	return []verdict.Reason{{
		Code: verdict.CodeLureDomain, Level: verdict.Clean,
		Evidence: map[string]string{"host": host, "words": strings.Join(ws, ",")},
		JA:       "このドメイン（" + reg + "）には「" + strings.Join(ws, "」「") + "」のような、詐欺サイトが名前に付け足す語が入っています。",
		EN:       "The domain " + reg + " is padded with words scam sites add to names (" + strings.Join(ws, ", ") + ").",
	}}
}
