package extension

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
)

var screenshots = flag.Bool("screenshots", false, "TestEndToEnd writes the card's screenshots into docs/screenshots")

// run runs a command (npm, node) in the extension's folder, its output in the test log.
func run(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", name, strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

// installed checks that node_modules is what package-lock.json says:
// scripts/setup.sh runs npm ci and writes the lock file's SHA-256 into
// node_modules/.kensa-lock-sha256. Tests never install anything (they
// never reach the registry): without it they skip, or fail under
// KENSA_REQUIRE.
func installed(t *testing.T) {
	t.Helper()
	testenv.Require(t, testenv.Node)
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	if got, err := os.ReadFile(filepath.Join("node_modules", ".kensa-lock-sha256")); err != nil || strings.TrimSpace(string(got)) != hex.EncodeToString(sum[:]) {
		testenv.Missing(t, testenv.Node, errors.New("extension/node_modules is not installed from package-lock.json: run scripts/setup.sh"))
	}
}

// TestUnit runs the extension's unit tests with Node's test runner.
func TestUnit(t *testing.T) {
	installed(t)
	run(t, nil, "node", "--test", "--test-reporter=spec", "test/unit/")
}

// TestLint builds the extension and lints it with web-ext (Mozilla's
// addons-linter): no errors allowed.
func TestLint(t *testing.T) {
	installed(t)
	dir := t.TempDir()
	run(t, nil, "node", "build.mjs", "--out", dir)
	cmd := exec.Command("npx", "--no-install", "web-ext", "lint", "--source-dir", dir, "--output", "json", "--no-config-discovery")
	out, _ := cmd.Output()
	var res struct {
		Summary struct{ Errors, Warnings int } `json:"summary"`
		Errors  []struct{ Code, Message string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("web-ext lint: %v\n%s", err, out)
	}
	if res.Summary.Errors != 0 {
		t.Errorf("web-ext lint: %d errors: %+v", res.Summary.Errors, res.Errors)
	}
}

// sites are the destinations the sandbox renders, under realistic names,
// all on one loopback server.
func sites(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch host {
	case "www.example-shop.co.jp", "news.example-media.jp":
		io.WriteString(w, `<html><head><title>Example Shop</title></head><body><h1>セール開催中</h1><p>`+strings.Repeat("新着商品のお知らせです。", 20)+`</p></body></html>`)
	case "rakuten-card.account-check.top":
		io.WriteString(w, `<html><head><title>楽天カード ログイン</title></head><body><img alt="楽天カード" src="/logo.png"><form action="/p" method="post">ユーザID<input name="u"> パスワード<input type="password" name="p"><button>ログイン</button></form></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

// extensionKey returns a manifest "key" and the extension ID Chromium
// derives from it (the first 16 bytes of SHA-256 of the public key, in
// hex written with the letters a-p), so the click proxy can be told the
// extension's origin before the browser starts.
func extensionKey(t *testing.T) (key, id string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	var b strings.Builder
	for _, c := range hex.EncodeToString(sum[:16]) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(byte('a' + c - '0'))
		default:
			b.WriteByte(byte('a' + 10 + c - 'a'))
		}
	}
	return base64.StdEncoding.EncodeToString(der), b.String()
}

const e2eToken = "e2e-extension-token-0123456789"

// webmail is the local webmail-like page: top is the mail client with an
// iframe reading pane (pane), showing a long thread whose newest message
// is added by script (js) after the pane loaded, as a webmail client
// renders it: its links exist only in dynamically added content. lang is
// the pages' language (ja or en).
func webmail(codec *linktoken.Codec, lang string) (top, pane, js string, err error) {
	kensa, err := codec.Link(linktoken.Context{Issued: time.Now()}, "http://news.example-media.jp/story?id=7")
	if err != nil {
		return "", "", "", err
	}
	var old [2]strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&old[i/20], `<div class="msg"><p class="from">sender%d@example.jp</p><p>%s</p></div>`, i, strings.Repeat("以前のメッセージです。Earlier message. ", 8))
	}
	newest, _ := json.Marshal(`<p><a id="clean" href="http://www.example-shop.co.jp/sale?id=42">セール会場へ / To the sale</a></p>` +
		`<p><a id="phish" href="http://rakuten-card.account-check.top/login">楽天カードにログイン / Sign in to Rakuten Card</a></p>` +
		`<p><a id="kensa" href="` + html.EscapeString(kensa) + `">ニュースを読む / Read the news</a></p>`)
	js = `setTimeout(function () {
  var m = document.createElement('div');
  m.className = 'msg'; m.id = 'newest';
  m.innerHTML = ` + string(newest) + `;
  document.getElementById('thread').appendChild(m);
  document.body.dataset.ready = '1';
}, 50);`
	// The mismatched link is deep in the thread: the test scrolls to it.
	pane = `<!doctype html><html lang="` + lang + `"><head><meta charset="utf-8"><title>pane</title>
<style>body{font:14px sans-serif;margin:16px} .msg{border-bottom:1px solid #ddd;padding:8px 0} a{color:#15c}</style></head>
<body><div id="thread">` + old[0].String() + `<div class="msg"><p><a id="mismatch" href="http://www.example-shop.co.jp/track?o=1">https://www.amazon.co.jp/orders</a></p></div>` +
		old[1].String() + `</div>
<script src="/pane.js"></script></body></html>`
	top = `<!doctype html><html lang="` + lang + `"><head><meta charset="utf-8"><title>Webmail</title>
<style>body{margin:0;font:14px sans-serif;display:flex;height:100vh} nav{width:220px;background:#f1f3f4;padding:12px} iframe{flex:1;border:0;height:100vh}</style></head>
<body><nav><p>Inbox (41)</p></nav><iframe id="pane" title="reading pane" src="/pane?lang=` + lang + `"></iframe></body></html>`
	return top, pane, js, nil
}

// TestEndToEnd: the built extension in Debian's Chromium (playwright-core),
// a local webmail-like page, and a click proxy on loopback with real Redis
// and the real sandbox behind it.
func TestEndToEnd(t *testing.T) {
	testenv.Require(t, testenv.Chromium, testenv.Redis, testenv.Node)
	installed(t)
	chromium, _ := testenv.ChromiumPath()

	// The extension, with a key so that its ID is known in advance.
	extDir := t.TempDir()
	run(t, nil, "node", "build.mjs", "--out", extDir)
	key, extID := extensionKey(t)
	mf, err := os.ReadFile(filepath.Join(extDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(mf, &manifest); err != nil {
		t.Fatal(err)
	}
	manifest["key"] = key
	mf, _ = json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(extDir, "manifest.json"), mf, 0o644); err != nil {
		t.Fatal(err)
	}

	// The click proxy: real Redis, the real sandbox rendering sites.
	site, err := testsite.Start(http.HandlerFunc(sites))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	sb, err := inprocess.New(context.Background(), inprocess.Config{
		Browser:      browser.Config{RenderTimeout: 20 * time.Second, Concurrency: 2},
		TestMapHosts: site.Addr, TestTrustSPKI: []string{site.SPKI},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	events, err := clicklog.New(clicklog.Config{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		events.Close(ctx)
	})
	secret := make([]byte, linktoken.SecretSize)
	rand.Read(secret)
	kr, err := linktoken.NewKeyring(1, linktoken.Key{ID: 1, Secret: secret, Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// Links are under the public base; the extension talks to the server
	// on loopback: two different URLs, as in production.
	const linkBase = "https://kensa.example.co.jp"
	codec, err := linktoken.NewCodec(linkBase, kr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := clickproxy.New(clickproxy.Config{
		Codec: codec, Keyring: kr, Redis: rdb, Scanner: sb, Events: events,
		APITokens: []string{e2eToken}, ExtensionOrigins: []string{"chrome-extension://" + extID},
		RenderTimeout: 30 * time.Second, ClickLimit: clickproxy.RateLimit{Rate: -1}, APILimit: clickproxy.RateLimit{Rate: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &fasthttp.Server{Handler: srv.Handler(), ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Shutdown()
		srv.Close()
	})

	// The webmail page, on another loopback server.
	mux := http.NewServeMux()
	for path, part := range map[string]int{"/mail": 0, "/pane": 1, "/pane.js": 2} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			top, pane, js, err := webmail(codec, r.URL.Query().Get("lang"))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", []string{"text/html; charset=utf-8", "text/html; charset=utf-8", "text/javascript"}[part])
			io.WriteString(w, []string{top, pane, js}[part])
		})
	}
	mail := &http.Server{Handler: mux}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go mail.Serve(mln)
	t.Cleanup(func() { mail.Close() })

	shots := t.TempDir()
	if *screenshots {
		shots, _ = filepath.Abs("../docs/screenshots")
	}
	cfg, _ := json.Marshal(map[string]any{
		"chromium": chromium, "extension_dir": extDir, "extension_id": extID,
		"server_url": "http://" + ln.Addr().String(), "api_token": e2eToken, "link_base": linkBase,
		"webmail_url": "http://" + mln.Addr().String() + "/mail", "screenshots": shots,
	})
	cfgFile := filepath.Join(t.TempDir(), "e2e.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, []string{"KENSA_E2E=" + cfgFile}, "node", "--test", "--test-reporter=spec", "--test-timeout=600000", "test/e2e/")
}
