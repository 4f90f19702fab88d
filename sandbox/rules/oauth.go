package rules

import (
	"path"
	"strings"
)

// OAuth consent phishing (detection.md §3 and §7.3, R10–R13): a link whose
// redirect chain reaches a real identity provider's authorisation endpoint,
// where the user is asked to let an outside app into their mailbox,
// contacts or files. The consent screen is genuine, so page-content rules
// see nothing wrong; the danger is in the URL's parameters. The files of
// this rule are oauth.go (recognising and parsing the request),
// oauth_scopes.go (the scope-risk table) and oauth_reasons.go (the verdict
// reasons). docs/oauth-scopes.md documents the tables and decisions.

// OAuthRequest is an authorisation request read from a URL.
type OAuthRequest struct {
	// Provider is one of "google", "microsoft-v2", "microsoft-v1",
	// "microsoft-adminconsent", "microsoft-devicecode", "github",
	// "facebook", "yahoo-japan", "yahoo", "line", "apple", "slack",
	// "dropbox", "salesforce".
	Provider string
	// Endpoint is the scheme, host and path that matched, normalised:
	// lower-case scheme and host, no user info or default port, path
	// percent-decoded and cleaned.
	Endpoint string
	ClientID string
	// Scopes are the scopes as requested, split on space, comma and plus
	// after decoding (a double-encoded value is decoded again),
	// de-duplicated, in request order. Slack's user_scope is included.
	Scopes      []string
	RedirectURI string
	// Prompt is the prompt parameter (Google's legacy approval_prompt or
	// Facebook's auth_type when prompt is absent).
	Prompt string
	// Tenant is the Microsoft tenant path segment (common, organizations,
	// consumers, a GUID or a domain); "consumers" for login.live.com.
	Tenant string
	// Resource is the Microsoft identity platform v1 resource parameter
	// (v1 has resource instead of scope).
	Resource string
	// AdminConsent is set for Microsoft admin-consent endpoints and for
	// prompt=admin_consent.
	AdminConsent bool
	// Offline is set when the app asks to keep access while the user is
	// away: the offline_access or refresh_token scope, access_type=offline
	// (Google) or token_access_type=offline (Dropbox).
	Offline bool
	// Implicit is set for the implicit grant: response_type includes
	// "token", so the provider hands the access token straight to the
	// redirect URI's page in the URL, with no client secret involved.
	Implicit bool
}

// Provider names.
const (
	oauthGoogle     = "google"
	oauthMSv2       = "microsoft-v2"
	oauthMSv1       = "microsoft-v1"
	oauthMSAdmin    = "microsoft-adminconsent"
	oauthMSDevice   = "microsoft-devicecode"
	oauthGitHub     = "github"
	oauthFacebook   = "facebook"
	oauthYahooJapan = "yahoo-japan"
	oauthYahoo      = "yahoo"
	oauthLINE       = "line"
	oauthApple      = "apple"
	oauthSlack      = "slack"
	oauthDropbox    = "dropbox"
	oauthSalesforce = "salesforce"
)

// oauthFamily returns the scope-table family of a provider: the four
// Microsoft endpoints share one table.
func oauthFamily(provider string) string {
	if strings.HasPrefix(provider, "microsoft-") {
		return "microsoft"
	}
	return provider
}

// oauthEndpoint is one authorisation endpoint: exact hosts and a path.
type oauthEndpoint struct {
	provider string
	// hosts are exact lower-case host names. "*.suffix" means one or more
	// DNS labels in front of suffix (Salesforce My Domain).
	hosts []string
	// path is matched segment by segment, case-insensitively. "{tenant}"
	// is one Microsoft tenant segment, "{ver}" a Facebook Graph API
	// version (v19.0).
	path string
	// src says where the endpoint comes from (docs/oauth-scopes.md).
	src string
}

// oauthMSHosts are the Microsoft Entra ID sign-in hosts: the global one
// and its aliases, US Government and the China cloud.
var oauthMSHosts = []string{
	"login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
	"login.microsoftonline.us", "login.partner.microsoftonline.cn", "login.chinacloudapi.cn",
}

