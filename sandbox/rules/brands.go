package rules

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/internal/domain"
	"github.com/kensa-mail/kensa/sandbox/rules/lookalike"
)

// Brand is a brand that phishing imitates, with the registrable domains
// (eTLD+1 by the Public Suffix List) where the real brand lives.
//
// The brand list serves two rules: a page that names a brand (title, visible
// text, logo alt text) on a domain the brand does not own, and a domain that
// imitates a brand's domain (Lookalike).
type Brand struct {
	// Name is the name shown in explanations, e.g. "Amazon", "楽天".
	Name string
	// Names are the names people see: display names in Japanese and
	// English and the brand's best-known services. BrandsInText matches
	// them (and a few unexported keywords) in page text.
	Names []string
	// Domains are the brand's legitimate registrable domains, lower-case
	// ASCII. A domain is listed only when we are sure the brand owns it;
	// domains that host other people's content under the brand's name
	// (sharepoint.com tenants, storage.googleapis.com, myshopify.com,
	// *.github.io, amazonaws.com ...) are left out on purpose, because a
	// phishing page there must not count as the brand's own site.
	Domains []string
}

// brandMatch says how a text keyword is matched by BrandsInText. Every mode
// matches after NFKC normalisation and full-width folding (domain.Fold),
// and a keyword edge that is an ASCII letter or digit must not touch
// another ASCII letter or digit in the text ("line" is not found in
// "online", "au" not in "australia", "dアカウント" not in "Androidアカウント").
type brandMatch uint8

const (
	brandFold   brandMatch = iota // case-insensitive (the default)
	brandCased                    // case-sensitive: a common English word spelt the brand's way ("LINE", "Steam", "Discord")
	brandNearJa                   // case-sensitive, and next to Japanese text ("auからのお知らせ"); for two-letter names
)

// brandEntry is one row of the brand table: the exported Brand plus what the
// rules need and callers do not.
type brandEntry struct {
	Brand
	// words are extra text keywords (product names, spellings) matched
	// like Names; cased and nearJa list Names or words that must be
	// matched case-sensitively (brandCased, brandNearJa).
	words  []string
	cased  []string
	nearJa []string
	// keys are extra ASCII words that stand for the brand inside a host
	// name ("kuroneko", "sagawa", "psn"); the labels of Domains are keys
	// too (except brandDenyKeys).
	keys []string
	// global: the brand runs local sites under many country-code TLDs
	// (google.de, amazon.fr, ebay.co.uk), so the brand's name under
	// another country code is not reported as a TLD swap: it is as likely
	// the brand's own local site as an impostor. Swaps to generic TLDs
	// (.com-style, .top, .xyz) still are.
	global bool
	// selfHosted: the brand is software anyone runs on their own domain
	// (a WordPress blog's wp-login.php, a company's own GitLab), so its
	// name on a sign-in page elsewhere is no claim to be the brand; only a
	// host that imitates the brand's domains is.
	selfHosted bool
}

