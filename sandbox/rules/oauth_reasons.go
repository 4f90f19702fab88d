package rules

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// OAuthPolicy is the organisation's OAuth policy.
type OAuthPolicy struct {
	// AllowedClients are the apps the organisation allows, keyed
	// provider+":"+client_id ("google:123-abc.apps.googleusercontent.com").
	// For Microsoft, "microsoft:"+client_id allows the app on every
	// Microsoft endpoint (v1, v2 and admin consent share client IDs), and
	// client IDs (GUIDs) compare case-insensitively.
	AllowedClients map[string]bool
	// OwnDomains are the organisation's own domains: a redirect_uri host
	// imitating one of them (or a brand, or the provider) makes the
	// request malicious. Judge fills it from Policy.OwnDomains.
	OwnDomains []string
}

// allowed reports whether the request's app is on the allowlist. A request
// without a client_id (the device-code page) is never allowed.
func (p OAuthPolicy) allowed(r OAuthRequest) bool {
	if r.ClientID == "" || len(p.AllowedClients) == 0 {
		return false
	}
	if p.AllowedClients[r.Provider+":"+r.ClientID] {
		return true
	}
	if oauthFamily(r.Provider) != "microsoft" {
		return false
	}
	for k, ok := range p.AllowedClients {
		if !ok {
			continue
		}
		prov, id, _ := strings.Cut(k, ":")
		if (prov == "microsoft" || prov == r.Provider) && strings.EqualFold(id, r.ClientID) {
			return true
		}
	}
	return false
}

// oauthContinueKeys are the parameters in which the providers' own sign-in
// pages carry the authorisation request to continue with after sign-in:
// Google's continue (ServiceLogin, AccountChooser, /v3/signin/identifier),
// GitHub's return_to (/login), Facebook's next (/login.php) and
// Salesforce's startURL. A link straight to such a sign-in page stops
// there in the sandbox (nobody signs in), so the request is read from the
// parameter.
var oauthContinueKeys = []string{"continue", "return_to", "next", "startURL"}

// oauthMaxNesting bounds how many sign-in pages are unwrapped.
const oauthMaxNesting = 3

// oauthNested reads an authorisation request carried in a continuation
// parameter of a sign-in page of the same provider family.
func oauthNested(raw string, depth int) (OAuthRequest, bool) {
	if depth >= oauthMaxNesting {
		return OAuthRequest{}, false
	}
	u, ok := oauthParseURL(raw)
	if !ok {
		return OAuthRequest{}, false
	}
	family := oauthHostFamily(u.host)
	if family == "" {
		return OAuthRequest{}, false
	}
	q := oauthParams(u.query)
	for _, v := range q.all(oauthContinueKeys...) {
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, "/\\"):
			v = u.scheme + "://" + u.host + v
		case strings.HasPrefix(strings.ToLower(v), "http"):
		default:
			continue
		}
		r, ok := ParseOAuth(v)
		if !ok {
			r, ok = oauthNested(v, depth+1)
		}
		if ok && oauthFamily(r.Provider) == family {
			return r, true
		}
	}
	return OAuthRequest{}, false
}

// oauthHostFamily returns the provider family whose endpoints live on
// host, or "".
func oauthHostFamily(host string) string {
	for _, e := range oauthEndpoints {
		for _, h := range e.hosts {
			if oauthHostMatch(h, host) {
				return oauthFamily(e.provider)
			}
		}
	}
	return ""
}

// oauthRequestKey identifies a request: hops that carry the same request
// (Google's auth URL and its account chooser, Microsoft's authorize and
// login.live.com) give one reason.
func oauthRequestKey(r OAuthRequest) string {
	if r.Provider == oauthMSDevice {
		return r.Provider
	}
	scopes := slices.Clone(r.Scopes)
	slices.Sort(scopes)
	return strings.Join([]string{r.Provider, r.ClientID, r.RedirectURI, strings.Join(scopes, " "),
		r.Resource, strconv.FormatBool(r.AdminConsent), strconv.FormatBool(r.Offline)}, "\x00")
}

// OAuthReasons judges a redirect chain (every URL, in order, from the mail
// link to the final page). Each distinct authorisation request in the chain
// (read by ParseOAuth, or from the continuation parameter of the provider's
// own sign-in page) gives one reason, in chain order:
//
//   - malicious, oauth-high-risk: the app is not on the allowlist and the
//     request is high risk (OAuthRisk: mail, contacts, files, offline
//     access with those, admin consent), or asks for personal data
//     (medium or more) with the implicit grant (response_type=token), or
//     its redirect_uri host imitates the provider, a brand or one of the
//     organisation's domains (Lookalike). The device-code page is always
//     this (it has no app to allow).
//   - suspicious, oauth-consent: medium or unknown risk, app not allowed.
//   - clean, oauth-consent: low risk only (sign-in with name and email), or
//     an allowed app. The reason is kept so the chain's consent request is
//     visible in the report, but it does not raise the verdict.
func OAuthReasons(chain []string, p OAuthPolicy) []verdict.Reason {
	var reasons []verdict.Reason
	seen := map[string]bool{}
	for i, hop := range chain {
		via := ""
		r, ok := ParseOAuth(hop)
		if !ok {
			r, ok = oauthNested(hop, 0)
			via = "sign-in page continuation"
		}
		if !ok {
			continue
		}
		key := oauthRequestKey(r)
		if seen[key] {
			continue
		}
		seen[key] = true
		reasons = append(reasons, oauthReason(r, p, i, via, oauthSubjectChain))
	}
	return reasons
}