// oauthEndpoints are the endpoints ParseOAuth recognises (detection.md
// §3.1). Sign-in pages on the same hosts (accounts.google.com/ServiceLogin,
// github.com/login, login.microsoftonline.com/common/login ...) are not
// endpoints: they ask for a password, which the credential rules judge.
var oauthEndpoints = []oauthEndpoint{
	{oauthGoogle, []string{"accounts.google.com"}, "/o/oauth2/v2/auth", "detection.md §3.1"},
	{oauthGoogle, []string{"accounts.google.com"}, "/o/oauth2/auth", "legacy path"},
	{oauthGoogle, []string{"accounts.google.com"}, "/o/oauth2/v2/auth/oauthchooseaccount", "account chooser, carries the same parameters"},
	{oauthGoogle, []string{"accounts.google.com"}, "/o/oauth2/auth/oauthchooseaccount", "account chooser, carries the same parameters"},
	{oauthMSv2, oauthMSHosts, "/{tenant}/oauth2/v2.0/authorize", "detection.md §3.1"},
	{oauthMSv2, []string{"login.live.com"}, "/oauth20_authorize.srf", "consumer accounts (detection.md §3.1 note)"},
	{oauthMSv1, oauthMSHosts, "/{tenant}/oauth2/authorize", "detection.md §3.1 (v1 uses resource)"},
	{oauthMSAdmin, oauthMSHosts, "/{tenant}/v2.0/adminconsent", "detection.md §3.1, R13"},
	{oauthMSAdmin, oauthMSHosts, "/{tenant}/adminconsent", "v1 admin consent, R13"},
	{oauthMSDevice, []string{"microsoft.com", "www.microsoft.com", "aka.ms"}, "/devicelogin", "detection.md §3.1, §3.3"},
	{oauthMSDevice, []string{"microsoft.com", "www.microsoft.com"}, "/link", "consumer device-code page"},
	{oauthMSDevice, oauthMSHosts, "/{tenant}/oauth2/deviceauth", "device-code page"},
	{oauthMSDevice, []string{"login.microsoftonline.com", "login.microsoft.com"}, "/device", "newer device-code page"},
	{oauthMSDevice, []string{"login.live.com"}, "/oauth20_remoteconnect.srf", "consumer device-code page"},
	{oauthGitHub, []string{"github.com", "www.github.com"}, "/login/oauth/authorize", "detection.md §3.1"},
	{oauthFacebook, []string{"www.facebook.com", "facebook.com", "m.facebook.com", "web.facebook.com"}, "/{ver}/dialog/oauth", "detection.md §3.1"},
	{oauthFacebook, []string{"www.facebook.com", "facebook.com", "m.facebook.com", "web.facebook.com"}, "/dialog/oauth", "unversioned form"},
	{oauthYahooJapan, []string{"auth.login.yahoo.co.jp"}, "/yconnect/v2/authorization", "detection.md §3.1"},
	{oauthYahooJapan, []string{"auth.login.yahoo.co.jp"}, "/yconnect/v1/authorization", "YConnect v1"},
	{oauthYahoo, []string{"api.login.yahoo.com"}, "/oauth2/request_auth", "detection.md §3.1"},
	{oauthLINE, []string{"access.line.me"}, "/oauth2/v2.1/authorize", "detection.md §3.1"},
	{oauthLINE, []string{"access.line.me"}, "/dialog/oauth/weblogin", "LINE Login v1/v2"},
	{oauthApple, []string{"appleid.apple.com"}, "/auth/authorize", "detection.md §3.1"},
	{oauthSlack, []string{"slack.com"}, "/oauth/v2/authorize", "detection.md §3.1"},
	{oauthSlack, []string{"slack.com"}, "/oauth/authorize", "legacy (detection.md §3.1)"},
	{oauthSlack, []string{"slack.com"}, "/openid/connect/authorize", "Sign in with Slack"},
	{oauthDropbox, []string{"www.dropbox.com", "dropbox.com"}, "/oauth2/authorize", "detection.md §3.1"},
	{oauthDropbox, []string{"www.dropbox.com", "dropbox.com"}, "/1/oauth2/authorize", "API v1 path"},
	{oauthSalesforce, []string{"login.salesforce.com", "test.salesforce.com", "*.my.salesforce.com"}, "/services/oauth2/authorize", "detection.md §3.1"},
}