// brandTable is the brand list. Order matters where a host-name key is
// shared (yahoo, japanpost): the first brand wins, and Japanese brands come
// first because Kensa protects Japanese organisations.
//
// Sources: the brands' own sites as we know them, checked against public
// code and documents that link to them (e.g. scdn.line-apps.com,
// www.paypay-card.co.jp, www.smtb.jp, www2.etc-meisai.jp, id.auone.jp,
// www.sg-hldgs.co.jp); corpus-only brands from the domains their cloned
// kits load (signin.ea.com, www.cryptocoinsniper.co, dropboxstatic.com,
// sonyentertainmentnetwork.com, playstation.net, ebaystatic.com).
// Domains we could not confirm (e.g. amazon.jp, psn.com, twitch.com,
// apple.co.jp, yahoo.ne.jp) are left out.
var brandTable = []brandEntry{
	// --- Japanese brands and the brands named in the sandbox issue ---
	{
		Brand: Brand{Name: "Yahoo! JAPAN",
			Names:   []string{"Yahoo! JAPAN", "Yahoo!JAPAN", "Yahoo JAPAN", "ヤフー", "Yahoo!ジャパン"},
			Domains: []string{"yahoo.co.jp", "yimg.jp", "lycorp.co.jp"}},
		words: []string{"Yahoo! JAPAN ID", "Yahoo!メール", "Yahoo!ショッピング", "Yahoo!オークション", "ヤフオク", "Yahoo!ニュース", "Yahoo!ファイナンス"},
		keys:  []string{"yahoojapan", "yahoo-japan"},
	},
	{
		Brand: Brand{Name: "LINE",
			Names:   []string{"LINE", "LINE Pay", "LINEログイン"},
			Domains: []string{"line.me", "line-apps.com", "line-scdn.net", "linecorp.com", "line.biz", "lin.ee"}},
		cased: []string{"LINE", "LINE Pay", "LINEログイン"},
	},
	{
		Brand: Brand{Name: "楽天",
			Names:   []string{"楽天", "Rakuten", "楽天市場", "楽天カード", "楽天銀行", "楽天証券", "楽天モバイル", "楽天ペイ"},
			Domains: []string{"rakuten.co.jp", "rakuten.com", "rakuten-card.co.jp", "rakuten-bank.co.jp", "rakuten-sec.co.jp", "r10s.jp"}},
		global: true,
	},
	{
		// amazon.com.be (Belgium) is left out: com.be is not a public
		// suffix, so it is a subdomain of someone else's com.be.
		Brand: Brand{Name: "Amazon",
			Names: []string{"Amazon", "アマゾン", "Amazon.co.jp", "Amazon Pay", "Amazonプライム", "Amazon Prime", "Prime Video", "プライムビデオ"},
			Domains: []string{"amazon.co.jp", "amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.it", "amazon.es",
				"amazon.ca", "amazon.com.mx", "amazon.com.br", "amazon.in", "amazon.com.au", "amazon.nl", "amazon.se",
				"amazon.pl", "amazon.sg", "amazon.ae", "amazon.sa", "amazon.com.tr", "amazon.eg", "amazon.cn",
				"media-amazon.com", "ssl-images-amazon.com", "images-amazon.com", "primevideo.com", "amazon.jobs"}},
		words:  []string{"AmazonPay"},
		global: true,
	},
	{
		Brand: Brand{Name: "ヤマト運輸",
			Names:   []string{"ヤマト運輸", "クロネコヤマト", "クロネコ", "Yamato Transport", "Kuroneko Yamato"},
			Domains: []string{"kuronekoyamato.co.jp", "yamato-hd.co.jp"}},
		keys: []string{"kuroneko", "yamato"},
	},
	{
		Brand: Brand{Name: "佐川急便",
			Names:   []string{"佐川急便", "SAGAWA", "Sagawa Express"},
			Domains: []string{"sagawa-exp.co.jp", "sg-hldgs.co.jp"}},
		keys: []string{"sagawa"},
	},
	{
		Brand: Brand{Name: "日本郵便",
			Names:   []string{"日本郵便", "郵便局", "日本郵政", "ゆうパック", "Japan Post", "JP POST"},
			Domains: []string{"japanpost.jp"}},
		keys: []string{"jppost", "jp-post", "yubin"},
	},
	{
		Brand: Brand{Name: "NTT docomo",
			Names:   []string{"NTT docomo", "docomo", "ドコモ", "NTTドコモ", "dアカウント", "d払い", "dポイント"},
			Domains: []string{"docomo.ne.jp", "nttdocomo.co.jp"}},
	},
	{
		Brand: Brand{Name: "au (KDDI)",
			Names:   []string{"au", "KDDI", "au ID", "au PAY", "auかんたん決済", "au by KDDI"},
			Domains: []string{"au.com", "kddi.com", "auone.jp", "ezweb.ne.jp"}},
		nearJa: []string{"au"},
	},
	{
		Brand: Brand{Name: "SoftBank",
			Names:   []string{"SoftBank", "ソフトバンク", "Y!mobile", "ワイモバイル"},
			Domains: []string{"softbank.jp", "softbank.ne.jp", "ymobile.jp", "group.softbank"}},
	},
	{
		Brand: Brand{Name: "三井住友 (SMBC)",
			Names:   []string{"三井住友", "三井住友銀行", "三井住友カード", "SMBC", "Vpass", "SMBC日興証券", "Sumitomo Mitsui"},
			Domains: []string{"smbc.co.jp", "smbc-card.com", "smfg.co.jp", "smbcnikko.co.jp", "vpass.ne.jp"}},
		keys: []string{"mitsuisumitomo", "sumitomomitsui"},
	},
	{
		// A different group from SMBC; listed so that "三井住友信託銀行"
		// is not read as 三井住友 (SMBC).
		Brand: Brand{Name: "三井住友信託銀行",
			Names:   []string{"三井住友信託銀行", "三井住友信託", "Sumitomo Mitsui Trust"},
			Domains: []string{"smtb.jp"}},
	},
	{
		Brand: Brand{Name: "MUFG (三菱UFJ)",
			Names:   []string{"MUFG", "三菱UFJ", "三菱UFJ銀行", "三菱UFJニコス", "三菱UFJ信託銀行"},
			Domains: []string{"mufg.jp"}},
	},
	{
		Brand: Brand{Name: "みずほ",
			Names:   []string{"みずほ", "みずほ銀行", "みずほ証券", "みずほダイレクト", "Mizuho"},
			Domains: []string{"mizuhobank.co.jp", "mizuho-fg.co.jp", "mizuho-sc.com"}},
		keys: []string{"mizuho"},
	},
	{
		// Japan Post Bank lives under the group's domain
		// (www.jp-bank.japanpost.jp), shared with 日本郵便.
		Brand: Brand{Name: "ゆうちょ銀行",
			Names:   []string{"ゆうちょ", "ゆうちょ銀行", "ゆうちょダイレクト", "Japan Post Bank"},
			Domains: []string{"japanpost.jp"}},
		keys: []string{"yucho", "yuucho", "jp-bank", "jpbank"},
	},
	{
		Brand: Brand{Name: "PayPay",
			Names:   []string{"PayPay", "ペイペイ", "PayPayカード", "PayPay銀行"},
			Domains: []string{"paypay.ne.jp", "paypay-card.co.jp", "paypay-bank.co.jp"}},
	},
	{
		Brand: Brand{Name: "Apple",
			Names:   []string{"Apple", "アップル", "Apple ID", "Apple アカウント", "iCloud", "iTunes", "Apple Pay"},
			Domains: []string{"apple.com", "icloud.com", "me.com", "mac.com", "mzstatic.com", "cdn-apple.com", "apple.co", "apple.news", "itunes.com"}},
		words: []string{"AppleID"},
		keys:  []string{"appleid"},
	},
	{
		// sharepoint.com, onmicrosoft.com and *.windows.net are left out:
		// their subdomains are customers' tenants and storage, where
		// phishing is hosted.
		Brand: Brand{Name: "Microsoft",
			Names: []string{"Microsoft", "マイクロソフト", "Microsoft 365", "Office 365", "Outlook", "Hotmail", "OneDrive", "SharePoint", "Microsoft アカウント", "Xbox", "Skype"},
			Domains: []string{"microsoft.com", "live.com", "office.com", "microsoftonline.com", "outlook.com", "hotmail.com",
				"outlook.jp", "hotmail.co.jp", "hotmail.co.uk", "live.jp", "msn.com", "bing.com", "office365.com", "microsoft365.com",
				"azure.com", "skype.com", "xbox.com", "aka.ms", "msauth.net", "msftauth.net"}},
		words: []string{"Office365", "Microsoft365"},
		cased: []string{"Outlook"},
		keys:  []string{"msonline", "onedrive", "sharepoint"},
	},
	{
		// googleusercontent.com and googleapis.com host other people's
		// content (storage.googleapis.com is a known phishing host).
		Brand: Brand{Name: "Google",
			Names:   []string{"Google", "グーグル", "Gmail", "Google アカウント", "Google Account", "YouTube"},
			Domains: []string{"google.com", "google.co.jp", "gmail.com", "youtube.com", "youtu.be", "gstatic.com", "android.com", "goo.gl", "g.co"}},
		global: true,
	},
	{
		Brand: Brand{Name: "Facebook",
			Names:   []string{"Facebook", "フェイスブック", "Facebook Messenger"},
			Domains: []string{"facebook.com", "fb.com", "facebook.net", "fbcdn.net", "messenger.com", "fb.me", "fb.gg", "meta.com"}},
	},
	{
		Brand: Brand{Name: "Instagram",
			Names:   []string{"Instagram", "インスタグラム"},
			Domains: []string{"instagram.com", "cdninstagram.com"}},
		words: []string{"Insta"},
		cased: []string{"Insta"},
		keys:  []string{"insta"},
	},
	{
		Brand: Brand{Name: "PayPal",
			Names:   []string{"PayPal", "ペイパル"},
			Domains: []string{"paypal.com", "paypal.me", "paypalobjects.com"}},
	},
	{
		Brand: Brand{Name: "Netflix",
			Names:   []string{"Netflix", "ネットフリックス"},
			Domains: []string{"netflix.com", "nflxext.com"}},
	},
	// --- more Japanese smishing targets ---
	{
		Brand: Brand{Name: "イオン (AEON)",
			Names:   []string{"イオンカード", "イオン銀行", "AEON"},
			Domains: []string{"aeon.co.jp", "aeon.com", "aeonbank.co.jp"}},
	},
	{
		Brand: Brand{Name: "JCB",
			Names:   []string{"JCB", "MyJCB"},
			Domains: []string{"jcb.co.jp"}},
	},
	{
		Brand: Brand{Name: "国税庁",
			Names:   []string{"国税庁", "e-Tax", "National Tax Agency"},
			Domains: []string{"nta.go.jp"}},
		keys: []string{"e-tax", "etax"},
	},
	{
		Brand: Brand{Name: "メルカリ",
			Names:   []string{"メルカリ", "Mercari", "メルペイ"},
			Domains: []string{"mercari.com"}},
	},
	{
		Brand: Brand{Name: "NHK",
			Names:   []string{"NHK", "日本放送協会"},
			Domains: []string{"nhk.or.jp", "nhk.jp"}},
	},
	{
		Brand: Brand{Name: "エポスカード",
			Names:   []string{"エポスカード", "エポス", "EPOS CARD"},
			Domains: []string{"eposcard.co.jp"}},
		keys: []string{"epos"},
	},
	{
		Brand: Brand{Name: "セゾンカード",
			Names:   []string{"セゾンカード", "クレディセゾン", "SAISON CARD"},
			Domains: []string{"saisoncard.co.jp"}},
		keys: []string{"saison"},
	},
	{
		Brand: Brand{Name: "りそな銀行",
			Names:   []string{"りそな", "りそな銀行", "Resona"},
			Domains: []string{"resonabank.co.jp"}},
		keys: []string{"resona"},
	},
	{
		Brand: Brand{Name: "東京電力",
			Names:   []string{"東京電力", "TEPCO"},
			Domains: []string{"tepco.co.jp"}},
	},
	{
		Brand: Brand{Name: "ETC利用照会サービス",
			Names:   []string{"ETC利用照会サービス", "ETC利用照会"},
			Domains: []string{"etc-meisai.jp"}},
	},
	{
		Brand: Brand{Name: "DHL",
			Names:   []string{"DHL"},
			Domains: []string{"dhl.com", "dhl.de"}},
		global: true,
	},
	{
		Brand: Brand{Name: "X (Twitter)",
			Names:   []string{"Twitter", "ツイッター"},
			Domains: []string{"x.com", "twitter.com", "t.co", "twimg.com"}},
	},
	// --- rental servers and registrars (their control panels are phished
	// with "account suspended" and "renew your domain" mail) ---
	{
		Brand: Brand{Name: "エックスサーバー (XServer)",
			Names:   []string{"エックスサーバー", "XServer", "Xserverアカウント", "XServerアカウント"},
			Domains: []string{"xserver.ne.jp", "xserver.jp"}},
	},
	{
		// sakura.ne.jp (customers' sites) is left out.
		Brand: Brand{Name: "さくらインターネット",
			Names:   []string{"さくらインターネット", "さくらのレンタルサーバ", "さくらのクラウド", "Sakura Internet", "SAKURA internet"},
			Domains: []string{"sakura.ad.jp"}},
		keys: []string{"sakura-internet", "sakurainternet"},
	},
	{
		// Its control panel is user.lolipop.jp; customers' sites under
		// lolipop.jp subdomains therefore count as its own site too.
		Brand: Brand{Name: "ロリポップ！",
			Names:   []string{"ロリポップ", "ロリポップ！レンタルサーバー", "Lolipop"},
			Domains: []string{"lolipop.jp"}},
	},
	{
		Brand: Brand{Name: "ConoHa",
			Names:   []string{"ConoHa", "ConoHa WING", "ConoHa VPS"},
			Domains: []string{"conoha.jp"}},
		cased: []string{"ConoHa"},
	},
	{
		Brand: Brand{Name: "お名前.com",
			Names:   []string{"お名前.com", "お名前ドットコム", "Onamae.com"},
			Domains: []string{"onamae.com"}},
		keys: []string{"onamae"},
	},
	// --- brands of the shared phishing corpus (pages/manifest.json) ---
	{
		Brand: Brand{Name: "Yahoo",
			Names:   []string{"Yahoo", "Yahoo!", "Yahoo Mail"},
			Domains: []string{"yahoo.com", "yimg.com", "ymail.com"}},
	},
	{
		// dropboxusercontent.com (user files) is left out.
		Brand: Brand{Name: "Dropbox",
			Names:   []string{"Dropbox", "ドロップボックス"},
			Domains: []string{"dropbox.com", "dropboxstatic.com"}},
	},
	{
		// github.io and githubusercontent.com host users' content.
		Brand: Brand{Name: "GitHub",
			Names:   []string{"GitHub"},
			Domains: []string{"github.com", "github.dev", "githubassets.com"}},
	},
	{
		Brand: Brand{Name: "GitLab",
			Names:   []string{"GitLab"},
			Domains: []string{"gitlab.com", "gitlab-static.net"}},
		selfHosted: true,
	},
	{
		Brand: Brand{Name: "LinkedIn",
			Names:   []string{"LinkedIn", "リンクトイン"},
			Domains: []string{"linkedin.com", "licdn.com", "lnkd.in"}},
	},
	{
		Brand: Brand{Name: "EA (Origin)",
			Names:   []string{"Electronic Arts", "EA app", "EA Account", "EAアカウント", "EA Origin"},
			Domains: []string{"ea.com", "origin.com"}},
	},
	{
		Brand: Brand{Name: "Pinterest",
			Names:   []string{"Pinterest", "ピンタレスト"},
			Domains: []string{"pinterest.com", "pinimg.com"}},
		global: true,
	},
	{
		Brand: Brand{Name: "Proton Mail",
			Names:   []string{"Proton Mail", "ProtonMail", "Proton Account", "Proton アカウント"},
			Domains: []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}},
	},
	{
		// myshopify.com (merchants' shops) is left out.
		Brand: Brand{Name: "Shopify",
			Names:   []string{"Shopify"},
			Domains: []string{"shopify.com"}},
	},
	{
		Brand: Brand{Name: "eBay",
			Names: []string{"eBay", "イーベイ"},
			Domains: []string{"ebay.com", "ebay.co.uk", "ebay.de", "ebay.fr", "ebay.it", "ebay.es", "ebay.ca", "ebay.com.au",
				"ebaystatic.com", "ebayimg.com"}},
		global: true,
	},
	{
		Brand: Brand{Name: "Spotify",
			Names:   []string{"Spotify", "スポティファイ"},
			Domains: []string{"spotify.com", "scdn.co"}},
	},
	{
		Brand: Brand{Name: "Twitch",
			Names:   []string{"Twitch"},
			Domains: []string{"twitch.tv", "ttvnw.net", "jtvnw.net"}},
		cased: []string{"Twitch"},
	},
	{
		Brand: Brand{Name: "Verizon",
			Names:   []string{"Verizon"},
			Domains: []string{"verizon.com", "verizon.net", "verizonwireless.com"}},
	},
	{
		Brand: Brand{Name: "WordPress",
			Names:   []string{"WordPress"},
			Domains: []string{"wordpress.com", "wordpress.org", "wp.com"}},
		selfHosted: true,
	},
	{
		Brand: Brand{Name: "Yandex",
			Names:   []string{"Yandex", "Яндекс"},
			Domains: []string{"yandex.ru", "yandex.com", "ya.ru", "yandex.net", "yastatic.net"}},
		global: true,
	},
	{
		Brand: Brand{Name: "Badoo",
			Names:   []string{"Badoo"},
			Domains: []string{"badoo.com"}},
	},
	{
		// The domain is the one the cloned kit in the corpus loads its
		// assets from (phish-hiddeneye-cryptocurrency).
		Brand: Brand{Name: "Crypto Coin Sniper",
			Names:   []string{"Crypto Coin Sniper", "CryptoCoinSniper"},
			Domains: []string{"cryptocoinsniper.co"}},
	},
	{
		// The PlayStation Network sign-in is served from sony.com
		// (my.account.sony.com) and sonyentertainmentnetwork.com.
		Brand: Brand{Name: "PlayStation",
			Names:   []string{"PlayStation", "プレイステーション", "PlayStation Network", "PSN", "Sony Entertainment Network"},
			Domains: []string{"playstation.com", "playstation.net", "sonyentertainmentnetwork.com", "sony.com"}},
		keys: []string{"psn"},
	},
	{
		Brand: Brand{Name: "Reddit",
			Names:   []string{"Reddit"},
			Domains: []string{"reddit.com", "redd.it", "redditmedia.com", "redditstatic.com"}},
	},
	{
		Brand: Brand{Name: "Steam",
			Names:   []string{"Steam", "Steam Community"},
			Domains: []string{"steampowered.com", "steamcommunity.com", "steamstatic.com"}},
		cased: []string{"Steam", "Steam Community"},
		keys:  []string{"steam"},
	},
	{
		Brand: Brand{Name: "VK",
			Names:   []string{"VK", "VKontakte", "ВКонтакте"},
			Domains: []string{"vk.com", "vkontakte.ru"}},
		cased:  []string{"VK"},
		global: true,
	},
	{
		Brand: Brand{Name: "Starbucks",
			Names:   []string{"Starbucks", "スターバックス", "スタバ"},
			Domains: []string{"starbucks.com", "starbucks.co.jp"}},
		global: true,
	},
	{
		Brand: Brand{Name: "Adobe",
			Names:   []string{"Adobe", "アドビ", "Adobe ID", "Adobe Acrobat"},
			Domains: []string{"adobe.com", "adobe.io", "adobelogin.com"}},
	},
	{
		Brand: Brand{Name: "Discord",
			Names:   []string{"Discord"},
			Domains: []string{"discord.com", "discord.gg", "discord.new", "discordapp.com", "discordapp.net"}},
		cased: []string{"Discord"},
	},
	{
		Brand: Brand{Name: "Quora",
			Names:   []string{"Quora"},
			Domains: []string{"quora.com"}},
	},
	{
		Brand: Brand{Name: "Roblox",
			Names:   []string{"Roblox"},
			Domains: []string{"roblox.com", "rbxcdn.com"}},
	},
	{
		Brand: Brand{Name: "Snapchat",
			Names:   []string{"Snapchat", "スナップチャット"},
			Domains: []string{"snapchat.com", "snap.com"}},
	},
	{
		Brand: Brand{Name: "Stack Overflow",
			Names:   []string{"Stack Overflow", "StackOverflow"},
			Domains: []string{"stackoverflow.com", "stackoverflow.blog", "stackexchange.com", "sstatic.net"}},
	},
}

