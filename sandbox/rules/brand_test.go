package rules

import (
	"slices"
	"testing"

	"github.com/kensa-mail/kensa/internal/domain"
)

// The table itself: every brand has names and domains, every domain is a
// registrable domain in canonical form and maps back to its brand, and no
// domain belongs to two brands unless they share it on purpose.
func TestBrandTable(t *testing.T) {
	shared := map[string]bool{"japanpost.jp": true} // 日本郵便 and ゆうちょ銀行 (www.jp-bank.japanpost.jp)
	owner := map[string]string{}
	names := map[string]bool{}
	for _, b := range Brands() {
		if b.Name == "" || len(b.Names) == 0 || len(b.Domains) == 0 {
			t.Errorf("brand %q: needs a name, names and domains", b.Name)
		}
		if names[b.Name] {
			t.Errorf("brand %q listed twice", b.Name)
		}
		names[b.Name] = true
		for _, d := range b.Domains {
			if reg, err := domain.Registrable(d); err != nil || reg != d {
				t.Errorf("%s: domain %q is not a registrable domain in canonical form (%q, %v)", b.Name, d, reg, err)
			}
			if o, ok := owner[d]; ok && !shared[d] {
				t.Errorf("domain %s listed for %s and %s", d, o, b.Name)
			}
			owner[d] = b.Name
			got, ok := BrandForDomain(d)
			if !ok || !slices.Contains(got.Domains, d) {
				t.Errorf("BrandForDomain(%q) = %q, %v", d, got.Name, ok)
			}
		}
	}
	for _, k := range DefaultBrands().look.BadKeys() {
		t.Errorf("host-name key %s: too short, a lure word or not lower case", k)
	}
	// Brands() returns copies.
	bs := Brands()
	bs[0].Domains[0] = "evil.example"
	if Brands()[0].Domains[0] == "evil.example" {
		t.Error("Brands() shares its slices with the table")
	}
}

// The brands the sandbox issue names are all there, with their main domain.
func TestBrandRequired(t *testing.T) {
	check := func(domain, name string) {
		t.Helper()
		b, ok := BrandForDomain(domain)
		if !ok || b.Name != name {
			t.Errorf("BrandForDomain(%q) = %q, %v; want %q", domain, b.Name, ok, name)
		}
	}
	check("yahoo.co.jp", "Yahoo! JAPAN")
	check("line.me", "LINE")
	check("rakuten.co.jp", "楽天")
	check("amazon.co.jp", "Amazon")
	check("amazon.com", "Amazon")
	check("kuronekoyamato.co.jp", "ヤマト運輸")
	check("sagawa-exp.co.jp", "佐川急便")
	check("japanpost.jp", "日本郵便")
	check("docomo.ne.jp", "NTT docomo")
	check("au.com", "au (KDDI)")
	check("kddi.com", "au (KDDI)")
	check("softbank.jp", "SoftBank")
	check("smbc.co.jp", "三井住友 (SMBC)")
	check("smbc-card.com", "三井住友 (SMBC)")
	check("mufg.jp", "MUFG (三菱UFJ)")
	check("mizuhobank.co.jp", "みずほ")
	check("paypay.ne.jp", "PayPay")
	check("apple.com", "Apple")
	check("icloud.com", "Apple")
	check("microsoft.com", "Microsoft")
	check("live.com", "Microsoft")
	check("office.com", "Microsoft")
	check("microsoftonline.com", "Microsoft")
	check("outlook.com", "Microsoft")
	check("google.com", "Google")
	check("gmail.com", "Google")
	check("facebook.com", "Facebook")
	check("instagram.com", "Instagram")
	check("paypal.com", "PayPal")
	check("netflix.com", "Netflix")
	// ゆうちょ shares japanpost.jp with 日本郵便; it is still a brand of its own.
	if !slices.ContainsFunc(Brands(), func(b Brand) bool {
		return b.Name == "ゆうちょ銀行" && slices.Contains(b.Domains, "japanpost.jp")
	}) {
		t.Error("ゆうちょ銀行 missing")
	}
}

