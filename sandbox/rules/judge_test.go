package rules

import (
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

func TestJudge(t *testing.T) {
	pw := []capture.Form{{Inputs: []capture.Input{{Type: "password", Visible: true}}}}
	check := func(name string, r capture.Report, want verdict.Level, wantCodes ...verdict.Code) {
		t.Helper()
		v := Judge(&r, Policy{OwnDomains: []string{"kensa-corp.co.jp"}})
		if v.Level != want {
			t.Errorf("%s: %s, want %s (%+v)", name, v.Level, want, v.Reasons)
		}
		for _, c := range wantCodes {
			found := false
			for _, rs := range v.Reasons {
				found = found || rs.Code == c
			}
			if !found {
				t.Errorf("%s: no %s reason in %+v", name, c, v.Reasons)
			}
		}
	}
	check("clean page", capture.Report{URL: "https://www.example.org/", FinalURL: "https://www.example.org/", Title: "Example"}, verdict.Clean)
	check("failed render is never clean", capture.Report{URL: "https://www.example.org/", Err: "timeout after 10s"}, verdict.Unknown, verdict.CodeRenderFailed)
	check("failed render that already saw a download", capture.Report{URL: "https://x.example.top/a", Err: "timeout", Downloads: []capture.Download{{FileName: "yamato.apk"}}}, verdict.Malicious, verdict.CodeDownload, verdict.CodeRenderFailed)
	check("credential phish", capture.Report{URL: "https://bit.example/x", FinalURL: "https://secure.example.top/login", Title: "PayPal - Log In", Forms: pw}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("OAuth hop in the chain", capture.Report{
		URL:      "https://friend-request.example/invite",
		Chain:    []capture.Hop{{URL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&redirect_uri=https%3A%2F%2Ffriend-request.example%2Fcb&scope=openid%20offline_access%20Mail.Read%20Mail.Send%20Contacts.Read&prompt=consent", Kind: "http-redirect", Status: 302}},
		FinalURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555",
	}, verdict.Malicious, verdict.CodeOAuthHighRisk)
	check("lookalike of the organisation", capture.Report{URL: "https://kensa-corp-co-jp.example.top/", FinalURL: "https://kensa-corp-co-jp.example.top/"}, verdict.Suspicious, verdict.CodeLookalikeDomain)
	check("certificate error", capture.Report{URL: "https://www.example.org/", FinalURL: "https://www.example.org/", CertError: "net::ERR_CERT_AUTHORITY_INVALID"}, verdict.Suspicious, verdict.CodeCertificateError)
}