// oauthReason builds the reason for one request found at chain[hop].
func oauthReason(r OAuthRequest, p OAuthPolicy, hop int, via string, subj oauthSubject) verdict.Reason {
	infos := RateScopes(r)
	risk := oauthMaxRisk(infos)
	allowed := p.allowed(r)
	reason := verdict.Reason{Code: verdict.CodeOAuthConsent, Level: verdict.Suspicious}
	switch {
	case allowed:
		reason.Level = verdict.Clean
	case risk == ScopeRiskHigh:
		reason.Code, reason.Level = verdict.CodeOAuthHighRisk, verdict.Malicious
	case risk == ScopeRiskLow:
		reason.Level = verdict.Clean
	}
	redirectHost := oauthRedirectHost(r.RedirectURI)
	var noteJA, noteEN string
	implicit, lookalikeTarget := false, ""
	if !allowed && r.Provider != oauthMSDevice {
		// The implicit grant hands the access token to the redirect
		// page in the URL: a request for personal data (medium or more)
		// that way gives it to whoever runs that page.
		if r.Implicit && risk.rank() >= ScopeRiskMedium.rank() {
			implicit = true
			noteJA += "アクセス用の鍵（トークン）が戻り先のページに直接渡される方式です。"
			noteEN += " The access key (token) is handed straight to the page it returns to."
		}
		if hit, ok := oauthRedirectLookalike(redirectHost, p.OwnDomains); ok {
			lookalikeTarget = hit
			noteJA += "戻り先 " + oauthShort(redirectHost, 80) + " は " + hit + " に見せかけたドメインです。"
			noteEN += " Its return address " + oauthShort(redirectHost, 80) + " imitates " + hit + "."
		}
		if implicit || lookalikeTarget != "" {
			reason.Code, reason.Level = verdict.CodeOAuthHighRisk, verdict.Malicious
		}
	}
	if r.Resource != "" && reason.Level != verdict.Malicious {
		noteJA += "アプリが求める具体的な権限はこのリンクからは分かりません。"
		noteEN += " The exact permissions it asks for cannot be seen from the link."
	}
	ev := map[string]string{
		"provider":      r.Provider,
		"client_id":     oauthEvidence(r.ClientID),
		"redirect_host": oauthEvidence(redirectHost),
		"scopes":        oauthEvidence(strings.Join(r.Scopes, " ")),
		"prompt":        oauthEvidence(r.Prompt),
		"endpoint":      oauthEvidence(r.Endpoint),
		"hop":           strconv.Itoa(hop + 1),
		"risk":          string(risk),
	}
	for k, v := range map[string]string{"tenant": r.Tenant, "resource": r.Resource, "via": via} {
		if v != "" {
			ev[k] = oauthEvidence(v)
		}
	}
	if lookalikeTarget != "" {
		ev["redirect_lookalike"] = oauthEvidence(lookalikeTarget)
	}
	for k, v := range map[string]bool{"admin_consent": r.AdminConsent, "offline": r.Offline, "allowlisted": allowed, "implicit": r.Implicit} {
		if v {
			ev[k] = "true"
		}
	}
	reason.Evidence = ev
	reason.JA, reason.EN = oauthExplain(r, infos, redirectHost, reason.Level, allowed, subj, noteJA, noteEN)
	return reason
}

// oauthRedirectLookalike reports whether a redirect host imitates the
// provider, a brand of the brand list or one of the organisation's own
// domains (Lookalike), and returns what it imitates. A mixed-script host
// that imitates nothing known does not count here.
func oauthRedirectLookalike(host string, own []string) (string, bool) {
	if host == "" || !strings.Contains(host, ".") || strings.ContainsAny(host, ":/") {
		return "", false
	}
	hit, ok := Lookalike(host, own)
	if !ok || hit.Brand == "" {
		return "", false
	}
	if hit.Target != "" {
		return hit.Target, true
	}
	return hit.Brand, true
}

// oauthEvidenceMax bounds evidence values (they are attacker-chosen).
const oauthEvidenceMax = 512

