package rules

import (
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

func TestOAuthPageReasons(t *testing.T) {
	const consent = "https://accounts.google.com/o/oauth2/v2/auth?client_id=123-abc.apps.googleusercontent.com&redirect_uri=https://sns.example/cb&response_type=code&scope=https://www.googleapis.com/auth/contacts.readonly%20https://www.googleapis.com/auth/gmail.send"
	const signIn = "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x.apps.googleusercontent.com&redirect_uri=https://shop.example/cb&response_type=code&scope=openid%20email%20profile"
	msal := capture.Scripts{
		Sources: []string{"https://alcdn.msauth.net/browser/2.38.0/js/msal-browser.min.js"},
		Inline: `var msalConfig = { auth: { clientId: "035da677-152b-4a06-a66d-2a5e749b3c69" } };
var req = { scopes: ["offline_access","contacts.read","user.read","mail.read","Files.ReadWrite.All"] };
function signIn() { app.loginPopup(req); }`,
	}
	type want struct {
		level verdict.Level
		code  verdict.Code
		via   string
	}
	cases := []struct {
		name  string
		r     capture.Report
		chain []string
		p     OAuthPolicy
		want  []want
	}{
		{"friend-request page with a consent link", capture.Report{Links: []capture.Link{{URL: consent, Text: "承認する"}}}, nil, OAuthPolicy{},
			[]want{{verdict.Malicious, verdict.CodeOAuthHighRisk, "link on the page"}}},
		{"sign-in with Google link is not reported", capture.Report{Links: []capture.Link{{URL: signIn}}}, nil, OAuthPolicy{}, nil},
		{"already reached by the chain", capture.Report{Links: []capture.Link{{URL: consent}}}, []string{"https://sns.example/", consent}, OAuthPolicy{}, nil},
		{"allowed app", capture.Report{Links: []capture.Link{{URL: consent}}}, nil,
			OAuthPolicy{AllowedClients: map[string]bool{"google:123-abc.apps.googleusercontent.com": true}}, nil},
		{"MSAL kit in the page script", capture.Report{Scripts: msal}, nil, OAuthPolicy{},
			[]want{{verdict.Malicious, verdict.CodeOAuthHighRisk, "page script"}}},
		{"MSAL for sign-in only", capture.Report{Scripts: capture.Scripts{Sources: msal.Sources, Inline: `const r = {scopes: ["openid", "profile", "User.Read"]};`}}, nil, OAuthPolicy{}, nil},
		{"scope words without an OAuth library", capture.Report{Scripts: capture.Scripts{Inline: `var help = "mail.read contacts.read";`}}, nil, OAuthPolicy{}, nil},
		{"lookalike host link is not a consent request", capture.Report{Links: []capture.Link{{URL: strings.Replace(consent, "accounts.google.com", "accounts.google.com.evil.top", 1)}}}, nil, OAuthPolicy{}, nil},
	}
	for _, c := range cases {
		rs := OAuthPageReasons(&c.r, c.chain, c.p)
		if len(rs) != len(c.want) {
			t.Errorf("%s: %d reasons %+v, want %d", c.name, len(rs), rs, len(c.want))
			continue
		}
		for i, w := range c.want {
			r := rs[i]
			if r.Level != w.level || r.Code != w.code || r.Evidence["via"] != w.via || r.JA == "" || r.EN == "" {
				t.Errorf("%s: %+v, want %+v", c.name, r, w)
			}
		}
	}
	// The script kit's explanation names the app and what it asks for.
	rs := OAuthPageReasons(&capture.Report{Scripts: msal}, nil, OAuthPolicy{})
	if len(rs) == 1 {
		for _, s := range []string{"035da677-152b-4a06-a66d-2a5e749b3c69", "連絡先の読み取り", "メールの読み取り", "このページのボタンは"} {
			if !strings.Contains(rs[0].JA, s) {
				t.Errorf("JA %q lacks %q", rs[0].JA, s)
			}
		}
		if !strings.Contains(rs[0].EN, "read your mail") {
			t.Errorf("EN %q", rs[0].EN)
		}
	}
}
