package rules

import (
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// cloakPage is a hand-made render for the cloaking tests.
type cloakPage struct {
	final, title, text string
	status             int
	inputs             []capture.Input
	downloads          int
	alts               []string
	err                string
}

func (p cloakPage) report() *capture.Report {
	r := &capture.Report{URL: "https://sms-link.example.top/x", FinalURL: p.final, Title: p.title, Text: p.text, Status: p.status, Err: p.err}
	if r.FinalURL == "" {
		r.FinalURL = r.URL
	}
	if r.Status == 0 && r.Err == "" {
		r.Status = 200
	}
	if len(p.inputs) > 0 {
		r.Forms = []capture.Form{{Action: r.FinalURL, Method: "post", Inputs: p.inputs}}
	}
	for i := 0; i < p.downloads; i++ {
		r.Downloads = append(r.Downloads, capture.Download{URL: r.FinalURL + "app.apk", FileName: "app.apk"})
	}
	for _, a := range p.alts {
		r.Images = append(r.Images, capture.Image{Src: "/logo.png", Alt: a})
	}
	return r
}

var (
	cloakPW      = capture.Input{Type: "password", Name: "pw", Visible: true}
	cloakUser    = capture.Input{Type: "text", Name: "id", Visible: true}
	cloakEmail   = capture.Input{Type: "email", Name: "mail", Visible: true}
	cloakCard    = capture.Input{Type: "text", Name: "cardno", Autocomplete: "cc-number", Visible: true}
	cloakSearch  = capture.Input{Type: "search", Name: "q", Visible: true}
	cloakArticle = strings.Repeat("今日のニュースです。新しいお店が駅前に開店しました。", 5)
	cloakLogin   = cloakPage{title: "楽天カード ログイン", text: "ユーザIDとパスワードを入力してください。" + cloakArticle, inputs: []capture.Input{cloakUser, cloakPW}, alts: []string{"楽天カード"}}
)

func TestCloaking(t *testing.T) {
	for _, tc := range []struct {
		name        string
		first, next cloakPage
		want        string // a part of the difference; "" for none
	}{
		// Kits.
		{"404 to desktop, login to phones", cloakPage{title: "404 Not Found", text: "Not Found", status: 404}, cloakLogin, "HTTP 404 / a page"},
		{"403 to desktop", cloakPage{title: "403 Forbidden", status: 403}, cloakLogin, "HTTP 403"},
		{"fake 404 with status 200", cloakPage{title: "ページが見つかりません", text: "お探しのページは見つかりませんでした。URLをご確認ください。"}, cloakLogin, "error page"},
		{"blank to desktop", cloakPage{title: "", text: ""}, cloakLogin, "credential form no / yes"},
		{"blank to desktop, APK to Android", cloakPage{title: "ヤマト運輸", text: ""}, cloakPage{title: "ヤマト運輸", text: "アプリをインストールしてください", downloads: 1}, "download"},
		{"harmless page to desktop, APK to Android", cloakPage{title: "ヤマト運輸", text: cloakArticle}, cloakPage{title: "ヤマト運輸", text: cloakArticle, downloads: 1}, "download no / yes"},
		{"harmless page to desktop, login to iPhone", cloakPage{title: "お知らせ", text: cloakArticle}, cloakPage{title: "Apple ID", text: "Apple IDでサインイン" + cloakArticle, inputs: []capture.Input{cloakEmail, cloakPW}, alts: []string{"Apple"}}, "credential form no / yes"},
		{"card form only for phones", cloakPage{title: "お支払い情報", text: cloakArticle, inputs: []capture.Input{cloakUser}}, cloakPage{title: "お支払い情報", text: cloakArticle, inputs: []capture.Input{cloakUser, cloakCard}}, "form field card"},
		{"another site for phones", cloakPage{text: cloakArticle, title: "お知らせ"}, cloakPage{final: "https://docomo-support.example-verify.top/", title: "お知らせ", text: cloakArticle}, "final site"},
		{"another brand for phones", cloakPage{title: "お知らせ", text: cloakArticle}, cloakPage{title: "Amazon お知らせ", text: cloakArticle, alts: []string{"amazon"}}, "brand none / Amazon"},
		{"render failed, then a login (a slow sandbox, not cloaking)", cloakPage{err: "timed out"}, cloakLogin, ""},

		// Benign twins.
		{"a mobile layout of the same page", cloakLogin, cloakPage{title: "楽天カード ログイン", text: "ユーザIDとパスワード", inputs: []capture.Input{cloakUser, cloakPW}, alts: []string{"楽天カード"}}, ""},
		{"m. site of the same domain", cloakPage{final: "https://www.example-news.co.jp/", title: "Example News", text: cloakArticle}, cloakPage{final: "https://m.example-news.co.jp/", title: "Example News (mobile)", text: "short"}, ""},
		{"both 404", cloakPage{title: "404 Not Found", status: 404}, cloakPage{title: "Not Found", status: 404}, ""},
		{"the other render failed", cloakPage{title: "404 Not Found", status: 404}, cloakPage{err: "timed out"}, ""},
		{"the first render failed, the other a plain page", cloakPage{err: "timed out"}, cloakPage{title: "Example", text: cloakArticle}, ""},
		{"search box only on desktop", cloakPage{title: "ショップ", text: cloakArticle, inputs: []capture.Input{cloakSearch}}, cloakPage{title: "ショップ", text: cloakArticle}, ""},
		{"responsive page, text only at a phone's width", cloakPage{title: "Example Gallery", text: "Gallery"}, cloakPage{title: "Example Gallery", text: cloakArticle}, ""},
		{"shorter title on phones", cloakPage{title: "Example Shop | 春のセール", text: cloakArticle}, cloakPage{title: "Example Shop", text: cloakArticle}, ""},
	} {
		got := Cloaking(tc.first.report(), tc.next.report())
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLooksEmpty(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    cloakPage
		want bool
	}{
		{"failed", cloakPage{err: "timed out"}, true},
		{"404", cloakPage{title: "Example", text: cloakArticle, status: 404}, true},
		{"403", cloakPage{title: "Forbidden", status: 403}, true},
		{"error title", cloakPage{title: "エラー", text: cloakArticle}, true},
		{"blank", cloakPage{title: "Welcome", text: "Loading..."}, true},
		{"short with a login form", cloakPage{title: "Sign in", text: "Sign in", inputs: []capture.Input{cloakUser, cloakPW}}, false},
		{"short with a download", cloakPage{title: "App", text: "", downloads: 1}, false},
		{"an cloakArticle", cloakPage{title: "ニュース", text: cloakArticle}, false},
		{"a login page", cloakLogin, false},
	} {
		if got := LooksEmpty(tc.p.report()); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCloakingReason(t *testing.T) {
	if r := CloakingReason("HTTP 404 / a page", "ua", verdict.Malicious); r.Level != verdict.Malicious || r.Code != verdict.CodeCloaking || !strings.Contains(r.JA, "HTTP 404") || r.Evidence["user_agent"] != "ua" {
		t.Errorf("%+v", r)
	}
	if r := CloakingReason("title", "ua", verdict.Clean); r.Level != verdict.Suspicious {
		t.Errorf("a harmless hidden page: %s", r.Level)
	}
}