func oauthEvidence(s string) string {
	s = oauthPrintable(s)
	if len(s) <= oauthEvidenceMax {
		return s
	}
	cut := oauthEvidenceMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// oauthRedirectHost is the host of the redirect URI (lower case), or for a
// URI without one (urn:ietf:wg:oauth:2.0:oob, a custom scheme) the URI
// itself. A double-encoded redirect URI is decoded again.
func oauthRedirectHost(redirect string) string {
	if redirect == "" {
		return ""
	}
	if !strings.Contains(redirect, "://") && strings.Contains(strings.ToLower(redirect), "%3a%2f%2f") {
		redirect = oauthDecodeAgain(redirect)
	}
	if u, err := url.Parse(redirect); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	if u, ok := oauthParseURL(redirect); ok {
		return u.host
	}
	return redirect
}

// oauthProviderNames are the names shown to people.
var oauthProviderNames = map[string]string{
	"google": "Google", "microsoft": "Microsoft", "github": "GitHub", "facebook": "Facebook",
	"yahoo-japan": "Yahoo! JAPAN", "yahoo": "Yahoo", "line": "LINE", "apple": "Apple",
	"slack": "Slack", "dropbox": "Dropbox", "salesforce": "Salesforce",
}

// oauthMaxItems is how many permissions an explanation names.
const oauthMaxItems = 4

// oauthSubject is what opens the consent screen, as the explanations'
// opening words.
type oauthSubject struct{ ja, en string }

var (
	oauthSubjectChain  = oauthSubject{"このリンクは ", "This link opens "}
	oauthSubjectLink   = oauthSubject{"このページのリンクは ", "A link on this page opens "}
	oauthSubjectScript = oauthSubject{"このページのボタンは ", "A button on this page opens "}
)

// oauthExplain writes the one-line explanations. They name the provider,
// the app (client_id and where it sends the user back to) and what it asks
// for, most dangerous first, offline access last; low-risk items are
// named only when nothing else is asked for.
//
// noteJA and noteEN are extra sentences (why the request is worse than
// its scopes, or that the link does not show the permissions), put before
// the closing advice; noteEN starts with a space.
func oauthExplain(r OAuthRequest, infos []ScopeInfo, redirectHost string, level verdict.Level, allowed bool, subj oauthSubject, noteJA, noteEN string) (ja, en string) {
	if r.Provider == oauthMSDevice {
		return subj.ja + "Microsoft のデバイスコード入力画面を開きます。受け取ったコードを入力すると、他人の端末があなたのアカウントにサインインできてしまいます。コードを入力しないでください。",
			subj.en + "Microsoft's device-code page. Typing in a code you were sent lets someone else's device sign in to your account. Do not enter any code."
	}
	name := oauthProviderNames[oauthFamily(r.Provider)]
	clientJA, clientEN := "不明", "not given"
	if r.ClientID != "" {
		clientJA = oauthShort(r.ClientID, 80)
		clientEN = clientJA
	}
	backJA, backEN := "不明", "not given"
	if redirectHost != "" {
		backJA = oauthShort(redirectHost, 80)
		backEN = backJA
	}
	var jas, ens []string
	offline := false
	for _, risk := range []ScopeRisk{ScopeRiskHigh, ScopeRiskMedium, ScopeRiskUnknown, ScopeRiskLow} {
		if risk == ScopeRiskLow && len(ens) > 0 {
			break
		}
		for _, in := range infos {
			if in.EN == oauthOfflineEN {
				offline = true
				continue
			}
			if in.Risk == risk && !slices.Contains(ens, in.EN) {
				jas, ens = append(jas, in.JA), append(ens, in.EN)
			}
		}
	}
	if offline { // last: it qualifies the rest
		jas, ens = append(jas, oauthOfflineJA), append(ens, oauthOfflineEN)
	}
	var tailJA, tailEN string
	switch {
	case allowed:
		tailJA, tailEN = "組織が許可しているアプリです。", "Your organisation allows this app."
	case level == verdict.Malicious:
		tailJA, tailEN = "許可しないでください。", "Do not allow it."
	case level == verdict.Clean:
		tailJA, tailEN = "求めているのは基本的な情報だけです。", "It asks only for basic information."
	default:
		tailJA, tailEN = "心当たりがなければ許可しないでください。", "Do not allow it unless you know the app."
	}
	ja = subj.ja + name + " の同意画面を開き、外部アプリ（client_id: " + clientJA + ", 戻り先: " + backJA + "）に" +
		oauthJoinJA(jas) + "を許可させようとしています。" + noteJA + tailJA
	en = subj.en + name + "'s consent screen asking you to let an outside app (client_id: " + clientEN +
		", returns to: " + backEN + ") " + oauthJoinEN(ens) + "." + noteEN + " " + tailEN
	return ja, en
}

// oauthJoinJA joins noun phrases: 「a、bとc」, at most oauthMaxItems; only
// 「、」 when an item has its own 「と」 (連絡先の読み取りと変更).
func oauthJoinJA(items []string) string {
	if len(items) > oauthMaxItems {
		return strings.Join(items[:oauthMaxItems], "、") + "など" + strconv.Itoa(len(items)) + "件の権限"
	}
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	last := "と"
	for _, it := range items {
		if strings.Contains(it, "と") {
			last = "、"
		}
	}
	return strings.Join(items[:len(items)-1], "、") + last + items[len(items)-1]
}

// oauthJoinEN joins verb phrases: "a, b and c", at most oauthMaxItems.
func oauthJoinEN(items []string) string {
	if len(items) > oauthMaxItems {
		return strings.Join(items[:oauthMaxItems], ", ") + " and " + strconv.Itoa(len(items)-oauthMaxItems) + " more"
	}
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