// brandDenyKeys are domain labels that do not stand for their brand inside
// another host name: generic words and short-link or CDN labels (me.com,
// live.com, office.com, group.softbank, goo.gl vs NTT's goo.ne.jp ...).
// They are still legitimate domains; they are only not compared by label.
var brandDenyKeys = map[string]bool{
	"me": true, "ya": true, "pm": true, "live": true, "office": true, "aka": true, "wp": true,
	"lin": true, "redd": true, "scdn": true, "group": true, "goo": true, "snap": true, "mac": true,
	"sakura": true, // sakura.ad.jp: "sakura" (cherry blossom) names countless Japanese sites
	"sony":   true, // sony.com is listed for PlayStation, but Sony's national sites (sony.co.jp, sony.jp) are Sony's too
}

// brandIgnorePhrases are phrases that name a brand without claiming to be it:
// app-store badges, PDF-reader hints and supported-browser lists, which
// legitimate login pages of banks, shops and admin tools carry. A brand
// match inside one is not counted.
var brandIgnorePhrases = []string{
	"app store", "google play", "adobe acrobat reader", "adobe reader", "get adobe acrobat",
	"google chrome", "microsoft edge", "internet explorer", "apple safari",
}

// brandSSOAfter and brandSSOBefore are the contexts of a sign-in button for
// an identity provider ("Sign in with Google", "Register with Facebook",
// "LINEでログイン"): third-party login pages show them, so a brand named only
// there is not counted. brandSSOAfter follows the provider's name.
var brandSSOAfter = []string{"でログイン", "でサインイン", "で続ける", "で続行", "で新規登録", "で登録", " でログイン", " でサインイン"}

