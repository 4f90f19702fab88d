// Command demosite is the other half of `make run`: local stand-ins for the
// sites a phishing mail links to, served under realistic names on one
// loopback port (kensa serve's sandbox maps every host name here with
// --test-map-hosts), and an index page that shows a sample mail, rewritten
// by Kensa's rewriter, whose links a newcomer can click to see each
// outcome. Nothing here is reached from outside the machine.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/rewriter"
)

// example is one link of the sample mail.
type example struct {
	Shown, Href, Expect, ExpectEN string
	Link                          string // the rewritten link
}

var examples = []example{
	{"セール会場はこちら", "http://DEMO/shop", "そのまま開きます（安全）", "opens directly (clean)", ""},
	{"楽天カード ご利用確認", "http://rakuten-card.account-check.top/login", "ブロック: ブランドなりすましのログイン画面", "blocked: a login page posing as a brand", ""},
	{"友達リクエストを承認", "http://friend-request.sns-example.com/accept", "ブロック: 連絡先とメール送信を求める OAuth 同意画面", "blocked: an OAuth consent screen asking for contacts and sending mail", ""},
	{"不在通知アプリをインストール", "http://kuroneko-app.delivery-check.top/", "ブロック: APK のダウンロード", "blocked: an APK download", ""},
	{"https://www.amazon.co.jp/orders", "http://amazon-co-jp.order-check.top/signin", "ブロック: 表示と実際のリンク先が違う（偽 Amazon）", "blocked: the shown address differs from the real one (fake Amazon)", ""},
	{"会員ページにログイン", "http://member-login.portal-update.online/", "警告: 乱用の多いドメインのログイン画面（続行可）", "warning: a login page on an abused domain (you may continue)", ""},
	{"ゆっくり開くニュース", "http://DEMO/slow-news", "確認中の画面 → 自動で開きます", "the checking page, then it opens by itself", ""},
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "where to serve the sites and the index")
	keyFile := flag.String("key-file", "", "the key file kensa serve uses")
	base := flag.String("base-url", "http://127.0.0.1:8080", "kensa serve's base URL")
	spkiFile := flag.String("spki-file", "", "write the HTTPS certificate's SPKI hash here, for kensa serve --test-trust-spki")
	flag.Parse()
	kr, err := linktoken.LoadKeyring(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	codec, err := linktoken.NewCodec(*base, kr)
	if err != nil {
		log.Fatal(err)
	}
	idx := *listen
	// The clean and the slow example live on this server's own address, so
	// that a newcomer's browser can open them after Kensa lets them through.
	for i := range examples {
		examples[i].Href = strings.Replace(examples[i].Href, "DEMO", idx, 1)
	}
	mail, err := rewriteSample(codec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "demosite: index on http://%s/ ; sites for the sandbox on the same port\n", idx)
	// HTTP and HTTPS on one port (internal/testsite): the sandbox's
	// Chromium goes to https:// for HSTS-preloaded names such as
	// accounts.google.com whatever the link says.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		if r.Host == idx || host == "127.0.0.1" || host == "localhost" {
			switch r.URL.Path {
			case "/shop":
				site(w, r, "shop.example-store.jp")
			case "/slow-news":
				site(w, r, "slow.example-news.jp")
			default:
				index(w, mail)
			}
			return
		}
		site(w, r, host)
	})
	ts, err := testsite.StartOn(idx, handler)
	if err != nil {
		log.Fatal(err)
	}
	if *spkiFile != "" {
		if err := os.WriteFile(*spkiFile, []byte(ts.SPKI+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	select {}
}

// rewriteSample builds the sample mail and rewrites it like the milter
// would, then reads the rewritten links back out of it.
func rewriteSample(codec *linktoken.Codec) ([]example, error) {
	var body strings.Builder
	body.WriteString("<html><body><p>山田様</p><p>いつもご利用ありがとうございます。以下のリンクをご確認ください。</p><ul>\r\n")
	for _, e := range examples {
		fmt.Fprintf(&body, "<li><a href=\"%s\">%s</a></li>\r\n", e.Href, template.HTMLEscapeString(e.Shown))
	}
	body.WriteString("</ul></body></html>\r\n")
	msg := "From: =?UTF-8?B?44GK55+l44KJ44Gb?= <info@example-sender.jp>\r\nTo: taro.yamada@example.co.jp\r\n" +
		"Subject: =?UTF-8?B?44GK55+l44KJ44Gb?=\r\nMessage-ID: <demo@example-sender.jp>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body.String()
	var out bytes.Buffer
	if _, err := rewriter.Rewrite(&out, []byte(msg), rewriter.Options{Codec: codec, Recipient: "taro.yamada@example.co.jp"}); err != nil {
		return nil, err
	}
	hrefs := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(out.String(), -1)
	if len(hrefs) != len(examples) {
		return nil, fmt.Errorf("rewritten mail has %d links, want %d", len(hrefs), len(examples))
	}
	ex := append([]example(nil), examples...)
	for i, m := range hrefs {
		ex[i].Link = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	return ex, nil
}

var indexPage = template.Must(template.New("i").Parse(`<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>Kensa demo</title><style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.6}
li{margin:.8rem 0}small{color:#555;display:block}code{font-size:.8rem;word-break:break-all;color:#666}</style></head><body>
<h1>Kensa demo / デモ</h1>
<p>A sample mail after Kensa rewrote its links. Click each one: Kensa checks the destination in its sandbox (headless Chromium, local stand-in sites) and redirects, warns or blocks.<br>
Kensa がリンクを書き換えた後のサンプルメールです。各リンクをクリックすると、Kensa がリンク先をサンドボックスで確認し、開く・警告・ブロックします。</p>
<ul>{{range .}}<li><a href="{{.Link}}">{{.Shown}}</a><small>{{.Expect}} / {{.ExpectEN}}</small><code>{{.Link}}</code></li>{{end}}</ul>
<p>The first click on each link renders it (about a second); later clicks are answered from the cache.
The click log is printed by <code>make run</code> and kept in Redis (<code>GET /api/v1/clicks</code> with the token in .run/demo/api-token).</p>
</body></html>`))

func index(w http.ResponseWriter, ex []example) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexPage.Execute(w, ex)
}

func site(w http.ResponseWriter, r *http.Request, host string) {
	page := func(title, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title></head><body>%s</body></html>", title, body)
	}
	long := strings.Repeat("本日のおすすめ商品をご覧ください。", 12)
	switch host {
	case "shop.example-store.jp":
		page("Example Store セール", "<h1>年末セール</h1><p>"+long+"</p>")
	case "slow.example-news.jp":
		time.Sleep(4 * time.Second)
		page("Example News", "<h1>ニュース</h1><p>"+long+"</p>")
	case "rakuten-card.account-check.top":
		page("楽天カード ログイン", `<img alt="楽天カード" src="/logo.png"><h1>楽天e-NAVI</h1><p>ご利用確認のため、ログインしてください。</p>
<form action="/post.php" method="post">ユーザID <input name="u"><br>パスワード <input type="password" name="p"><br><button>ログイン</button></form>`)
	case "friend-request.sns-example.com":
		http.Redirect(w, r, "https://accounts.google.com/o/oauth2/v2/auth?client_id=8812-friendapp.apps.googleusercontent.com&redirect_uri=https://friend-request.sns-example.com/cb&response_type=code&access_type=offline&scope=https://www.googleapis.com/auth/contacts.readonly%20https://www.googleapis.com/auth/gmail.send", http.StatusFound)
	case "accounts.google.com":
		page("Sign in - Google Accounts", "<p>"+strings.Repeat("Choose an account to continue to friend-request.sns-example.com. ", 6)+"</p>")
	case "kuroneko-app.delivery-check.top":
		if r.URL.Path == "/yamato.apk" {
			w.Header().Set("Content-Type", "application/vnd.android.package-archive")
			w.Header().Set("Content-Disposition", `attachment; filename="yamato.apk"`)
			w.Write([]byte("PK\x03\x04 demo apk, not a real app"))
			return
		}
		page("ヤマト運輸 不在通知", `<meta http-equiv="refresh" content="0;url=/yamato.apk"><p>お荷物の確認には専用アプリをインストールしてください。「提供元不明のアプリ」を許可してください。</p>`)
	case "amazon-co-jp.order-check.top":
		page("Amazon.co.jp サインイン", `<h1>amazon.co.jp</h1><form action="/s" method="post">Eメール <input name="email"><br>パスワード <input type="password" name="pw"><br><button>ログイン</button></form>`)
	case "member-login.portal-update.online":
		page("Member portal", `<h1>Member portal</h1><form action="/s" method="post">ID <input name="id"><br>Password <input type="password" name="pw"><br><button>Sign in</button></form><p>`+strings.Repeat("Welcome to the member portal. ", 10)+`</p>`)
	default:
		http.NotFound(w, r)
	}
}