func TestBrandForDomain(t *testing.T) {
	check := func(host, want string) {
		t.Helper()
		b, ok := BrandForDomain(host)
		if b.Name != want || ok != (want != "") {
			t.Errorf("BrandForDomain(%q) = %q, %v; want %q", host, b.Name, ok, want)
		}
	}
	check("www.amazon.co.jp", "Amazon")
	check("ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "Amazon")
	check("AMAZON.CO.JP.", "Amazon")
	check("login.microsoftonline.com", "Microsoft")
	check("accounts.google.com", "Google")
	check("www.jp-bank.japanpost.jp", "日本郵便") // shared domain: the first brand
	check("direct.bk.mufg.jp", "MUFG (三菱UFJ)")
	check("amazon.co.jp.account-verify.top", "")
	check("evil.sharepoint.com", "") // tenants are not Microsoft
	check("phish.github.io", "")     // GitHub Pages users are not GitHub
	check("example.org", "")
	check("203.0.113.7", "")
	check("", "")
	check("co.jp", "")
}

func TestBrandsInText(t *testing.T) {
	check := func(text string, want ...string) {
		t.Helper()
		var got []string
		for _, b := range BrandsInText(text) {
			got = append(got, b.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("BrandsInText(%q) = %q, want %q", text, got, want)
		}
	}
	// Japanese and English names, case and width.
	check("Amazon.co.jp にサインイン", "Amazon")
	check("ＡＭＡＺＯＮ", "Amazon")
	check("ｱﾏｿﾞﾝ", "Amazon")
	check("amazon", "Amazon")
	check("Amazonpay", "Amazon")
	check("楽天市場 ログイン", "楽天")
	check("楽天カード会員様へ", "楽天")
	check("Rakuten Card", "楽天")
	check("ヤマト運輸よりお荷物のお届けにあがりましたが不在の為持ち帰りました", "ヤマト運輸")
	check("クロネコメンバーズ", "ヤマト運輸")
	check("佐川急便 不在通知", "佐川急便")
	check("【日本郵便】お届け物の確認", "日本郵便")
	check("ゆうちょ銀行", "ゆうちょ銀行")
	check("Japan Post Bank", "ゆうちょ銀行")
	check("dアカウント", "NTT docomo")
	check("Androidアカウント")
	check("ドコモからのお知らせ", "NTT docomo")
	check("KDDI", "au (KDDI)")
	check("auからのお知らせ", "au (KDDI)")
	check("【au】料金のお知らせ", "au (KDDI)")
	check("au PAY", "au (KDDI)")
	check("Australia")
	check("au revoir")
	check("ソフトバンク", "SoftBank")
	check("三井住友カード", "三井住友 (SMBC)")
	check("三井住友信託銀行", "三井住友信託銀行")
	check("三菱ＵＦＪ銀行", "MUFG (三菱UFJ)")
	check("みずほダイレクト", "みずほ")
	check("PayPay", "PayPay")
	check("PayPal", "PayPal")
	check("Apple ID", "Apple")
	check("iCloud", "Apple")
	check("Pineapple")
	check("Sign in to your Microsoft account", "Microsoft")
	check("Microsoft アカウント", "Microsoft")
	check("Outlook", "Microsoft")
	check("economic outlook")
	check("Google アカウントにログイン", "Google")
	check("Anmelden – Google Konten", "Google")
	check("Facebook - log in or sign up", "Facebook")
	check("Instagram", "Instagram")
	check("instant")
	check("NETFLIX", "Netflix")
	// Word-aware Latin names and common English words.
	check("LINE Login", "LINE")
	check("LINEログイン", "LINE")
	check("online shopping")
	check("Deadline")
	check("the first line of your address")
	check("Steam", "Steam")
	check("steam cleaning")
	check("Log in | VK", "VK")
	check("vk")
	// A name inside a longer name of another brand.
	check("Yahoo", "Yahoo")
	check("Yahoo! JAPAN", "Yahoo! JAPAN")
	check("Yahoo!ショッピング", "Yahoo! JAPAN")
	check("Yahoo! JAPAN IDでログイン")
	// Identity-provider buttons, store badges and PDF hints.
	check("Sign in with Google")
	check("Continue with Facebook")
	check("Log in with GitHub")
	check("Googleでログイン")
	check("LINEでログイン")
	check("Sign in to GitHub · GitHub", "GitHub")
	check("Sign In - OR - Sign in using Facebook Sign in using Google+")
	check("Register Account Register with Google Register with Facebook")
	check("Mozilla Firefox / Linux, Windows, macOS Google Chrome / Linux Microsoft Edge / Windows Apple Safari / macOS")
	check("Download on the App Store / Get it on Google Play")
	check("PDFをご覧になるには Adobe Acrobat Reader が必要です")
	check("Adobe ID", "Adobe")
	// Several brands, in order of appearance, each once.
	check("Amazon と 楽天 と Yahoo! JAPAN と Amazon", "Amazon", "楽天", "Yahoo! JAPAN")
	check("")
	check("\xff\xfe")
	check("Example Domain")
}