// brandSSOBefore returns the phrases that precede the provider's name
// ("sign in with "), built once on first use.
var brandSSOBefore = sync.OnceValue(func() []string {
	var out []string
	for _, verb := range []string{"sign in", "sign-in", "signin", "log in", "login", "sign up", "sign-up", "signup",
		"register", "continue", "connect", "authenticate"} {
		for _, prep := range []string{" with ", " using ", " via "} {
			out = append(out, verb+prep)
		}
	}
	return out
})

// brandKeyword is a compiled text keyword.
type brandKeyword struct {
	text  string // normalised (and lower-cased unless cased)
	mode  brandMatch
	brand int
}

// brandIndex is the brand table compiled for lookups.
type brandIndex struct {
	keywords []brandKeyword
	byDomain map[string][]int // registrable domain -> brands that own it
}

// BrandList is a brand list compiled for the rules: the text keywords,
// the owners of each domain and the lookalike checker. Judge uses
// Policy.Brands, or DefaultBrands when it is nil. A BrandList is immutable
// and safe for concurrent use.
type BrandList struct {
	entries []brandEntry
	idx     *brandIndex
	look    *lookalike.Checker
}

// DefaultBrands is the built-in brand list (brandTable), compiled once on
// first use.
var DefaultBrands = sync.OnceValue(func() *BrandList { return newBrandList(brandTable) })