// oauthURL is a URL split and normalised for matching.
type oauthURL struct {
	scheme string // "http" or "https"
	host   string // lower case, ASCII, no trailing dot
	path   string // percent-decoded, cleaned, starts with "/"
	query  string // raw, without "?" and fragment
}

// endpoint is scheme://host/path.
func (u oauthURL) endpoint() string { return u.scheme + "://" + u.host + u.path }

// String is the normalised URL; endpoint() is always a prefix of it.
func (u oauthURL) String() string {
	if u.query == "" {
		return u.endpoint()
	}
	return u.endpoint() + "?" + u.query
}

// oauthMaxURL bounds the input: longer strings are not URLs a browser
// sends (Chromium's limit is 2 MB; IdPs reject far less).
const oauthMaxURL = 1 << 20

// oauthParseURL splits an absolute http(s) URL the way a browser would
// for a plain host name: tabs and newlines removed, backslash as slash,
// user info dropped, full-width host characters folded, default port only.
// Anything else (IP literal, other port, other scheme, percent-encoded or
// non-ASCII host) is not ok: no endpoint lives there.
func oauthParseURL(raw string) (oauthURL, bool) {
	var u oauthURL
	if len(raw) > oauthMaxURL {
		return u, false
	}
	raw = strings.TrimLeft(raw, " \t\r\n\f\v\x00")
	raw = strings.TrimRight(raw, " \t\r\n\f\v\x00")
	if strings.ContainsAny(raw, "\t\r\n") {
		raw = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(raw)
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return u, false
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		u.scheme = strings.ToLower(scheme)
	default:
		return u, false
	}
	// Browsers accept any number of slashes or backslashes after the
	// scheme of a special URL; "https:accounts.google.com" too. Require
	// at least one to stay clear of relative forms.
	n := 0
	for n < len(rest) && (rest[n] == '/' || rest[n] == '\\') {
		n++
	}
	if n == 0 {
		return u, false
	}
	rest = rest[n:]
	end := strings.IndexAny(rest, "/?#\\")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	host, port, hasPort := strings.Cut(authority, ":")
	if hasPort {
		switch {
		case port == "":
		case u.scheme == "https" && port == "443", u.scheme == "http" && port == "80":
		default:
			return u, false
		}
	}
	host, ok = oauthFoldHost(host)
	if !ok {
		return u, false
	}
	u.host = host
	rest, _, _ = strings.Cut(rest, "#")
	p, q, _ := strings.Cut(rest, "?")
	p = strings.ReplaceAll(p, "\\", "/")
	u.path = path.Clean("/" + oauthUnescape(p, false))
	u.query = q
	return u, true
}

// oauthFoldHost lower-cases a host name, folds full-width ASCII and the
// ideographic full stops (。．｡) as IDNA mapping does, drops one trailing
// dot and accepts only letters, digits, dots and hyphens.
func oauthFoldHost(h string) (string, bool) {
	if h == "" || len(h) > 1024 {
		return "", false
	}
	b := make([]byte, 0, len(h))
	for _, r := range h {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3002 || r == 0xFF0E || r == 0xFF61:
			r = '.'
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return "", false
		}
		b = append(b, byte(r))
	}
	s := strings.TrimSuffix(string(b), ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	return s, true
}

