package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/egress"
)

// One browser for the whole test binary, behind a real egress proxy whose
// test-only host mapping sends every host name to the local test site.
var (
	shared     *Browser
	proxyURL   string // the egress proxy in front of the test site
	testSite   *site
	sharedTemp string
	skipReason string
)

func testLogger() *zap.Logger {
	if os.Getenv("KENSA_BROWSER_DEBUG") != "" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

// startProxy serves p on a loopback port and returns its URL.
func startProxy(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if _, err := exec.LookPath(findExecPath("")); err != nil {
		skipReason = "chromium is not installed (scripts/setup.sh installs it)"
		return m.Run()
	}
	var err error
	if testSite, err = startSite(); err != nil {
		fmt.Fprintln(os.Stderr, "test site:", err)
		return 1
	}
	defer testSite.close()
	px, err := egress.New(egress.Config{
		TestMapHosts: testSite.Addr,
		OnBlock:      func(h string, err error) { shared.OnBlock(h, err) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "egress:", err)
		return 1
	}
	var stop func()
	proxyURL, stop, err = startProxy(px)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		return 1
	}
	defer stop()
	if sharedTemp, err = os.MkdirTemp("", "kensa-browser-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(sharedTemp)
	shared, err = New(context.Background(), Config{ProxyURL: proxyURL, TempDir: sharedTemp, Log: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	code := m.Run()
	shared.Close()
	// Nothing of the shared browser may outlive Close either.
	if pids := processesUsing(sharedTemp); len(pids) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: chromium processes left after Close: %v\n", pids)
		code = 1
	}
	if left, _ := os.ReadDir(sharedTemp); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: profile dirs left after Close: %v\n", left)
		code = 1
	}
	return code
}

// needBrowser skips a test when Chromium is missing, or fails it with
// KENSA_REQUIRE (internal/testenv).
func needBrowser(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		testenv.Missing(t, testenv.Chromium, errors.New(skipReason))
	}
}

func render(t testing.TB, url, ua, lang string) *capture.Report {
	t.Helper()
	rep := shared.Render(context.Background(), url, ua, lang)
	t.Logf("%s: final=%s status=%d err=%q took=%s chain=%+v", url, rep.FinalURL, rep.Status, rep.Err, rep.Duration.Round(time.Millisecond), rep.Chain)
	if os.Getenv("KENSA_BROWSER_TEXT") != "" {
		t.Logf("text:\n%s", rep.Text)
	}
	return rep
}

func TestRedirectChainToLoginForm(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://click.mail-link.example/r/abc", "", "")
	if rep.Err != "" {
		t.Fatalf("Err = %q", rep.Err)
	}
	want := []capture.Hop{
		{URL: "http://click.mail-link.example/r/abc", Kind: "initial"},
		{URL: "http://hop1.redirector.example/meta", Kind: "http-redirect", Status: 302},
		{URL: "http://hop2.redirector.example/js", Kind: "meta-refresh"},
		{URL: "http://login.amazon-co-jp.example/signin?x=1", Kind: "script"},
	}
	if !slices.Equal(rep.Chain, want) {
		t.Errorf("chain:\n got %+v\nwant %+v", rep.Chain, want)
	}
	if rep.FinalURL != "http://login.amazon-co-jp.example/signin?x=1" || rep.Status != 200 {
		t.Errorf("final %q status %d", rep.FinalURL, rep.Status)
	}
	if rep.Title != "Amazon.co.jp サインイン" || !strings.Contains(rep.Text, "サインイン") {
		t.Errorf("title %q text %q", rep.Title, rep.Text)
	}
	if len(rep.Forms) != 1 {
		t.Fatalf("forms: %+v", rep.Forms)
	}
	f := rep.Forms[0]
	if f.Action != "http://login.amazon-co-jp.example/ap/signin-post" || f.Method != "POST" || f.Frame != rep.FinalURL {
		t.Errorf("form: %+v", f)
	}
	byName := map[string]capture.Input{}
	for _, in := range f.Inputs {
		byName[in.Name] = in
	}
	if pw := byName["password"]; pw.Type != "password" || !pw.Visible || pw.Label != "パスワード" || pw.Autocomplete != "current-password" || pw.ID != "pw" {
		t.Errorf("password input: %+v", pw)
	}
	if em := byName["email"]; em.Type != "email" || !em.Visible || em.Label != "Eメールまたは携帯電話番号" {
		t.Errorf("email input: %+v", em)
	}
	if h := byName["token"]; h.Type != "hidden" || h.Visible {
		t.Errorf("hidden input: %+v", h)
	}
	if h := byName["trap"]; h.Visible {
		t.Errorf("off-page input counted visible: %+v", h)
	}
	if len(f.Inputs) != 4 {
		t.Errorf("inputs (the button is not one): %+v", f.Inputs)
	}
	if len(rep.Images) != 1 || rep.Images[0].Alt != "amazon.co.jp" || rep.Images[0].Src != "http://login.amazon-co-jp.example/logo.png" {
		t.Errorf("images: %+v", rep.Images)
	}
	if !bytes.HasPrefix(rep.Screenshot, []byte{0xff, 0xd8, 0xff}) {
		t.Errorf("screenshot is not a JPEG (%d bytes)", len(rep.Screenshot))
	}
	if rep.UserAgent == "" || strings.Contains(rep.UserAgent, "Headless") || rep.Language != "ja-JP" || rep.Mobile {
		t.Errorf("ua %q lang %q mobile %v", rep.UserAgent, rep.Language, rep.Mobile)
	}
}

func TestFormsInSameOriginIframeAndShadowRoot(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://portal.example/frames", "", "")
	if rep.Err != "" {
		t.Fatalf("Err = %q", rep.Err)
	}
	var iframeForm, shadowForm *capture.Form
	for i, f := range rep.Forms {
		for _, in := range f.Inputs {
			switch in.Name {
			case "pass":
				if iframeForm != nil {
					t.Errorf("the same-origin iframe's form was read twice: %+v", rep.Forms)
				}
				iframeForm = &rep.Forms[i]
			case "pin":
				shadowForm = &rep.Forms[i]
			case "crosspw":
				t.Errorf("a cross-site iframe's form was read: %+v", f)
			}
		}
	}
	if iframeForm == nil || iframeForm.Frame != "http://portal.example/inner" || iframeForm.Action != "http://portal.example/post.php" || iframeForm.Method != "GET" {
		t.Errorf("same-origin iframe form: %+v (all: %+v)", iframeForm, rep.Forms)
	} else if in := iframeForm.Inputs[0]; in.Type != "password" || in.Placeholder != "パスワード" || in.ID != "ipw" || !in.Visible {
		t.Errorf("iframe input: %+v", in)
	}
	if shadowForm == nil || shadowForm.Action != "https://collect.evil.example/c" || shadowForm.Method != "POST" || shadowForm.Frame != "http://portal.example/frames" {
		t.Fatalf("shadow-root form: %+v (all: %+v)", shadowForm, rep.Forms)
	}
	if len(shadowForm.Inputs) != 2 || shadowForm.Inputs[0].Placeholder != "ログインID" || shadowForm.Inputs[1].Label != "暗証番号" || !shadowForm.Inputs[1].Visible {
		t.Errorf("shadow inputs: %+v", shadowForm.Inputs)
	}
	for _, s := range []string{"outer text", "inner text", "shadow text"} {
		if !strings.Contains(rep.Text, s) {
			t.Errorf("text lacks %q: %q", s, rep.Text)
		}
	}
	found := false
	for _, im := range rep.Images {
		found = found || im.Alt == "ゆうちょ銀行"
	}
	if !found {
		t.Errorf("the shadow root's logo is missing: %+v", rep.Images)
	}
}

// TestCallToAction: a page with no password field gets one click on its
// single sign-in link or script button, and never on a form's submit
// button, a link to another site, one of two different links, or a link
// in the page's navigation.
func TestCallToAction(t *testing.T) {
	needBrowser(t)
	drain := func() (hits []string) {
		for {
			select {
			case h := <-testSite.ctaHit:
				hits = append(hits, h)
			default:
				return hits
			}
		}
	}
	for _, page := range []string{"submit", "cross", "two", "nav"} {
		drain()
		rep := render(t, "http://cta.example/"+page, "", "")
		if rep.Clicked != "" || rep.Err != "" {
			t.Errorf("%s: clicked %q (err %q)", page, rep.Clicked, rep.Err)
		}
		if hits := drain(); len(hits) > 0 {
			t.Errorf("%s: the sandbox went to %v", page, hits)
		}
	}
	drain()
	rep := render(t, "http://cta.example/one", "", "")
	if rep.Clicked != "ログイン" || rep.FinalURL != "http://cta.example/login-a" || !hasSecretField(rep.Forms) {
		t.Errorf("one: clicked %q, final %q, forms %+v (err %q)", rep.Clicked, rep.FinalURL, rep.Forms, rep.Err)
	}
	if n := len(rep.Chain); n < 2 || rep.Chain[n-1].URL != "http://cta.example/login-a" {
		t.Errorf("one: chain %+v", rep.Chain)
	}
}

// TestFingerprint renders a page that reads what fingerprinting scripts
// read, with an older Chrome's User-Agent, and checks that the browser is
// consistent with a real one: the User-Agent and the client hints claim
// the engine's real major version, the window has an outer size, the
// screen has a taskbar, the timezone matches the language, and WebGL does
// not name SwiftShader.
func TestFingerprint(t *testing.T) {
	needBrowser(t)
	const oldChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	// navigator.userAgentData exists only in secure contexts: this
	// browser trusts the test site's certificate, so that the page can be
	// served over HTTPS.
	b, err := New(context.Background(), Config{ProxyURL: proxyURL, TempDir: sharedTemp, TestTrustSPKI: []string{testSite.SPKI}, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	realMajor, _, _ := strings.Cut(b.cur.engine, ".")
	if realMajor == "" {
		t.Fatalf("no engine version in %q", b.cur.version)
	}
	for _, tc := range []struct{ lang, tz string }{{"ja-JP", "Asia/Tokyo"}, {"en-US", "America/New_York"}} {
		rep := b.Render(context.Background(), "https://fp.example/", oldChrome, tc.lang)
		var fp struct {
			UA                                               string
			Brands                                           []struct{ Brand, Version string }
			OuterWidth, OuterHeight, InnerWidth, InnerHeight int
			Screen                                           struct{ Width, Height, AvailWidth, AvailHeight int }
			TimeZone                                         string
			WebGL                                            struct{ Vendor, Renderer, Error string }
		}
		if err := json.Unmarshal([]byte(rep.Text), &fp); err != nil {
			t.Fatalf("%s: %v in %q (err %q)", tc.lang, err, rep.Text, rep.Err)
		}
		t.Logf("%s: %+v", tc.lang, fp)
		if want := "Chrome/" + realMajor + ".0.0.0"; !strings.Contains(fp.UA, want) || rep.UserAgent != fp.UA {
			t.Errorf("User-Agent %q (report %q), want the engine's %s", fp.UA, rep.UserAgent, want)
		}
		if len(fp.Brands) == 0 {
			t.Errorf("no navigator.userAgentData.brands")
		}
		for _, br := range fp.Brands {
			if (br.Brand == "Chromium" || br.Brand == "Google Chrome") && br.Version != realMajor {
				t.Errorf("brand %s %s, want %s", br.Brand, br.Version, realMajor)
			}
		}
		if fp.OuterWidth <= 0 || fp.OuterHeight <= 0 || fp.OuterWidth < fp.InnerWidth || fp.OuterHeight <= fp.InnerHeight {
			t.Errorf("outer %dx%d for inner %dx%d", fp.OuterWidth, fp.OuterHeight, fp.InnerWidth, fp.InnerHeight)
		}
		if s := fp.Screen; s.AvailHeight >= s.Height || s.AvailWidth > s.Width || s.Height < fp.OuterHeight {
			t.Errorf("screen %+v: want a taskbar (availHeight < height) and room for the window", s)
		}
		if fp.TimeZone != tc.tz {
			t.Errorf("%s: timezone %q, want %q", tc.lang, fp.TimeZone, tc.tz)
		}
		if gl := strings.ToLower(fp.WebGL.Vendor + " " + fp.WebGL.Renderer); fp.WebGL.Error != "" || strings.Contains(gl, "swiftshader") || (gl != " " && !strings.Contains(gl, "intel")) {
			t.Errorf("WebGL %+v", fp.WebGL)
		}
	}
}

func TestDownloadIsRecordedNotOpened(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://delivery.example/track", androidUA, "")
	if rep.Err != "" {
		t.Fatalf("Err = %q", rep.Err)
	}
	if len(rep.Downloads) != 1 {
		t.Fatalf("downloads: %+v", rep.Downloads)
	}
	d := rep.Downloads[0]
	if d.FileName != "yamato-tracking.apk" || d.URL != "http://delivery.example/dl/yamato.apk" || d.Size != int64(len(apkBody)) {
		t.Errorf("download: %+v", d)
	}
	if d.MIMEType != "application/vnd.android.package-archive" {
		t.Errorf("MIME type %q", d.MIMEType)
	}
	if !bytes.HasPrefix(d.Magic, []byte("PK\x03\x04")) || len(d.Magic) > magicLen {
		t.Errorf("magic %q", d.Magic)
	}
	if n := len(rep.Chain); n < 2 || rep.Chain[n-1].URL != d.URL || rep.Chain[n-1].Kind != "script" {
		t.Errorf("chain: %+v", rep.Chain)
	}
	if !strings.Contains(rep.Text, "アプリをインストール") {
		t.Errorf("the lure page's text is missing: %q", rep.Text)
	}
	// The saved file is gone once the render has ended.
	waitFor(t, 5*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(sharedTemp, "kensa-chromium-*", "downloads", "*", "*"))
		return len(m) == 0
	}, "downloaded files still on disk")
}

// TestLateDownloadIsRecorded: a download that a timer starts 4 s after
// load is found by running the timers ahead (lookFurther); a capture at
// load plus Config.Settle would have missed it.
func TestLateDownloadIsRecorded(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://late.delivery.example/track", androidUA, "")
	if rep.Err != "" || len(rep.Downloads) != 1 || rep.Downloads[0].FileName != "yamato-tracking.apk" {
		t.Fatalf("err %q downloads %+v", rep.Err, rep.Downloads)
	}
}

func TestSmuggledDownloadIsRecorded(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://smuggle.example/", "", "")
	if rep.Err != "" || len(rep.Downloads) != 1 {
		t.Fatalf("err %q downloads %+v", rep.Err, rep.Downloads)
	}
	if d := rep.Downloads[0]; d.FileName != "invoice.exe" || !bytes.Equal(d.Magic, []byte{0x4d, 0x5a, 0x90, 0x00, 0x03}) || d.Size != 5 || !strings.HasPrefix(d.URL, "blob:http://smuggle.example/") {
		t.Errorf("download %+v", d)
	}
}

// A download past the cap is cancelled; its first bytes and announced size
// are kept, and the render does not wait for the rest.
func TestHugeDownloadIsCapped(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://files.example/huge.iso", "", "")
	if len(rep.Downloads) != 1 {
		t.Fatalf("downloads %+v (err %q)", rep.Downloads, rep.Err)
	}
	d := rep.Downloads[0]
	if d.FileName != "setup.iso" || d.Size != 100<<20 || !bytes.HasPrefix(d.Magic, []byte("MZ")) {
		t.Errorf("download %+v", d)
	}
	if rep.Err != "" {
		t.Errorf("err %q", rep.Err)
	}
}

func TestMobileUserAgentAndLanguage(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://ua.example/echo", iPhoneUA, "")
	if rep.Err != "" {
		t.Fatalf("Err = %q", rep.Err)
	}
	for _, want := range []string{"ua=" + iPhoneUA, "al=ja-JP", "w=390", "sw=390", "touch=5", "tz=Asia/Tokyo", "lang=ja-JP", "webdriver=false", "navua=" + iPhoneUA} {
		if !strings.Contains(rep.Text, want) {
			t.Errorf("page did not see %q:\n%s", want, rep.Text)
		}
	}
	if !rep.Mobile || rep.UserAgent != iPhoneUA || rep.Language != "ja-JP" {
		t.Errorf("mobile %v ua %q lang %q", rep.Mobile, rep.UserAgent, rep.Language)
	}
	// A desktop render with another language, and the timezone that goes
	// with it.
	rep = render(t, "http://ua.example/echo", "", "en-US,en;q=0.9")
	for _, want := range []string{"al=en-US", "w=1366", "touch=0", "tz=America/New_York", "lang=en-US", "webdriver=false"} {
		if !strings.Contains(rep.Text, want) {
			t.Errorf("page did not see %q:\n%s", want, rep.Text)
		}
	}
	if strings.Contains(rep.Text, "Headless") || rep.Mobile {
		t.Errorf("desktop render: mobile %v text %q", rep.Mobile, rep.Text)
	}
}

// Each render has a browser context of its own, also when its tab was
// opened ahead (a spare): a cookie or localStorage entry that one render's
// page set is not there for the next, nor a spare made meanwhile.
func TestRendersShareNoState(t *testing.T) {
	needBrowser(t)
	for i := range 2*cap(shared.spares) + 1 {
		rep := render(t, "http://state.example/", "", "")
		if rep.Err != "" || !strings.Contains(rep.Text, "sent=[] ls=[]") {
			t.Errorf("render %d: err %q, text %q: state of an earlier render", i, rep.Err, rep.Text)
		}
	}
}

// A page that never answers: the render ends by its deadline and says
// so (the outcome; how late it returns on a loaded machine is for
// benchmarks, not tests).
func TestHangingPageReturnsByDeadline(t *testing.T) {
	needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rep := shared.Render(ctx, "http://slow.example/hang", "", "")
	t.Logf("err=%q took=%s", rep.Err, rep.Duration)
	if !strings.Contains(rep.Err, "timed out") {
		t.Errorf("Err = %q, want a time-out", rep.Err)
	}
	if len(rep.Chain) != 1 || rep.Chain[0].Kind != "initial" {
		t.Errorf("chain %+v", rep.Chain)
	}
}

func TestStalledSubresourceStillCaptured(t *testing.T) {
	needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rep := shared.Render(ctx, "http://stall.example/page", "", "")
	if rep.Err != "" || !strings.Contains(rep.Text, "parsed fine") || rep.Title != "stall" {
		t.Errorf("err %q title %q text %q", rep.Err, rep.Title, rep.Text)
	}
}

func TestDelayedMetaRefreshIsFollowed(t *testing.T) {
	needBrowser(t)
	rep := render(t, "http://meta.example/delay", "", "")
	if rep.Err != "" || rep.FinalURL != "http://meta.example/after" || len(rep.Chain) != 2 || rep.Chain[1].Kind != "meta-refresh" {
		t.Errorf("err %q final %q chain %+v", rep.Err, rep.FinalURL, rep.Chain)
	}
}

func TestCertificateErrorIsASignal(t *testing.T) {
	needBrowser(t)
	rep := render(t, "https://secure.bank.example/login", "", "")
	if !strings.HasPrefix(rep.CertError, "net::ERR_CERT_") {
		t.Errorf("CertError = %q", rep.CertError)
	}
	if rep.Err != "" {
		t.Errorf("a certificate error is a finding, not a failed render: Err = %q", rep.Err)
	}
	if len(rep.Forms) != 0 {
		t.Errorf("the page behind the bad certificate was rendered: %+v", rep.Forms)
	}
}

func TestNotHTTPRefused(t *testing.T) {
	needBrowser(t)
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "chrome://version", "data:text/html,hi", "ftp://x.example/"} {
		if rep := shared.Render(context.Background(), u, "", ""); rep.Err == "" {
			t.Errorf("%s: rendered", u)
		}
	}
}