func newBrandList(entries []brandEntry) *BrandList {
	l := &BrandList{entries: entries, idx: &brandIndex{byDomain: map[string][]int{}}}
	bs := make([]lookalike.Brand, len(entries))
	for i := range entries {
		e := &entries[i]
		l.idx.keywords = append(l.idx.keywords, brandKeywordsOf(i, e)...)
		for _, d := range e.Domains {
			l.idx.byDomain[d] = append(l.idx.byDomain[d], i)
		}
		bs[i] = lookalike.Brand{Name: e.Name, Names: e.Names, Domains: e.Domains, Keys: e.keys, Global: e.global}
	}
	l.look = lookalike.New(bs, brandDenyKeys)
	return l
}

// Without returns the list without the brands drop reports. The brand
// ablation of the corpus evaluation judges each phishing page without its
// own brand, to show that the rules do not depend on the list.
func (l *BrandList) Without(drop func(Brand) bool) *BrandList {
	var keep []brandEntry
	for _, e := range l.entries {
		if !drop(brandCopy(e.Brand)) {
			keep = append(keep, e)
		}
	}
	return newBrandList(keep)
}

// selfHosted reports whether the brand called name is software people run
// on their own domains (brandEntry.selfHosted).
func (l *BrandList) selfHosted(name string) bool {
	for _, e := range l.entries {
		if e.Name == name {
			return e.selfHosted
		}
	}
	return false
}

