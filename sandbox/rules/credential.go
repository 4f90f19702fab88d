package rules

import (
	"maps"
	"net/url"
	"strings"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/domain"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// credentialWords name what a harvesting form asks for, in Japanese and
// English. They are matched in an input's name, id, placeholder, label and
// autocomplete, lower-cased and width-folded.
var credentialWords = []string{
	"パスワード", "暗証番号", "ログインid", "ログインＩＤ", "カード番号", "セキュリティコード", "ワンタイムパスワード",
	"認証コード", "確認コード", "有効期限", "口座番号", "支店番号", "秘密の質問",
	"password", "passwd", "passcode", "pincode", "pin code", "one-time", "otp", "cvv", "cvc", "csc",
	"card number", "cardnumber", "card-number", "cc-number", "cc-csc", "cc-exp", "security code",
	"current-password", "new-password", "one-time-code",
}

// credentialField reports whether an input asks for a secret or card data,
// and which word gave it away.
func credentialField(in capture.Input) (string, bool) {
	if !in.Visible {
		return "", false
	}
	if in.Type == "password" {
		return "password field", true
	}
	if in.Masked {
		// Drawn with dots like a password field (-webkit-text-security),
		// so that no type=password gives it away.
		return "masked text field", true
	}
	hay := strings.ToLower(domain.Fold(strings.Join([]string{in.Name, in.ID, in.Placeholder, in.Label, in.Autocomplete}, " ")))
	for _, w := range credentialWords {
		if strings.Contains(hay, w) {
			return w, true
		}
	}
	return "", false
}

// identifierFirst finds a sign-in form that asks for the account first and
// the password on the next step, as Google, Microsoft and Amazon do and
// kits copy: a visible e-mail or user-name field in a form that also holds
// a password field not yet shown. It returns the evidence word and the
// form's action ("" when there is none).
func identifierFirst(forms []capture.Form) (field, action string) {
	for _, f := range forms {
		var pw, id bool
		for _, in := range f.Inputs {
			switch {
			case in.Type == "password":
				pw = true
			case in.Visible && identifierInput(in):
				id = true
			}
		}
		if pw && id {
			return "identifier-first sign-in", f.Action
		}
	}
	return "", ""
}

// identifierWords name an account identifier field.
var identifierWords = []string{"email", "e-mail", "mail", "user", "login", "identifier", "account", "phone", "username",
	"メール", "ユーザー", "ログインid", "会員id", "アカウント", "電話番号"}

func identifierInput(in capture.Input) bool {
	if in.Type == "email" {
		return true
	}
	if in.Type != "text" && in.Type != "tel" {
		return false
	}
	hay := strings.ToLower(domain.Fold(strings.Join([]string{in.Name, in.ID, in.Placeholder, in.Label, in.Autocomplete}, " ")))
	for _, w := range identifierWords {
		if strings.Contains(hay, w) {
			return true
		}
	}
	return false
}

// freeHostingSuffixes are registrable domains where anyone can publish a
// page in minutes; a sign-in form there is rarely the real service's.
var freeHostingSuffixes = []string{
	"github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app",
	"firebaseapp.com", "herokuapp.com", "glitch.me", "repl.co", "replit.app", "000webhostapp.com",
	"weebly.com", "wixsite.com", "blogspot.com", "wordpress.com", "square.site", "godaddysites.com",
	"ngrok.io", "ngrok-free.app", "trycloudflare.com", "r2.dev", "azurewebsites.net",
	"onrender.com", "fly.dev", "surge.sh", "webflow.io", "jimdofree.com",
}

func onFreeHosting(host string) (string, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, s := range freeHostingSuffixes {
		if host == s || strings.HasSuffix(host, "."+s) {
			return s, true
		}
	}
	return "", false
}

// userContentOnBrand recognises forms and sites that anyone can publish
// under a brand's own domain, so the brand's domain proves nothing.
func userContentOnBrand(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false
	}
	h, p := strings.ToLower(u.Hostname()), u.Path
	switch {
	case h == "sites.google.com":
		return "Google Sites", true
	case h == "docs.google.com" && strings.HasPrefix(p, "/forms/"), h == "forms.gle":
		return "Google Forms", true
	case h == "forms.office.com", h == "forms.microsoft.com":
		return "Microsoft Forms", true
	}
	return "", false
}

func registrable(rawURL string) (host, reg string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", ""
	}
	host = u.Hostname()
	reg, err = domain.Registrable(host)
	if err != nil {
		return host, host
	}
	return host, reg
}

// credentialBrandOwns reports whether reg is one of the brand's domains.
func credentialBrandOwns(b Brand, reg string) bool {
	for _, d := range b.Domains {
		if d == reg {
			return true
		}
	}
	return false
}

