package rules

import (
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

func TestCredentialReasons(t *testing.T) {
	pw := capture.Form{Action: "", Inputs: []capture.Input{{Type: "text", Name: "user", Visible: true}, {Type: "password", Name: "pass", Visible: true}}}
	check := func(name string, r capture.Report, want verdict.Level, wantCode verdict.Code) {
		t.Helper()
		rs := CredentialReasons(&r, []string{"example.co.jp"})
		got := verdict.FromReasons(rs)
		code := strongestCode(rs, wantCode)
		if got != want || code != wantCode {
			t.Errorf("%s: %s %s (%+v), want %s %s", name, got, code, rs, want, wantCode)
		}
	}
	withAction := func(f capture.Form, a string) capture.Form { f.Action = a; return f }
	check("brand in title, wrong domain", capture.Report{FinalURL: "https://secure-login.example.top/", Title: "Amazon.co.jp ログイン", Forms: []capture.Form{pw}}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("brand in logo alt", capture.Report{FinalURL: "https://a.example.top/", Title: "ログイン", Images: []capture.Image{{Alt: "楽天"}}, Forms: []capture.Form{pw}}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("brand's own domain", capture.Report{FinalURL: "https://www.amazon.co.jp/ap/signin", Title: "Amazon.co.jp ログイン", Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeCredentialForm)
	check("lookalike host, no brand text", capture.Report{FinalURL: "https://amazon-co-jp.account-verify.example.top/", Title: "Sign in", Forms: []capture.Form{pw}}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("own domain lookalike", capture.Report{FinalURL: "https://example-co-jp.example.top/", Title: "社内ポータル", Forms: []capture.Form{pw}}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("brand only in body text", capture.Report{FinalURL: "https://auth.company.example/", Title: "Sign In", Text: "Sign in with Google", Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeCredentialForm)
	check("posts elsewhere", capture.Report{FinalURL: "https://shop.sample-store.org/login", Title: "Login", Forms: []capture.Form{withAction(pw, "https://collector.example.net/p.php")}}, verdict.Suspicious, verdict.CodeFormPostsElsewhere)
	// Free hosting alone is clean-level evidence (projects publish their
	// own sign-in demos there); Judge adds it to other signs.
	check("free hosting", capture.Report{FinalURL: "https://someone.github.io/login", Title: "Login", Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeFreeHosting)
	check("card number in Japanese label", capture.Report{FinalURL: "https://pay.example.top/", Title: "三井住友カード 本人確認", Forms: []capture.Form{{Inputs: []capture.Input{{Type: "tel", Label: "カード番号", Visible: true}}}}}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("hidden password field only", capture.Report{FinalURL: "https://x.example.top/", Title: "PayPal", Forms: []capture.Form{{Inputs: []capture.Input{{Type: "password", Visible: false}}}}}, verdict.Clean, "")
	check("Google Forms asking for a password", capture.Report{FinalURL: "https://docs.google.com/forms/d/e/x/viewform", Title: "Microsoft 365 アカウント確認", Forms: []capture.Form{pw}}, verdict.Suspicious, verdict.CodeFreeHosting)
	check("a brand's site naming another brand", capture.Report{FinalURL: "https://www.instagram.com/accounts/login/", Title: "Instagram", Text: "Log in with Facebook", Images: []capture.Image{{Alt: "Facebook"}}, Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeCredentialForm)
	check("no forms", capture.Report{FinalURL: "https://x.example.top/", Title: "PayPal"}, verdict.Clean, "")
	check("Wi-Fi modal pretext", capture.Report{FinalURL: "https://free-wifi-portal.net/", Title: "Authentication Required", Text: "The network HomeNet requires a WPA2 password.", Forms: []capture.Form{pw}}, verdict.Suspicious, verdict.CodeCredentialPretext)
	check("account alarm in Japanese", capture.Report{FinalURL: "https://portal.sample-store.org/", Title: "お知らせ", Text: "不正アクセスを検知したため、アカウントの利用を制限しました。", Forms: []capture.Form{pw}}, verdict.Suspicious, verdict.CodeCredentialPretext)
	check("risky TLD", capture.Report{FinalURL: "https://router-config-update.online/login.html", Title: "", Text: "Please login again.", Forms: []capture.Form{pw}}, verdict.Suspicious, verdict.CodeRiskyTLD)
	check("risky TLD is about the TLD, not a label", capture.Report{FinalURL: "https://top.sample-store.org/login", Title: "Login", Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeCredentialForm)
	check("ordinary sign-in text", capture.Report{FinalURL: "https://adminlte.io/login", Title: "Log in", Text: "Sign in to start your session", Forms: []capture.Form{pw}}, verdict.Clean, verdict.CodeCredentialForm)
	check("payment choice naming a brand", capture.Report{FinalURL: "https://shop.sample-store.org/checkout", Title: "Checkout", Forms: []capture.Form{{Inputs: []capture.Input{
		{Type: "radio", Label: "Credit card", Visible: true}, {Type: "radio", Label: "PayPal", Visible: true}, {Type: "text", Label: "Credit card number", Autocomplete: "cc-number", Visible: true}}}}}, verdict.Clean, verdict.CodeCredentialForm)
	check("risky TLD without a credential form", capture.Report{FinalURL: "https://news.example.xyz/", Title: "News"}, verdict.Clean, "")
}

// strongestCode is want when a reason has that code, else the code of the
// first reason ("" for none).
func strongestCode(rs []verdict.Reason, want verdict.Code) verdict.Code {
	for _, r := range rs {
		if r.Code == want {
			return want
		}
	}
	if len(rs) > 0 {
		return rs[0].Code
	}
	return ""
}

// TestMaskedTextField: a text input drawn with dots
// (-webkit-text-security, capture.Input.Masked) is a password field,
// whatever it is called. Like any password field it is judged by where it
// is: a masked field on an ordinary site is clean-level evidence (a PIN
// pad or a banking site's own field), not a finding; on a lookalike host
// it is malicious; hidden, it counts for nothing.
func TestMaskedTextField(t *testing.T) {
	masked := capture.Input{Type: "text", Name: "k2", Placeholder: "●●●●●●●●", Masked: true, Visible: true}
	email := capture.Input{Type: "email", Name: "email", Visible: true}
	check := func(name string, r capture.Report, want verdict.Level, wantCode verdict.Code, wantField string) {
		t.Helper()
		rs := CredentialReasons(&r, []string{"example.co.jp"})
		var code verdict.Code
		var field string
		for _, r := range rs {
			if code == "" || r.Code == wantCode {
				code, field = r.Code, r.Evidence["field"]
			}
		}
		if got := verdict.FromReasons(rs); got != want || code != wantCode || field != wantField {
			t.Errorf("%s: %s %s field %q (%+v), want %s %s field %q", name, got, code, field, rs, want, wantCode, wantField)
		}
	}
	form := func(ins ...capture.Input) []capture.Form { return []capture.Form{{Method: "POST", Inputs: ins}} }
	hidden := masked
	hidden.Visible = false
	unmasked := masked
	unmasked.Masked = false
	check("masked field on a lookalike host", capture.Report{FinalURL: "https://secure-amazon-co-jp.example.top/", Title: "サインイン", Forms: form(email, masked)}, verdict.Malicious, verdict.CodeBrandImpersonated, "masked text field")
	check("masked field, brand in the title", capture.Report{FinalURL: "https://a.example.top/", Title: "楽天会員ログイン", Forms: form(email, masked)}, verdict.Malicious, verdict.CodeBrandImpersonated, "masked text field")
	check("masked field posting elsewhere", capture.Report{FinalURL: "https://shop.sample-store.org/", Title: "Login", Forms: []capture.Form{{Action: "https://collector.example.net/p", Inputs: []capture.Input{masked}}}}, verdict.Suspicious, verdict.CodeFormPostsElsewhere, "masked text field")
	// The benign twins.
	check("masked field on an ordinary site", capture.Report{FinalURL: "https://www.sample-bank.org/pin", Title: "暗証番号の確認", Forms: form(masked)}, verdict.Clean, verdict.CodeCredentialForm, "masked text field")
	check("hidden masked field", capture.Report{FinalURL: "https://secure-amazon-co-jp.example.top/", Title: "サインイン", Forms: form(email, hidden)}, verdict.Clean, "", "")
	check("same field not masked", capture.Report{FinalURL: "https://secure-amazon-co-jp.example.top/", Title: "サインイン", Forms: form(email, unmasked)}, verdict.Clean, "", "")
}