// Len is the number of brands in the list.
func (l *BrandList) Len() int { return len(l.entries) }

// brandKeywordsOf compiles the text keywords of brand i: its name, names
// and words, each once.
func brandKeywordsOf(i int, e *brandEntry) []brandKeyword {
	mode := map[string]brandMatch{}
	for _, s := range e.cased {
		mode[s] = brandCased
	}
	for _, s := range e.nearJa {
		mode[s] = brandNearJa
	}
	var out []brandKeyword
	seen := map[string]bool{}
	for _, s := range append(append([]string{e.Name}, e.Names...), e.words...) {
		m := mode[s]
		t := lookalike.Normalize(s)
		if m == brandFold {
			t = lookalike.Lower(t)
		}
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, brandKeyword{text: t, mode: m, brand: i})
	}
	return out
}

// Brands returns the built-in brand list (a copy; callers may modify it).
func Brands() []Brand { return DefaultBrands().Brands() }

// Brands returns the list's brands (a copy; callers may modify it).
func (l *BrandList) Brands() []Brand {
	out := make([]Brand, len(l.entries))
	for i := range l.entries {
		out[i] = brandCopy(l.entries[i].Brand)
	}
	return out
}

func brandCopy(b Brand) Brand {
	b.Names = append([]string(nil), b.Names...)
	b.Domains = append([]string(nil), b.Domains...)
	return b
}