// CredentialReasons judges a page's forms. A form that asks for a password
// (type=password, or a text field masked with dots, capture.Input.Masked),
// PIN, one-time code or card data is:
//   - malicious when the page claims a brand (in its title, a logo's alt
//     text, the form's own labels, or a host that imitates the brand) on a
//     domain the brand does not own;
//   - suspicious when it posts to another site or sits on free hosting;
//   - otherwise reported at level clean, as evidence: sign-in pages are
//     everywhere, and a brand merely named in body text ("Sign in with
//     Google") is not a claim to be that brand.
//
// The checks run in the order of credentialChecks; the first that finds
// something gives the one reason.
func CredentialReasons(r *capture.Report, own []string) []verdict.Reason {
	return credentialReasons(r, own, DefaultBrands())
}

func credentialReasons(r *capture.Report, own []string, brands *BrandList) []verdict.Reason {
	c, ok := newCredentialPage(r, own)
	if !ok {
		return nil
	}
	c.brands = brands
	for _, check := range credentialDecisive {
		if reason, ok := check(c); ok {
			return []verdict.Reason{reason}
		}
	}
	// No check decided: every independent sign counts (Judge adds them
	// up), with the form itself as clean-level evidence.
	base := c.ev
	out := []verdict.Reason{credentialFormReason(maps.Clone(base))}
	for _, check := range credentialSigns {
		c.ev = maps.Clone(base)
		if reason, ok := check(c); ok {
			out = append(out, reason)
		}
	}
	return out
}

// credentialPage is what the credential checks look at: a page with a
// credential field.
type credentialPage struct {
	r          *capture.Report
	own        []string
	brands     *BrandList
	page       string   // the final URL, or the URL
	host, reg  string   // page's host and registrable domain
	formAction string   // the action of the form with the first credential field
	labels     []string // the labels and placeholders of the forms' inputs, but for radio buttons and checkboxes
	ev         map[string]string
}

// newCredentialPage finds the first credential field in the page's forms;
// ok is false when there is none.
func newCredentialPage(r *capture.Report, own []string) (c *credentialPage, ok bool) {
	var field string
	c = &credentialPage{r: r, own: own}
	for _, f := range r.Forms {
		for _, in := range f.Inputs {
			if w, ok := credentialField(in); ok && field == "" {
				field, c.formAction = w, f.Action
			}
			if in.Type != "radio" && in.Type != "checkbox" {
				// Choosing "PayPal" as the way to pay is not a claim to be
				// PayPal (Bootstrap's checkout example).
				c.labels = append(c.labels, in.Label, in.Placeholder)
			}
		}
	}
	if field == "" {
		field, c.formAction = identifierFirst(r.Forms)
	}
	if field == "" {
		return nil, false
	}
	c.page = r.FinalURL
	if c.page == "" {
		c.page = r.URL
	}
	c.host, c.reg = registrable(c.page)
	c.ev = map[string]string{"field": field, "host": c.host}
	return c, true
}

// credentialDecisive are the credential form's checks that decide alone,
// in order: the first hit gives the one reason. Each adds its evidence to
// c.ev only when it hits.
var credentialDecisive = []func(c *credentialPage) (verdict.Reason, bool){
	credentialUserContent,
	credentialBrandsOwnSite,
	credentialBrandClaim,
	credentialLookalike,
	credentialNameInHost,
}

// credentialSigns are the signs that count together when no decisive
// check hit: each gives its own reason, and Judge's score adds them up.
var credentialSigns = []func(c *credentialPage) (verdict.Reason, bool){
	credentialPostsElsewhere,
	credentialFreeHosting,
	credentialPretextCheck,
	credentialRiskyTLD,
}

// credentialFormReason is the clean-level evidence of a credential form.
func credentialFormReason(ev map[string]string) verdict.Reason {
	return verdict.Reason{
		Code: verdict.CodeCredentialForm, Level: verdict.Clean, Evidence: ev,
		JA: "このページにはパスワードなどの入力欄があります。",
		EN: "This page has a form that asks for a password or similar.",
	}
}

// credentialUserContent: a form anyone can create under a brand's domain
// (Google Forms, Microsoft Forms, Google Sites).
func credentialUserContent(c *credentialPage) (verdict.Reason, bool) {
	s, ok := userContentOnBrand(c.page)
	if !ok {
		return verdict.Reason{}, false
	}
	c.ev["hosting"] = s
	return verdict.Reason{
		Code: verdict.CodeFreeHosting, Level: verdict.Suspicious, Evidence: c.ev,
		JA: "誰でも作れるフォーム（" + s + "）でパスワードなどを尋ねています。本物のサービスがこうしたフォームでパスワードを聞くことはありません。",
		EN: "A form anyone can create (" + s + ") asks for a password or similar; real services never ask for them this way.",
	}, true
}