// oauthIsLabel reports whether s is one DNS label (lower case).
func oauthIsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// oauthHostMatch reports whether host is pattern: exact, or for
// "*.suffix" one or more labels and then suffix.
func oauthHostMatch(pattern, host string) bool {
	suffix, wild := strings.CutPrefix(pattern, "*")
	if !wild {
		return host == pattern
	}
	labels, ok := strings.CutSuffix(host, suffix)
	if !ok || labels == "" {
		return false
	}
	for _, l := range strings.Split(labels, ".") {
		if !oauthIsLabel(l) {
			return false
		}
	}
	return true
}

// oauthPathMatch matches a cleaned path against an endpoint pattern and
// returns the tenant segment, if the pattern has one.
func oauthPathMatch(pattern, p string) (tenant string, ok bool) {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	ss := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(ps) != len(ss) {
		return "", false
	}
	for i, want := range ps {
		got := ss[i]
		switch want {
		case "{tenant}":
			if !oauthIsTenant(got) {
				return "", false
			}
			tenant = got
		case "{ver}":
			if !oauthIsGraphVersion(got) {
				return "", false
			}
		default:
			if !strings.EqualFold(want, got) {
				return "", false
			}
		}
	}
	return tenant, true
}

// oauthIsTenant accepts a Microsoft tenant segment: common, organizations,
// consumers, a GUID or a domain name.
func oauthIsTenant(s string) bool {
	if s == "" || len(s) > 256 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// oauthIsGraphVersion accepts a Facebook Graph API version: v19.0, v2.
func oauthIsGraphVersion(s string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(s), "v")
	if !ok {
		return false
	}
	major, minor, hasMinor := strings.Cut(rest, ".")
	return oauthDigits(major) && (!hasMinor || oauthDigits(minor))
}

func oauthDigits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// oauthMatch finds the endpoint of u.
func oauthMatch(u oauthURL) (e oauthEndpoint, tenant string, ok bool) {
	for _, e := range oauthEndpoints {
		hostOK := false
		for _, h := range e.hosts {
			if oauthHostMatch(h, u.host) {
				hostOK = true
				break
			}
		}
		if !hostOK {
			continue
		}
		if tenant, ok := oauthPathMatch(e.path, u.path); ok {
			return e, tenant, true
		}
	}
	return oauthEndpoint{}, "", false
}

// ParseOAuth recognises an authorisation request to a known endpoint and
// reads its parameters. It is false for anything else, including look-alike
// hosts (accounts.google.com.evil.top), other paths on the providers' hosts
// and non-http(s) URLs. It is lenient about encoding: parameter names are
// matched case-insensitively, invalid percent escapes are kept as they are,
// and a double-encoded scope or resource is decoded again.
func ParseOAuth(rawURL string) (OAuthRequest, bool) {
	u, ok := oauthParseURL(rawURL)
	if !ok {
		return OAuthRequest{}, false
	}
	e, tenant, ok := oauthMatch(u)
	if !ok {
		return OAuthRequest{}, false
	}
	q := oauthParams(u.query)
	r := OAuthRequest{
		Provider:    e.provider,
		Endpoint:    u.endpoint(),
		ClientID:    oauthTrim(q.first("client_id", "app_id")),
		RedirectURI: oauthTrim(q.first("redirect_uri")),
		Prompt:      oauthTrim(q.first("prompt", "approval_prompt", "auth_type")),
		Tenant:      tenant,
	}
	scopeKeys := []string{"scope"}
	if e.provider == oauthSlack {
		scopeKeys = append(scopeKeys, "user_scope")
	}
	r.Scopes = oauthSplitScopes(q.all(scopeKeys...))
	family := oauthFamily(e.provider)
	if family == "microsoft" {
		r.Resource = oauthTrim(oauthDecodeAgain(q.first("resource")))
		r.AdminConsent = e.provider == oauthMSAdmin || strings.EqualFold(r.Prompt, "admin_consent")
		if u.host == "login.live.com" {
			r.Tenant = "consumers"
		}
	}
	for _, s := range r.Scopes {
		switch strings.ToLower(s) {
		case "offline_access", "refresh_token":
			r.Offline = true
		}
	}
	for _, t := range strings.FieldsFunc(q.first("response_type"), func(r rune) bool { return r == ' ' || r == '+' || r == ',' }) {
		if strings.EqualFold(t, "token") {
			r.Implicit = true
		}
	}
	if strings.EqualFold(q.first("access_type"), "offline") || strings.EqualFold(q.first("token_access_type"), "offline") {
		r.Offline = true
	}
	return r, true
}