// A tab whose renderer crashes gives Err at once; the browser lives on.
func TestRendererCrash(t *testing.T) {
	needBrowser(t)
	testHookNavigated = func(ctx context.Context, url string) {
		if strings.Contains(url, "crash.example") {
			go chromedp.Call(ctx, page.Crash, cdp.Empty{}) // no reply comes from a crashed tab
		}
	}
	defer func() { testHookNavigated = nil }()
	rep := render(t, "http://crash.example/page", "", "")
	if rep.Err != "the page crashed" {
		t.Errorf("Err = %q", rep.Err)
	}
	if rep := render(t, "http://www.news.example/", "", ""); rep.Err != "" {
		t.Errorf("next render: %q", rep.Err)
	}
}

// A page that spins its main thread cannot be read: Err, by the deadline.
func TestBusyPageReturnsByDeadline(t *testing.T) {
	needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rep := shared.Render(ctx, "http://busy.example/loop", "", "")
	t.Logf("err=%q took=%s", rep.Err, rep.Duration)
	if rep.Err == "" {
		t.Errorf("Err = %q", rep.Err)
	}
	if rep := render(t, "http://www.news.example/", "", ""); rep.Err != "" {
		t.Errorf("next render: %q", rep.Err)
	}
}

// A crash mid-render gives Err at once, and the next render gets a new
// browser.
func TestBrowserCrashMidRender(t *testing.T) {
	needBrowser(t)
	for len(testSite.hangHit) > 0 {
		<-testSite.hangHit
	}
	done := make(chan *capture.Report, 1)
	go func() { done <- shared.Render(context.Background(), "http://slow.example/hang", "", "") }()
	select {
	case <-testSite.hangHit:
	case <-time.After(5 * time.Second):
		t.Fatal("the render never reached the server")
	}
	shared.mu.Lock()
	g := shared.cur
	shared.mu.Unlock()
	if err := syscall.Kill(g.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case rep := <-done:
		t.Logf("err=%q after %s", rep.Err, time.Since(start))
		if !strings.Contains(rep.Err, "crashed") {
			t.Errorf("Err = %q", rep.Err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the render hung after the browser died")
	}
	rep := render(t, "http://www.news.example/", "", "")
	if rep.Err != "" || rep.Title != "ニュース" {
		t.Errorf("after a crash: err %q title %q", rep.Err, rep.Title)
	}
	shared.mu.Lock()
	g2 := shared.cur
	shared.mu.Unlock()
	if g2 == g || g2.pid == g.pid {
		t.Errorf("the browser was not replaced")
	}
	waitFor(t, 5*time.Second, func() bool { return len(processesUsing(g.dataDir)) == 0 }, "processes of the crashed browser left")
	waitFor(t, 5*time.Second, func() bool { _, err := os.Stat(g.dataDir); return os.IsNotExist(err) }, "profile of the crashed browser left")
}

// Close (and recycling) leave no process and no temporary profile.
func TestCloseLeavesNothing(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	px, _ := egress.New(egress.Config{TestMapHosts: testSite.Addr})
	u, stop, err := startProxy(px)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	b, err := New(context.Background(), Config{ProxyURL: u, TempDir: dir, RecycleAfter: 1, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i := 0; i < 2; i++ {
		rep := b.Render(context.Background(), "http://delivery.example/track", "", "")
		if rep.Err != "" {
			t.Errorf("render %d: %q", i, rep.Err)
		}
		b.mu.Lock()
		pids = append(pids, b.cur.pid)
		b.mu.Unlock()
	}
	if pids[0] == pids[1] {
		t.Errorf("RecycleAfter 1 did not recycle: pids %v", pids)
	}
	if len(processesUsing(dir)) == 0 {
		t.Fatal("test is blind: no chromium process found before Close")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if p := processesUsing(dir); len(p) > 0 {
		t.Errorf("processes left after Close: %v", p)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !bytes.Contains(st, []byte(") Z")) {
				t.Errorf("browser pid %d still runs", pid)
			}
		}
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left in the temp dir: %v", left)
	}
	if rep := b.Render(context.Background(), "http://www.news.example/", "", ""); rep.Err == "" {
		t.Error("Render after Close worked")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func waitFor(t testing.TB, d time.Duration, ok func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Error(msg)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
