package rules

import (
	"testing"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Hand-made pages of brands that are NOT on the brand list (a crypto
// exchange, an art community, a Japanese online bank), each judged with
// the built-in list and with an empty one, and their benign twins: the
// rules must read the brand from the page, not from the list.
func TestUnlistedBrands(t *testing.T) {
	pw := []capture.Form{{Method: "POST", Inputs: []capture.Input{{Type: "email", Name: "email", Visible: true}, {Type: "password", Name: "password", Visible: true}}}}
	empty := DefaultBrands().Without(func(Brand) bool { return true })
	if empty.Len() != 0 {
		t.Fatalf("Without(all) left %d brands", empty.Len())
	}
	check := func(name string, r capture.Report, want verdict.Level, wantCode verdict.Code) {
		t.Helper()
		if r.URL == "" {
			r.URL = r.FinalURL
		}
		for _, p := range []Policy{{}, {Brands: empty}} {
			v := Judge(&r, p)
			found := wantCode == ""
			for _, rs := range v.Reasons {
				found = found || rs.Code == wantCode
			}
			if v.Level != want || !found {
				t.Errorf("%s (%d brands): %s, want %s with %q (%+v)", name, p.brands().Len(), v.Level, want, wantCode, v.Reasons)
			}
		}
	}
	// A crypto exchange: name in the title, the host is the name plus lure
	// words on a cheap TLD.
	check("crypto exchange, name plus lure words", capture.Report{FinalURL: "https://coinvault-login-secure.top/signin", Title: "CoinVault | ログイン", Forms: pw},
		verdict.Malicious, verdict.CodeBrandImpersonated)
	check("crypto exchange, name as a subdomain of another domain", capture.Report{FinalURL: "https://coinvault.com.account-verify.online/", Title: "Sign in",
		Headings: []string{"Sign in to CoinVault"}, Forms: pw}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("crypto exchange, look-alike spelling", capture.Report{FinalURL: "https://c0invault.com/login", Title: "Login", SiteName: "CoinVault", Forms: pw},
		verdict.Malicious, verdict.CodeBrandImpersonated)
	// An art community: the name only in the logo's file name.
	check("art community, logo file name", capture.Report{FinalURL: "https://pixelia-accounts.xyz/login", Title: "Log in",
		Images: []capture.Image{{Src: "https://pixelia-accounts.xyz/img/pixelia-logo.svg"}}, Forms: pw}, verdict.Malicious, verdict.CodeBrandImpersonated)
	// A Japanese online bank: Japanese title, English name in the copyright.
	check("online bank, copyright line", capture.Report{FinalURL: "https://midorinet-bank-jp-support.com/ib/login", Title: "ログイン｜みどりネット銀行",
		Copyright: "Copyright © Midori Net Bank, Ltd. All Rights Reserved.", Forms: pw}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("online bank, Japanese name in an IDN host", capture.Report{FinalURL: "https://xn--eckwd4c7c5976acvb2w6i.com/", Title: "みどりネット銀行 ログイン", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm) // ヤマト運輸-like IDN of the bare name: its own, plausibly
	check("online bank, Japanese name plus a lure in an IDN host", capture.Report{FinalURL: "https://みどりネット銀行-ログイン.com/", Title: "みどりネット銀行", Forms: pw},
		verdict.Malicious, verdict.CodeBrandImpersonated)
	check("an icon taken from the brand's own site", capture.Report{FinalURL: "https://coinvault-recovery.icu/login", Title: "Sign in",
		Icons: []string{"https://www.coinvault.com/favicon.ico"}, Forms: pw}, verdict.Malicious, verdict.CodeBrandImpersonated)
	check("a two-letter brand as an acronym", capture.Report{FinalURL: "https://qv-account-unlock.live/", Title: "Log in | QV", Forms: pw},
		verdict.Malicious, verdict.CodeBrandImpersonated)
	// No form yet: a claimed name in a borrowed host is one sign; with an
	// APK link it is a download lure.
	check("unlisted brand and an APK link", capture.Report{FinalURL: "https://coinvault-app-update.top/", Title: "CoinVault アプリ",
		Links: []capture.Link{{URL: "https://coinvault-app-update.top/coinvault.apk", Text: "ダウンロード"}}}, verdict.Malicious, verdict.CodeCombinedSignals)
	check("unlisted brand in a borrowed host, nothing asked", capture.Report{FinalURL: "https://coinvault-support.com/", Title: "CoinVault お知らせ"},
		verdict.Suspicious, verdict.CodeBrandImpersonated)
	check("unlisted brand before another domain on a cheap TLD", capture.Report{FinalURL: "https://coinvault.com.account-verify.top/", Title: "CoinVault お知らせ"},
		verdict.Malicious, verdict.CodeCombinedSignals)
	check("unlisted brand in a borrowed host on a cheap TLD", capture.Report{FinalURL: "https://coinvault-support.top/", Title: "CoinVault お知らせ"},
		verdict.Malicious, verdict.CodeCombinedSignals)

	// Benign twins: the brands' own sites, under any suffix.
	check("crypto exchange's own sign-in", capture.Report{FinalURL: "https://www.coinvault.com/signin", Title: "CoinVault | ログイン",
		Headings: []string{"Sign in to CoinVault"}, Copyright: "© 2026 CoinVault, Inc.", Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
	check("crypto exchange's own Japanese site", capture.Report{FinalURL: "https://login.coinvault.jp/", Title: "CoinVault", Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
	check("art community's own login", capture.Report{FinalURL: "https://accounts.pixelia.net/login", Title: "Log in · Pixelia",
		Images: []capture.Image{{Src: "https://accounts.pixelia.net/img/pixelia-logo.svg", Alt: "Pixelia"}}, Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
	check("online bank's own login", capture.Report{FinalURL: "https://www.midorinet-bank.co.jp/ib/login", Title: "ログイン｜みどりネット銀行",
		Copyright: "Copyright © Midori Net Bank, Ltd.", Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
	check("a company named after its support domain", capture.Report{FinalURL: "https://www.cloud-support.co.jp/login", Title: "Cloud Support ログイン", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("a customer's tenant on a help-desk platform", capture.Report{FinalURL: "https://coinvault-support.zendesk.com/access/login", Title: "CoinVault Support - Sign in", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("a shop's sign-in with SSO buttons' logo files", capture.Report{FinalURL: "https://www.sample-shop.example/login", Title: "Sign in",
		Images: []capture.Image{{Src: "https://www.sample-shop.example/img/google-logo.svg"}, {Src: "https://www.sample-shop.example/img/apple-logo.svg"}}, Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("a company's product subdomain with login in it", capture.Report{FinalURL: "https://payroll.login.sample-corp.co.jp/", Title: "Payroll | HR", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("an acronym-named subdomain of a company", capture.Report{FinalURL: "https://hr-portal-login.sample-corp.co.jp/", Title: "HR Portal", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("a two-letter word is no acronym", capture.Report{FinalURL: "https://go-login.example.com/", Title: "Log in to go on", Forms: pw},
		verdict.Clean, verdict.CodeCredentialForm)
	check("an icon from a CDN names no brand in the host", capture.Report{FinalURL: "https://www.sample-shop.example/login", Title: "Sign in",
		Icons: []string{"https://cdn.jsdelivr.net/gh/x/favicon.ico"}, Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
	check("a project's sign-in demo on free hosting", capture.Report{FinalURL: "https://someproject.github.io/demo/login.html", Title: "SomeProject - Login", Forms: pw},
		verdict.Clean, verdict.CodeFreeHosting)
	check("a download site linking its installer", capture.Report{FinalURL: "https://www.7-zip.org/download.html", Title: "Download",
		Links: []capture.Link{{URL: "https://www.7-zip.org/a/7z2408-x64.exe", Text: "Download"}}}, verdict.Clean, verdict.CodeDownloadLink)
	check("a sign-in page linking a site whose name ends in .com", capture.Report{FinalURL: "https://getbootstrap.example/signin", Title: "Sign in",
		Links: []capture.Link{{URL: "https://caniuse.com/#feat=css-placeholder-shown"}, {URL: "https://example.com"}, {URL: "https://docs.example/app.js"}}, Forms: pw}, verdict.Clean, verdict.CodeCredentialForm)
}

// Listed brands that matter in Japan, on their real domains (benign twins)
// and in kits (phishing).
func TestJapaneseServices(t *testing.T) {
	pw := []capture.Form{{Method: "POST", Inputs: []capture.Input{{Type: "text", Name: "id", Visible: true}, {Type: "password", Name: "pass", Visible: true}}}}
	check := func(name string, r capture.Report, want verdict.Level) {
		t.Helper()
		r.URL = r.FinalURL
		if v := Judge(&r, Policy{}); v.Level != want {
			t.Errorf("%s: %s, want %s (%+v)", name, v.Level, want, v.Reasons)
		}
	}
	// Benign: a bank's own login, rental servers' real control panels, a
	// registrar, a real OAuth sign-in.
	check("bank's own login", capture.Report{FinalURL: "https://web.ib.mizuhobank.co.jp/servlet/LOGBNK0000000B.do", Title: "みずほダイレクト ログイン", Forms: pw}, verdict.Clean)
	check("XServer's control panel", capture.Report{FinalURL: "https://secure.xserver.ne.jp/xapanel/login/xserver/", Title: "ログイン | Xserverアカウント", Forms: pw}, verdict.Clean)
	check("Sakura's control panel", capture.Report{FinalURL: "https://secure.sakura.ad.jp/rs/cp/", Title: "さくらのレンタルサーバ コントロールパネル ログイン", Forms: pw}, verdict.Clean)
	check("Lolipop's user page", capture.Report{FinalURL: "https://user.lolipop.jp/", Title: "ロリポップ！レンタルサーバー ユーザー専用ページ", Forms: pw}, verdict.Clean)
	check("ConoHa's control panel", capture.Report{FinalURL: "https://manage.conoha.jp/Login", Title: "ConoHa ログイン", Forms: pw}, verdict.Clean)
	check("お名前.com Navi", capture.Report{FinalURL: "https://navi.onamae.com/login", Title: "お名前.com Navi ログイン", Forms: pw}, verdict.Clean)
	check("Google's own sign-in", capture.Report{FinalURL: "https://accounts.google.com/v3/signin/challenge/pwd", Title: "ログイン - Google アカウント", Forms: pw}, verdict.Clean)
	check("a blog's own WordPress login", capture.Report{FinalURL: "https://blog.sample-shop.example/wp-login.php", Title: "ログイン ‹ サンプル店ブログ — WordPress", Forms: pw}, verdict.Clean)
	check("a company's own GitLab", capture.Report{FinalURL: "https://gitlab.sample-corp.example/users/sign_in", Title: "Sign in · GitLab", Forms: pw}, verdict.Clean)
	check("a WordPress kit on a lookalike host", capture.Report{FinalURL: "https://wordpress-signin2.web.app/", Title: "Log In — WordPress", Forms: pw}, verdict.Malicious)
	check("GitHub's own sign-in", capture.Report{FinalURL: "https://github.com/login", Title: "Sign in to GitHub · GitHub", Forms: pw}, verdict.Clean)
	// Phishing: the rental-server "account alert" whose form posts
	// elsewhere is malicious at once, by combining signs even without a
	// brand name.
	check("server account alert posting elsewhere", capture.Report{FinalURL: "https://server-panel-notice.example.org/", Title: "サーバーアカウント停止のお知らせ",
		Text: "お客様のアカウントが停止されました。ログインして情報を更新してください。", Forms: []capture.Form{{Method: "POST", Action: "https://collect.example.net/p.php", Inputs: pw[0].Inputs}}}, verdict.Malicious)
	check("XServer kit", capture.Report{FinalURL: "https://xserver-account-verify.top/", Title: "ログイン | Xserverアカウント", Forms: pw}, verdict.Malicious)
	check("お名前.com kit", capture.Report{FinalURL: "https://onamae-renew.example.top/", Title: "お名前.com Navi ログイン", Forms: pw}, verdict.Malicious)
	// A delivery company's lookalike with unknown-sources text and an
	// APK link: malicious by combination (each alone is suspicious).
	check("delivery lookalike with an APK lure", capture.Report{FinalURL: "https://kuroneko-delivery.top/", Title: "不在通知",
		Text:  "アプリをインストールするには「提供元不明のアプリ」を許可してください。",
		Links: []capture.Link{{URL: "https://kuroneko-delivery.top/yamato.apk"}}}, verdict.Malicious)
	check("unknown sources and an APK link, no brand", capture.Report{FinalURL: "https://parcel-app.example.net/",
		Text: "設定から提供元不明のアプリを許可してください。", Links: []capture.Link{{URL: "https://parcel-app.example.net/app.apk"}}}, verdict.Malicious)
	check("unknown sources text alone", capture.Report{FinalURL: "https://howto.example.net/",
		Text: "設定で「提供元不明のアプリ」を許可する方法"}, verdict.Suspicious)
	check("a lookalike alone, even with a lure word on a cheap TLD", capture.Report{FinalURL: "https://kuroneko-delivery.top/", Title: "Parked"}, verdict.Suspicious)
	check("a lookalike whose page names the brand", capture.Report{FinalURL: "https://kuroneko-delivery.top/", Title: "クロネコヤマト 再配達受付"}, verdict.Malicious)
	check("a lookalike of a brand the page does not name", capture.Report{FinalURL: "https://kuroneko-delivery.com/", Title: "Pet supplies"}, verdict.Suspicious)
}

// The score: one weak sign stays clean or suspicious; independent signs
// add up; signs of one family count once.
func TestScore(t *testing.T) {
	r := func(c verdict.Code, l verdict.Level) verdict.Reason { return verdict.Reason{Code: c, Level: l} }
	check := func(name string, want verdict.Level, rs ...verdict.Reason) {
		t.Helper()
		got, combined := combine(rs)
		if got != want {
			n, fams := score(rs)
			t.Errorf("%s: %s (score %d %v), want %s", name, got, n, fams, want)
		}
		if combined != nil && (combined.JA == "" || combined.EN == "" || combined.Level != got) {
			t.Errorf("%s: combined reason %+v", name, combined)
		}
	}
	check("nothing", verdict.Clean)
	check("a form alone", verdict.Clean, r(verdict.CodeCredentialForm, verdict.Clean))
	check("form on free hosting", verdict.Clean, r(verdict.CodeCredentialForm, verdict.Clean), r(verdict.CodeFreeHosting, verdict.Clean))
	check("form under a lure domain", verdict.Clean, r(verdict.CodeCredentialForm, verdict.Clean), r(verdict.CodeLureDomain, verdict.Clean))
	check("form posting elsewhere", verdict.Suspicious, r(verdict.CodeCredentialForm, verdict.Clean), r(verdict.CodeFormPostsElsewhere, verdict.Suspicious))
	check("form, elsewhere, alert text", verdict.Malicious, r(verdict.CodeCredentialForm, verdict.Clean), r(verdict.CodeFormPostsElsewhere, verdict.Suspicious), r(verdict.CodeCredentialPretext, verdict.Suspicious))
	check("lookalike and brand claim are one family", verdict.Suspicious, r(verdict.CodeLookalikeDomain, verdict.Suspicious), r(verdict.CodeBrandImpersonated, verdict.Suspicious))
	check("host signs are capped", verdict.Suspicious, r(verdict.CodeFreeHosting, verdict.Clean), r(verdict.CodeRiskyTLD, verdict.Suspicious), r(verdict.CodeLureDomain, verdict.Clean), r(verdict.CodeCredentialForm, verdict.Clean))
	check("lookalike and a download link", verdict.Malicious, r(verdict.CodeLookalikeDomain, verdict.Suspicious), r(verdict.CodeDownloadLink, verdict.Clean))
	check("a strong sign alone", verdict.Malicious, r(verdict.CodeDownload, verdict.Malicious))
	check("unknown result stays unknown", verdict.Unknown, r(verdict.CodeRenderFailed, verdict.Unknown))
}

// FuzzClaim: any title, heading, copyright and host, never a panic; every
// name is valid UTF-8 and no stop word; the verdict is one of the levels.
func FuzzClaim(f *testing.F) {
	f.Add("CoinVault | ログイン", "© 2026 CoinVault K.K.", "coinvault-login-secure.top", "https://www.coinvault.com/favicon.ico")
	f.Add("Log In — WordPress", "", "wordpress-signin2.web.app", "")
	f.Add("ログイン｜みどりネット銀行", "Copyright © Midori Net Bank", "xn--eckwd4c7c5976acvb2w6i.com", "data:,x")
	f.Add("\xff\xfe|||", "©©©", "..", "http://[::1]/favicon.ico")
	f.Fuzz(func(t *testing.T, title, copyright, host, icon string) {
		r := &capture.Report{URL: "https://" + host + "/", FinalURL: "https://" + host + "/login", Title: title, Copyright: copyright,
			Headings: []string{title}, Icons: []string{icon}, Images: []capture.Image{{Src: icon, Alt: title}},
			Forms: []capture.Form{{Inputs: []capture.Input{{Type: "password", Visible: true}}}}}
		for _, n := range claimOf(r, nil).names {
			if !utf8.ValidString(n.key) || claimStopWord(n.key) || n.key == "" {
				t.Fatalf("claim name %q from %q", n.key, title)
			}
		}
		if v := Judge(r, Policy{}); !v.Level.Valid() {
			t.Fatalf("level %q", v.Level)
		}
		r.Forms = nil
		Judge(r, Policy{})
	})
}