// IsOAuthEndpoint reports whether rawURL is one of the authorisation
// (consent, device-code) endpoints ParseOAuth recognises, whatever its
// parameters. The click proxy never judges such a URL without rendering
// it (its one-time-link shortcut), so it is exported for it; it reads the
// URL only.
func IsOAuthEndpoint(rawURL string) bool {
	u, ok := oauthParseURL(rawURL)
	if !ok {
		return false
	}
	_, _, ok = oauthMatch(u)
	return ok
}

// oauthParam is one query parameter, decoded once.
type oauthParam struct{ key, value string }

type oauthParamList []oauthParam

// oauthParams splits a raw query on "&" and decodes keys and values once
// (plus as space), keeping invalid escapes as they are.
func oauthParams(rawQuery string) oauthParamList {
	var ps oauthParamList
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		ps = append(ps, oauthParam{oauthUnescape(k, true), oauthUnescape(v, true)})
	}
	return ps
}

// first returns the first non-empty value of the first key that has one.
func (ps oauthParamList) first(keys ...string) string {
	for _, k := range keys {
		for _, p := range ps {
			if p.value != "" && strings.EqualFold(strings.TrimSpace(p.key), k) {
				return p.value
			}
		}
	}
	return ""
}

// all returns every value of the keys, in order. A repeated parameter is
// ambiguous (which one does the provider read?), so all are kept: the
// rule rates everything the link might ask for.
func (ps oauthParamList) all(keys ...string) []string {
	var vs []string
	for _, k := range keys {
		for _, p := range ps {
			if strings.EqualFold(strings.TrimSpace(p.key), k) {
				vs = append(vs, p.value)
			}
		}
	}
	return vs
}

// oauthUnescape decodes %XX escapes (and "+" as space when plus is set),
// leaving invalid escapes as they are, unlike url.QueryUnescape, which
// gives up on the whole string.
func oauthUnescape(s string, plus bool) string {
	if !strings.ContainsRune(s, '%') && !(plus && strings.ContainsRune(s, '+')) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && oauthIsHex(s[i+1]) && oauthIsHex(s[i+2]):
			b = append(b, oauthUnhex(s[i+1])<<4|oauthUnhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func oauthIsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func oauthUnhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// oauthHasEscape reports whether s still contains a valid %XX escape.
func oauthHasEscape(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && oauthIsHex(s[i+1]) && oauthIsHex(s[i+2]) {
			return true
		}
	}
	return false
}

// oauthDecodeAgain decodes a value that was already decoded once while it
// still contains escapes, at most three more times: links built by
// encoding an already-encoded scope are common in kits and mail tools.
// Scope and resource values never contain a literal "%".
func oauthDecodeAgain(s string) string {
	for range 3 {
		if !oauthHasEscape(s) {
			break
		}
		s = oauthUnescape(s, true)
	}
	return s
}

// oauthSplitScopes splits scope values on space, comma and plus (Facebook
// and Slack use commas; a double-encoded space arrives as a literal plus),
// de-duplicates and keeps order.
func oauthSplitScopes(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		fields := strings.FieldsFunc(oauthDecodeAgain(v), func(r rune) bool {
			switch r {
			case ' ', ',', '+', '\t', '\n', '\r', '\f', '\v':
				return true
			}
			return false
		})
		for _, f := range fields {
			f = strings.ToValidUTF8(f, "\uFFFD")
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// oauthTrim trims spaces and makes the value valid UTF-8.
func oauthTrim(s string) string {
	return strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
}
