package clickproxy

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// oneTimeParams are query parameter names that carry one-time tokens:
// magic sign-in links, password resets, e-mail confirmations and
// unsubscribe links. Matched case-insensitively, as the whole name or as
// a "_"/"-"-separated part of it (reset_token, confirmation-key).
// OAuth's own parameters (oauthParams) never count, however they are
// named: "code" and "nonce" are in every authorisation request.
var oneTimeParams = []string{
	"token", "key", "otp", "magic", "reset", "verify", "verification", "confirm",
	"confirmation", "unsubscribe", "signature", "ticket", "activation",
	"activate", "invite", "login_token",
}

// oauthParams are OAuth 2.0 and OpenID Connect parameter names (RFC 6749,
// RFC 7636, OIDC Core, RFC 8628), lower case. They are not one-time
// signs: an authorisation request carries a fresh state, nonce or
// code_challenge on every sign-in, and counting them let a consent phish
// asking for mail and contacts through unrendered (issue 16).
var oauthParams = map[string]bool{
	"response_type": true, "client_id": true, "redirect_uri": true, "scope": true, "state": true,
	"nonce": true, "code": true, "code_challenge": true, "code_challenge_method": true,
	"code_verifier": true, "response_mode": true, "prompt": true, "login_hint": true,
	"id_token_hint": true, "max_age": true, "acr_values": true, "claims": true, "request": true,
	"request_uri": true, "access_token": true, "id_token": true, "refresh_token": true,
	"token_type": true, "session_state": true, "device_code": true, "user_code": true,
	"resource": true, "audience": true, "access_type": true, "approval_prompt": true,
	"include_granted_scopes": true, "domain_hint": true, "assertion": true, "client_secret": true,
}

// isOAuthAuthorize reports an identity provider's authorisation (consent)
// request. It is never judged from the URL alone: the consent it asks for
// is the danger, and only the render's rules read it. Recognised are:
//   - a known endpoint (sandbox/rules' table, rules.IsOAuthEndpoint);
//   - any URL with response_type and client_id and a redirect_uri or scope;
//   - an authorisation path (oauthAuthorizePaths: Okta, Auth0, ADFS,
//     PingFederate, IdentityServer, Keycloak...) with a client_id or scope;
//   - a sign-in page carrying one in a parameter (continue=, returnTo=,
//     ...): its query, percent-decoded twice, has client_id= and
//     redirect_uri= or response_type=.
func isOAuthAuthorize(dest string, u *url.URL) bool {
	if rules.IsOAuthEndpoint(dest) {
		return true
	}
	var responseType, clientID, redirectOrScope bool
	for name := range u.Query() {
		switch strings.ToLower(name) {
		case "response_type":
			responseType = true
		case "client_id":
			clientID = true
		case "redirect_uri", "scope":
			redirectOrScope = true
		}
	}
	if responseType && clientID && redirectOrScope {
		return true
	}
	if clientID || redirectOrScope {
		p := u.EscapedPath()
		last := strings.ToLower(p[strings.LastIndexByte(p, '/')+1:])
		if oauthAuthorizePaths[last] {
			return true
		}
	}
	q := u.RawQuery
	for range 2 {
		if d, err := url.QueryUnescape(q); err == nil {
			q = d
		}
	}
	q = strings.ToLower(q)
	return strings.Contains(q, "client_id=") && (strings.Contains(q, "redirect_uri=") || strings.Contains(q, "response_type="))
}

// oauthAuthorizePaths are last path segments of authorisation and consent
// endpoints (/oauth2/v1/authorize, /as/authorization.oauth2, /adminconsent),
// lower case.
var oauthAuthorizePaths = map[string]bool{
	"authorize": true, "authorization": true, "authorization.oauth2": true, "auth": true,
	"adminconsent": true, "consent": true, "oauth20_authorize.srf": true, "devicelogin": true,
}

// oneTimePathWords are path segments of the same kinds of links.
var oneTimePathWords = []string{
	"reset", "verify", "confirm", "unsubscribe", "magic", "activate", "activation", "invite",
	"password-reset", "reset-password", "login-link", "email-confirmation", "opt-out", "optout",
}

// oneTimeTokenContext are path words that, next to a token-like segment,
// make a magic sign-in link (/login/<token>, /auth/<token>). A token-like
// segment alone is not a sign: shared documents and forms have random IDs
// too (docs.google.com/forms/d/e/<id>/viewform).
var oneTimeTokenContext = []string{"login", "signin", "sign-in", "auth", "sso", "link", "l", "t", "token"}

