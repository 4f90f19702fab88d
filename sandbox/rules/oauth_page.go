package rules

import (
	"regexp"
	"strings"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// OAuthPageReasons finds consent requests that the page sets up but the
// render does not reach, because a person has to press a button first:
//
//   - a link on the page to an authorisation endpoint (the SNS "friend
//     request" page whose Accept button is a consent link);
//   - a consent request scripted with Microsoft's MSAL or Google's sign-in
//     libraries, read from the page's inline scripts (consent-phishing
//     kits such as o365-attack-toolkit call loginPopup with mail, contacts
//     and files scopes from a plain "Sign in" button).
//
// Requests already reached by the chain are skipped (OAuthReasons reports
// them). Each request is judged by the same policy as a navigation to it
// (oauthReason): a page whose button asks an unknown app for mail,
// contacts or files is malicious, as the link to the consent screen would
// be. Requests that policy finds clean (low risk, allowed apps) are not
// reported: "Sign in with Google" buttons are everywhere.
func OAuthPageReasons(r *capture.Report, chain []string, p OAuthPolicy) []verdict.Reason {
	seen := map[string]bool{}
	for _, hop := range chain {
		if req, ok := ParseOAuth(hop); ok {
			seen[oauthRequestKey(req)] = true
		} else if req, ok := oauthNested(hop, 0); ok {
			seen[oauthRequestKey(req)] = true
		}
	}
	var out []verdict.Reason
	add := func(req OAuthRequest, via string, subj oauthSubject) {
		key := oauthRequestKey(req)
		if seen[key] {
			return
		}
		seen[key] = true
		reason := oauthReason(req, p, 0, via, subj)
		if reason.Level == verdict.Clean {
			return
		}
		delete(reason.Evidence, "hop")
		out = append(out, reason)
	}
	for _, l := range r.Links {
		if req, ok := ParseOAuth(l.URL); ok {
			add(req, "link on the page", oauthSubjectLink)
		} else if req, ok := oauthNested(l.URL, 0); ok {
			add(req, "link on the page", oauthSubjectLink)
		}
	}
	if req, ok := oauthFromScript(r.Scripts); ok {
		add(req, "page script", oauthSubjectScript)
	}
	return out
}

// oauthScriptLibraries recognise the client libraries a page loads (by
// script URL) or calls (in inline script), and the provider family whose
// scope table applies.
var oauthScriptLibraries = []struct{ marker, provider string }{
	{"msal", oauthMSv2}, // msal.js, msal-browser.min.js, @azure/msal-browser
	{"alcdn.msauth.net", oauthMSv2},
	{"aadcdn.msftauth.net", oauthMSv2},
	{"aadcdn.microsoftonline-p.com", oauthMSv2},
	{"useragentapplication", oauthMSv2},
	{"publicclientapplication", oauthMSv2},
	{"acquiretokenpopup", oauthMSv2},
	{"acquiretokenredirect", oauthMSv2},
	{"accounts.google.com/gsi/client", oauthGoogle},
	{"apis.google.com/js/api", oauthGoogle},
	{"apis.google.com/js/platform", oauthGoogle},
	{"google.accounts.oauth2", oauthGoogle},
	{"gapi.auth2", oauthGoogle},
	{"inittokenclient", oauthGoogle},
	{"initcodeclient", oauthGoogle},
}

var (
	// oauthScriptString matches a short JavaScript string literal.
	oauthScriptString = regexp.MustCompile("[\"'`]([^\"'`\\n\\\\]{1,300})[\"'`]")
	// oauthScriptClientID matches clientId: "…", client_id = '…' and the like.
	oauthScriptClientID = regexp.MustCompile(`(?i)client_?id["']?\s*[:=]\s*["']([^"'\s]{1,200})["']`)
)

// oauthFromScript reads a consent request set up in the page's scripts: the
// library's provider, the client ID and every string literal that is a
// scope in that provider's table. It needs a library and at least one
// scope the table knows.
func oauthFromScript(s capture.Scripts) (OAuthRequest, bool) {
	hay := strings.ToLower(s.Inline + "\n" + strings.Join(s.Sources, "\n"))
	provider := ""
	for _, l := range oauthScriptLibraries {
		if strings.Contains(hay, l.marker) {
			provider = l.provider
			break
		}
	}
	if provider == "" || s.Inline == "" {
		return OAuthRequest{}, false
	}
	family := oauthFamily(provider)
	req := OAuthRequest{Provider: provider, Endpoint: "(page script)"}
	if m := oauthScriptClientID.FindStringSubmatch(s.Inline); m != nil {
		req.ClientID = m[1]
	}
	seen := map[string]bool{}
	for _, m := range oauthScriptString.FindAllStringSubmatch(s.Inline, 2000) {
		for _, tok := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ' ' || r == ',' }) {
			if len(tok) < 4 || seen[strings.ToLower(tok)] {
				continue
			}
			rule, ok := oauthLookupScope(family, tok)
			if !ok || rule.risk == ScopeRiskLow && !strings.EqualFold(tok, "offline_access") {
				// Low-risk words (email, profile) are common strings.
				continue
			}
			seen[strings.ToLower(tok)] = true
			req.Scopes = append(req.Scopes, tok)
			if strings.EqualFold(tok, "offline_access") {
				req.Offline = true
			}
		}
	}
	if len(req.Scopes) == 0 || len(req.Scopes) == 1 && req.Offline {
		return OAuthRequest{}, false
	}
	return req, true
}