// BrandForDomain returns the brand that owns a registrable domain. A host
// name is accepted too and reduced to its registrable domain first (after
// full-width folding and IDNA, as domain.Registrable does), so
// "www.amazon.co.jp" gives Amazon. A domain shared by two brands of one
// group (japanpost.jp: 日本郵便 and ゆうちょ銀行) gives the first in the table.
func BrandForDomain(regDomain string) (Brand, bool) { return DefaultBrands().ForDomain(regDomain) }

// ForDomain is BrandForDomain over this list.
func (l *BrandList) ForDomain(regDomain string) (Brand, bool) {
	reg, err := domain.Registrable(regDomain)
	if err != nil {
		return Brand{}, false
	}
	if is := l.idx.byDomain[reg]; len(is) > 0 {
		return brandCopy(l.entries[is[0]].Brand), true
	}
	return Brand{}, false
}

// BrandsInText returns the brands named in a piece of page text (title,
// visible text, logo alt text), in the order they first appear, each once.
//
// Matching is case- and width-insensitive (NFKC and domain.Fold, so
// "ＡＭＡＺＯＮ" and "ｱﾏｿﾞﾝ" are found) and word-aware for Latin names: a
// name's ASCII letter or digit at either end must not touch another ASCII
// letter or digit, so "line" in "online" and "au" in "australia" are not
// LINE and au. Names that are also common English words are matched only as
// the brand spells them ("LINE", "Steam", "Discord", "Outlook"), and "au"
// only next to Japanese text. Japanese names match anywhere.
//
// Not counted:
//   - a name inside a longer name of another brand ("Yahoo" inside "Yahoo!
//     JAPAN", "三井住友" inside "三井住友信託銀行");
//   - a name on a sign-in button for an identity provider ("Sign in with
//     Google", "LINEでログイン"), because third-party login pages carry them;
//   - app-store badges, PDF-reader hints and browser names ("App Store",
//     "Google Play", "Adobe Acrobat Reader", "Google Chrome", "Microsoft
//     Edge").
//
// The caller decides what a named brand means: on a domain that the brand
// does not own (BrandForDomain), together with a credential form, it is
// brand impersonation.
func BrandsInText(s string) []Brand { return DefaultBrands().InText(s) }