// OneTimeSigns lists what makes u look like a one-time link: parameter
// names, path words and long high-entropy path segments or values. None
// means it does not. It reads only the URL.
func OneTimeSigns(u *url.URL) []string {
	var signs []string
	for name, values := range u.Query() {
		n := strings.ToLower(name)
		if oauthParams[n] {
			continue
		}
		for _, w := range oneTimeParams {
			if n == w || hasPart(n, w) {
				for _, v := range values {
					if len(v) >= 6 {
						signs = append(signs, "parameter "+name)
						break
					}
				}
				break
			}
		}
	}
	context := false
	token := false
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		s := strings.ToLower(seg)
		for _, w := range oneTimePathWords {
			if s == w {
				signs = append(signs, "path /"+seg)
				context = true
			}
		}
		for _, w := range oneTimeTokenContext {
			if s == w {
				context = true
			}
		}
		token = token || highEntropy(seg)
	}
	if token && context {
		signs = append(signs, "token-like path segment")
	}
	return signs
}

// userContentHosts are hosts under trusted domains where anyone can
// publish a page or a form; their links never take the one-time shortcut.
var userContentHosts = map[string]bool{
	"sites.google.com": true, "docs.google.com": true, "drive.google.com": true, "forms.gle": true,
	"script.google.com": true, "storage.googleapis.com": true, "forms.office.com": true,
	"forms.microsoft.com": true, "onedrive.live.com": true, "1drv.ms": true, "github.io": true,
	"gist.github.com": true, "raw.githubusercontent.com": true,
}

func hasPart(name, w string) bool {
	for _, p := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if p == w {
			return true
		}
	}
	return false
}

// highEntropy reports a segment that looks like a random token: at least
// 24 characters of letters, digits and -_.~%, mixing classes, with more
// than 3.5 bits of Shannon entropy per character. Words and dates do not
// qualify; base64, hex and UUID-ish tokens do.
func highEntropy(s string) bool {
	if len(s) < 24 || len(s) > 512 {
		return false
	}
	var lower, upper, digit bool
	counts := map[rune]int{}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune("-_.~%=", r):
		default:
			return false
		}
		counts[r]++
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit} {
		if b {
			classes++
		}
	}
	if classes < 2 {
		return false
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h > 3.5
}

// oneTime judges a one-time link from its URL alone when its domain is
// trusted or has a clean history (OneTimeCleanHistory different URLs
// judged clean in 30 days), so that no render burns the token. A domain
// with any suspicious, malicious or unknown verdict in 30 days is always
// rendered, trusted or not, and so is any plain-http link and any OAuth
// authorisation request. Every shortcut taken is recorded in the domain's
// history (keySkipHist), apart from its clean URLs: it shows, and it never
// makes the domain look cleaner. The residual risk: a domain that served
// only clean pages so far can get one-time links through unrendered;
// TrustedOneTime with a high clean-history threshold limits it.
func (s *Server) oneTime(ctx context.Context, p *pendingClick, u *url.URL, now time.Time) (verdict.Verdict, bool) {
	signs := OneTimeSigns(u)
	if len(signs) == 0 || u.Scheme != "https" || userContentHosts[p.Host] || isOAuthAuthorize(p.Dest, u) {
		return verdict.Verdict{}, false
	}
	clean, skipped, bad := s.store.history(ctx, p.Registrable)
	if bad {
		return verdict.Verdict{}, false // a domain with a bad record is always rendered
	}
	why := ""
	if slices.Contains(s.cfg.Policy.TrustedOneTime, p.Registrable) {
		why = "trusted domain"
	}
	if why == "" && clean >= s.cfg.Policy.OneTimeCleanHistory {
		why = fmt.Sprintf("%d different URLs of %s judged clean", clean, p.Registrable)
	}
	if why == "" {
		return verdict.Verdict{}, false
	}
	if err := s.store.recordSkip(ctx, p.Registrable, p.Digest); err != nil {
		// Unrecorded, it would not show: render instead.
		s.m.redisErrors.Inc()
		return verdict.Verdict{}, false
	}
	return verdict.Verdict{Level: verdict.Clean, URL: p.Dest, JudgedAt: now, Reasons: []verdict.Reason{{
		Code: verdict.CodeOneTimeLink, Level: verdict.Clean,
		Evidence: map[string]string{"signs": strings.Join(signs, ", "), "why": why, "skipped_before": strconv.FormatInt(skipped, 10)},
		JA:       "使い捨てのリンク（パスワード再設定・ログイン用など）のため、開くと無効になるのを防ぐため事前の確認を省きました（" + p.Registrable + "）。",
		EN:       "This looks like a one-time link (password reset, sign-in link...) on " + p.Registrable + ", so Kensa judged it from the address alone instead of opening it and using it up.",
	}}}, true
}