// credentialBrandsOwnSite: a brand's own site, which may well name other
// brands, is a plain sign-in page.
func credentialBrandsOwnSite(c *credentialPage) (verdict.Reason, bool) {
	if _, ok := c.brands.ForDomain(c.reg); !ok {
		return verdict.Reason{}, false
	}
	return credentialFormReason(c.ev), true
}

// credentialBrandClaim: a listed brand named where a page claims to be it
// (claimOf: title, site name, logo alt text and file name, icons,
// headings, copyright, form labels) on a domain the brand does not own.
func credentialBrandClaim(c *credentialPage) (verdict.Reason, bool) {
	for _, b := range c.brands.InText(claimOf(c.r, c.labels).strong) {
		if !credentialBrandOwns(b, c.reg) && !c.brands.selfHosted(b.Name) {
			c.ev["brand"] = b.Name
			return verdict.Reason{
				Code: verdict.CodeBrandImpersonated, Level: verdict.Malicious, Evidence: c.ev,
				JA: "このページは「" + b.Name + "」を名乗ってパスワードやカード情報を入力させようとしていますが、" + b.Name + " のドメインではありません（" + c.host + "）。",
				EN: "This page poses as " + b.Name + " and asks for your password or card details, but " + c.host + " is not " + b.Name + "'s site.",
			}, true
		}
	}
	return verdict.Reason{}, false
}

// credentialLookalike: the host imitates a brand's or the organisation's
// domain.
func credentialLookalike(c *credentialPage) (verdict.Reason, bool) {
	hit, ok := c.brands.Lookalike(c.host, c.own)
	if !ok || hit.Brand == "" {
		return verdict.Reason{}, false
	}
	c.ev["brand"], c.ev["imitates"] = hit.Brand, hit.Target
	return verdict.Reason{
		Code: verdict.CodeBrandImpersonated, Level: verdict.Malicious, Evidence: c.ev,
		JA: "このページは " + hit.Target + " に似せたドメイン（" + c.host + "）でパスワードやカード情報を入力させようとしています。",
		EN: "This page asks for your password or card details on " + c.host + ", a domain made to look like " + hit.Target + ".",
	}, true
}

// credentialNameInHost: the page claims a name (claimOf), listed or not,
// and the host carries that name the way phishing hosts do
// (lookalike.NameInHost: with lure words, in look-alike spelling, or as a
// subdomain of another domain). A brand's own domain is spelt as its name,
// so a password form there is not this.
func credentialNameInHost(c *credentialPage) (verdict.Reason, bool) {
	n, hit, ok := claimedInHost(claimOf(c.r, c.labels), c.host)
	if !ok {
		return verdict.Reason{}, false
	}
	c.ev["brand"], c.ev["claimed_in_host"] = n.shown, hit.Kind
	return verdict.Reason{
		Code: verdict.CodeBrandImpersonated, Level: verdict.Malicious, Evidence: c.ev,
		JA: "このページは「" + n.shown + "」を名乗ってパスワードなどを入力させようとしていますが、ドメイン（" + c.host + "）は名前に別の語を付け足したもので、" + n.shown + " のものではありません。",
		EN: "This page poses as " + n.shown + " and asks for your password or similar, but " + c.host + " only borrows the name: it is not " + n.shown + "'s site.",
	}, true
}

// credentialPostsElsewhere: the form sends what is typed to another site.
func credentialPostsElsewhere(c *credentialPage) (verdict.Reason, bool) {
	if c.formAction == "" {
		return verdict.Reason{}, false
	}
	ah, areg := registrable(c.formAction)
	if areg == "" || areg == c.reg {
		return verdict.Reason{}, false
	}
	c.ev["action_host"] = ah
	return verdict.Reason{
		Code: verdict.CodeFormPostsElsewhere, Level: verdict.Suspicious, Evidence: c.ev,
		JA: "入力したパスワードやカード情報は、このページとは別のサイト（" + ah + "）に送られます。",
		EN: "What you type into this form (password or card details) is sent to another site, " + ah + ".",
	}, true
}