// InText is BrandsInText over this list.
func (l *BrandList) InText(s string) []Brand {
	if s == "" || !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
		if s == "" {
			return nil
		}
	}
	cased := lookalike.Normalize(s)
	lower := lookalike.Lower(cased) // same byte offsets as cased

	// drop marks a match on a sign-in button: not counted, but it still
	// hides the shorter names inside it ("Yahoo" in "Yahoo! JAPAN IDでログイン").
	type span struct {
		start, end, brand int
		drop              bool
	}
	var spans []span
	ignored := brandIgnored(lower)
	for _, kw := range l.idx.keywords {
		hay := lower
		if kw.mode != brandFold {
			hay = cased
		}
		for off := 0; off < len(hay); {
			k := strings.Index(hay[off:], kw.text)
			if k < 0 {
				break
			}
			st, en := off+k, off+k+len(kw.text)
			off = st + 1
			if !brandBoundary(hay, st, en, kw.text) {
				continue
			}
			if kw.mode == brandNearJa && !brandNextToJapanese(hay, st, en) {
				continue
			}
			if brandInside(ignored, st, en) {
				continue
			}
			spans = append(spans, span{st, en, kw.brand, brandSSO(lower, st, en)})
		}
	}
	if len(spans) == 0 {
		return nil
	}
	// Drop a match that lies inside a longer match of another brand or of
	// a sign-in button.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	var out []Brand
	seen := map[int]bool{}
	cover := span{start: -1, end: -1, brand: -1}
	for _, sp := range spans {
		c := cover
		if sp.end > cover.end {
			cover = sp
		}
		inside := c.brand >= 0 && sp.end <= c.end && c.end-c.start > sp.end-sp.start
		if sp.drop || inside && (c.drop || c.brand != sp.brand) {
			continue
		}
		if !seen[sp.brand] {
			seen[sp.brand] = true
			out = append(out, brandCopy(l.entries[sp.brand].Brand))
		}
	}
	return out
}

// brandIgnored returns the spans of brandIgnorePhrases in lower.
func brandIgnored(lower string) [][2]int {
	var ignored [][2]int
	for _, p := range brandIgnorePhrases {
		for off := 0; ; {
			k := strings.Index(lower[off:], p)
			if k < 0 {
				break
			}
			ignored = append(ignored, [2]int{off + k, off + k + len(p)})
			off += k + len(p)
		}
	}
	return ignored
}

func brandIsASCIIAlnum(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// brandBoundary reports whether the match hay[st:en] of kw is a whole word
// at each end where kw has an ASCII letter or digit.
func brandBoundary(hay string, st, en int, kw string) bool {
	first, _ := utf8.DecodeRuneInString(kw)
	last, _ := utf8.DecodeLastRuneInString(kw)
	if brandIsASCIIAlnum(first) && st > 0 {
		if r, _ := utf8.DecodeLastRuneInString(hay[:st]); brandIsASCIIAlnum(r) {
			return false
		}
	}
	if brandIsASCIIAlnum(last) && en < len(hay) {
		if r, _ := utf8.DecodeRuneInString(hay[en:]); brandIsASCIIAlnum(r) {
			return false
		}
	}
	return true
}

// brandIsJapanese reports Han, Hiragana and Katakana letters, the prolonged
// sound mark and CJK punctuation (「」、。【】).
func brandIsJapanese(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		r == 'ー' || (r >= 0x3000 && r <= 0x303f)
}

func brandNextToJapanese(hay string, st, en int) bool {
	if st > 0 {
		if r, _ := utf8.DecodeLastRuneInString(hay[:st]); brandIsJapanese(r) {
			return true
		}
	}
	if en < len(hay) {
		if r, _ := utf8.DecodeRuneInString(hay[en:]); brandIsJapanese(r) {
			return true
		}
	}
	return false
}

func brandInside(spans [][2]int, st, en int) bool {
	for _, s := range spans {
		if s[0] <= st && en <= s[1] {
			return true
		}
	}
	return false
}

// brandSSO reports whether the match lower[st:en] is the provider's name on a
// sign-in button.
func brandSSO(lower string, st, en int) bool {
	for _, p := range brandSSOBefore() {
		if strings.HasSuffix(lower[:st], p) {
			return true
		}
	}
	rest := lower[en:]
	// Allow the provider's account word between name and verb, as in
	// "Yahoo! JAPAN IDでログイン".
	rest = strings.TrimPrefix(rest, " id")
	rest = strings.TrimPrefix(rest, "id")
	for _, p := range brandSSOAfter {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}