// credentialFreeHosting: the sign-in form is on free hosting.
func credentialFreeHosting(c *credentialPage) (verdict.Reason, bool) {
	s, ok := onFreeHosting(c.host)
	if !ok {
		return verdict.Reason{}, false
	}
	c.ev["hosting"] = s
	// Clean alone: projects publish their own sign-in pages and demos
	// there; with another sign it adds up (score.go).
	return verdict.Reason{
		Code: verdict.CodeFreeHosting, Level: verdict.Clean, Evidence: c.ev,
		JA: "誰でも無料でページを作れるサービス（" + s + "）上のログイン画面です。本物のサービスがここを使うことはほとんどありません。",
		EN: "This sign-in form is on " + s + ", where anyone can publish a page for free; real services rarely use it.",
	}, true
}

// credentialPretextCheck: the page dresses the form up as a network,
// system or account alert (credentialPretexts).
func credentialPretextCheck(c *credentialPage) (verdict.Reason, bool) {
	p, ok := credentialPretext(c.r.Title + "\n" + c.r.Text)
	if !ok {
		return verdict.Reason{}, false
	}
	c.ev["phrase"] = p
	if networkPretexts[p] {
		// A web page never legitimately asks for the Wi-Fi or router
		// password: weighed more than an account alarm (score.go).
		c.ev["kind"] = "network"
	}
	return verdict.Reason{
		Code: verdict.CodeCredentialPretext, Level: verdict.Suspicious, Evidence: c.ev,
		JA: "このページはネットワークやシステム、アカウントの警告を装ってパスワードを入力させようとしています（「" + p + "」）。",
		EN: "This page dresses a password form up as a network, system or account alert (\"" + p + "\").",
	}, true
}

// credentialRiskyTLD: the form is under a TLD phishing uses far more than
// real services (riskyTLDs).
func credentialRiskyTLD(c *credentialPage) (verdict.Reason, bool) {
	tld, ok := riskyTLD(c.host)
	if !ok {
		return verdict.Reason{}, false
	}
	c.ev["tld"] = tld
	return verdict.Reason{
		Code: verdict.CodeRiskyTLD, Level: verdict.Suspicious, Evidence: c.ev,
		JA: "パスワードなどを尋ねるこのページは、フィッシングに多用されるドメイン（." + tld + "）にあります。",
		EN: "This page asks for a password or similar on a ." + tld + " domain, a kind phishing sites use far more than real services.",
	}, true
}

// credentialPretexts are what a password form says when it poses as the
// browser, the Wi-Fi network or the router (wifiphisher's and rphish's
// "Authentication Required" and "firmware updated" pages), or as an alarm
// about the account. Matched lower-cased in the title and visible text.
var credentialPretexts = []string{
	"authentication required", "network requires a password", "requires a wpa", "wpa2 password", "wpa password",
	"firmware was updated", "firmware update", "router login", "wi-fi session", "wifi session",
	"account has been suspended", "account has been locked", "account has been limited", "account will be suspended",
	"unusual activity", "unusual sign-in activity", "suspicious activity",
	"アカウントが停止", "アカウントを停止", "アカウントがロック", "アカウントの利用を制限", "利用制限",
	"不正アクセスを検知", "不審なアクセス", "ファームウェアが更新",
}

// networkPretexts are the credentialPretexts that pose as the browser, the
// network or the router rather than as an account.
var networkPretexts = map[string]bool{
	"authentication required": true, "network requires a password": true, "requires a wpa": true, "wpa2 password": true,
	"wpa password": true, "firmware was updated": true, "firmware update": true, "router login": true,
	"wi-fi session": true, "wifi session": true, "ファームウェアが更新": true,
}

func credentialPretext(text string) (string, bool) {
	text = strings.ToLower(domain.Fold(text))
	for _, p := range credentialPretexts {
		if strings.Contains(text, p) {
			return p, true
		}
	}
	return "", false
}

// riskyTLDs are top-level domains whose registrations are dominated by
// abuse: phishing_catcher's suspicious-TLD list (x0rz/phishing_catcher,
// suspicious.yaml) and dnstwist's abused-TLD dictionary, minus the
// generic ones real services commonly use (app, info, cc). A sign-in
// form under one is suspicious; the TLD alone says nothing.
var riskyTLDs = map[string]bool{
	"top": true, "xyz": true, "online": true, "site": true, "icu": true, "cfd": true, "click": true,
	"support": true, "live": true, "shop": true, "buzz": true, "sbs": true, "cyou": true, "bond": true,
	"rest": true, "work": true, "vip": true, "club": true, "wang": true, "fit": true, "ooo": true,
	"pw": true, "tk": true, "ml": true, "ga": true, "cf": true, "gq": true, "monster": true, "quest": true,
}

func riskyTLD(host string) (string, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	i := strings.LastIndexByte(host, '.')
	if i < 0 {
		return "", false
	}
	tld := host[i+1:]
	return tld, riskyTLDs[tld]
}
