package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

//go:embed extract.js
var extractJS string

const (
	maxTextBytes = 8 << 10 // Report.Text
	maxHops      = 50
	magicLen     = 32 // Download.Magic
	// maxNetWait bounds how long after the load event requests still in
	// flight (XHR, fetch, scripts) delay the capture.
	maxNetWait = 2 * time.Second
	// maxMetaWait is the longest meta refresh delay waited for.
	maxMetaWait = 5 * time.Second
	// tokyo is the timezone every render uses.
	tokyo = "Asia/Tokyo"
)

// testHookNavigated, when set (by tests only), runs right after the
// navigation command returned.
var testHookNavigated func(ctx context.Context, url string)

// deniedPermissions are set to "denied" in every browser context. Names
// Chromium does not know are skipped.
var deniedPermissions = []string{
	"notifications", "geolocation", "camera", "microphone", "clipboard-read",
	"midi", "push", "idle-detection", "local-network-access", "storage-access",
}

type viewport struct {
	width, height int64
	dpr           float64
	mobile        bool
	platform      string // navigator.platform; "" leaves Chromium's
}

var desktopViewport = viewport{width: 1366, height: 768, dpr: 1}

// deviceFor picks the viewport a User-Agent implies: phones and tablets get
// a mobile viewport with touch, so that kits that cloak by device show the
// page they show a phone.
func deviceFor(ua string) viewport {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "ipad"):
		return viewport{820, 1180, 2, true, "iPad"}
	case strings.Contains(l, "iphone"), strings.Contains(l, "ipod"):
		return viewport{390, 844, 3, true, "iPhone"}
	case strings.Contains(l, "android") && strings.Contains(l, "mobile"):
		return viewport{412, 915, 2.625, true, "Linux armv8l"}
	case strings.Contains(l, "android"):
		return viewport{800, 1280, 2, true, "Linux armv8l"}
	case strings.Contains(l, "mobile"):
		return viewport{412, 915, 2.625, true, ""}
	}
	v := desktopViewport
	switch {
	case strings.Contains(l, "windows"):
		v.platform = "Win32"
	case strings.Contains(l, "macintosh"):
		v.platform = "MacIntel"
	case strings.Contains(l, "linux"), strings.Contains(l, "x11"):
		v.platform = "Linux x86_64"
	}
	return v
}

// clientHints are the UA client hints (Sec-CH-UA, navigator.userAgentData)
// that go with a Chromium-based User-Agent; nil for any other browser,
// which sends none. Without them an overridden Chrome UA would come with no
// client hints at all, which a cloaking kit can notice.
func clientHints(ua string, dev viewport) *emulation.UserAgentMetadata {
	i := strings.Index(ua, "Chrome/")
	if i < 0 || strings.Contains(ua, "CriOS/") {
		return nil
	}
	full := ua[i+len("Chrome/"):]
	if j := strings.IndexAny(full, " ;)"); j >= 0 {
		full = full[:j]
	}
	major, _, _ := strings.Cut(full, ".")
	if _, err := strconv.Atoi(major); err != nil {
		return nil
	}
	brand := "Google Chrome"
	if k := strings.Index(ua, "Edg/"); k >= 0 {
		brand = "Microsoft Edge"
	}
	m := &emulation.UserAgentMetadata{
		Brands: []*emulation.UserAgentBrandVersion{
			{Brand: "Not)A;Brand", Version: "8"}, {Brand: "Chromium", Version: major}, {Brand: brand, Version: major},
		},
		FullVersionList: []*emulation.UserAgentBrandVersion{
			{Brand: "Not)A;Brand", Version: "8.0.0.0"}, {Brand: "Chromium", Version: full}, {Brand: brand, Version: full},
		},
		Mobile: dev.mobile,
	}
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "android"):
		m.Platform = "Android"
		// "Linux; Android 14; SH-M26)" names the model.
		if _, rest, ok := strings.Cut(ua, "Android "); ok {
			if parts := strings.SplitN(rest, ";", 3); len(parts) >= 2 {
				m.PlatformVersion = strings.TrimSpace(parts[0])
				m.Model = strings.TrimSpace(strings.SplitN(parts[1], ")", 2)[0])
			}
		}
	case strings.Contains(l, "windows"):
		m.Platform, m.Architecture, m.Bitness = "Windows", "x86", "64"
	case strings.Contains(l, "macintosh"):
		m.Platform, m.Architecture, m.Bitness = "macOS", "arm", "64"
	case strings.Contains(l, "cros"):
		m.Platform, m.Architecture, m.Bitness = "Chrome OS", "x86", "64"
	default:
		m.Platform, m.Architecture, m.Bitness = "Linux", "x86", "64"
	}
	return m
}

// acceptLanguage turns the clicker's language (a tag such as "ja-JP", or a
// whole Accept-Language header) into the list Chromium expects ("ja-JP,ja")
// and the first tag for the locale. The default is ja-JP.
func acceptLanguage(lang string) (list, first string) {
	var tags []string
	for _, p := range strings.Split(lang, ",") {
		p, _, _ = strings.Cut(p, ";")
		p = strings.TrimSpace(p)
		if p == "" || p == "*" || len(p) > 35 || strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			continue
		}
		tags = append(tags, p)
		if len(tags) == 8 {
			break
		}
	}
	if len(tags) == 0 {
		tags = []string{"ja-JP"}
	}
	return strings.Join(tags, ","), tags[0]
}

// Render renders rawURL as the clicker (User-Agent ua, language lang)
// would see it and reports what it saw. It never returns later than its
// deadline (RenderTimeout or ctx's, the earlier) plus the time to return;
// when the render fails, Report.Err says why.
func (b *Browser) Render(ctx context.Context, rawURL, ua, lang string) *capture.Report {
	start := time.Now()
	rep := &capture.Report{URL: rawURL, StartedAt: start}
	defer func() { rep.Duration = time.Since(start) }()

	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		rep.Err = "not an http or https URL"
		return rep
	}
	deadline := start.Add(b.cfg.RenderTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		rep.Err = "no free tab before the deadline: " + ctx.Err().Error()
		return rep
	}
	g, err := b.acquire(ctx)
	if err != nil {
		<-b.sem
		rep.Err = err.Error()
		return rep
	}
	if ua == "" {
		ua = g.ua
	}
	al, locale := acceptLanguage(lang)
	dev := deviceFor(ua)
	rep.UserAgent, rep.Language, rep.Mobile = ua, al, dev.mobile

	r := &run{
		b: b, g: g, rep: rep, dev: dev, locale: locale,
		deadline: deadline,
		st:       newRenderState(start),
		id:       b.renderSeq.Add(1),
	}
	r.dlDir = filepath.Join(g.dataDir, "downloads", strconv.FormatUint(r.id, 10))
	b.addActive(r.st)
	cleanup := r.do(ctx)
	rep.Blocked = b.takeBlocks(r.st)
	if rep.Err == "" {
		final := normHostPort(hostOf(rep.FinalURL))
		for _, bl := range rep.Blocked {
			if bl.Host == final {
				rep.Err = "the egress proxy refused the final page's host " + bl.Host
				break
			}
		}
	}
	// Closing the tab and its browser context can take a moment; the
	// report is ready now. The semaphore is held until the tab is gone.
	go func() {
		defer b.bg.Done() // counted by acquire
		cleanup()
		os.RemoveAll(r.dlDir)
		b.release(g)
		<-b.sem
	}()
	b.log.Debug("rendered", zap.Uint64("render", r.id), zap.String("url", rawURL), zap.String("final", rep.FinalURL),
		zap.Int("hops", len(rep.Chain)), zap.Duration("took", time.Since(start)), zap.String("err", rep.Err))
	return rep
}

func hostOf(raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", ""
	}
	return u.Host, u.Scheme
}

// run is one render.
type run struct {
	b        *Browser
	g        *generation
	rep      *capture.Report
	dev      viewport
	locale   string
	deadline time.Time
	st       *renderState
	id       uint64
	dlDir    string
	bcID     cdp.BrowserContextID
}

// do renders into r.rep and returns the clean-up (close the tab and its
// browser context), which may block for a moment.
func (r *run) do(ctx context.Context) (cleanup func()) {
	b, rep, st := r.b, r.rep, r.st
	tabCtx, tabCancel := chromedp.NewContext(r.g.ctx,
		chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			p.ProxyServer = b.proxy.Scheme + "://" + b.proxy.Host
			p.ProxyBypassList = "<-loopback>"
		}),
		chromedp.WithListener(st.onEvent),
	)
	rctx, rcancel := context.WithDeadline(tabCtx, r.deadline)
	stop := context.AfterFunc(ctx, rcancel) // the caller gave up
	var wg sync.WaitGroup
	cleanup = func() { tabCancel() }
	defer func() {
		stop()
		rcancel()
		wg.Wait()
	}()

	// The reserve keeps time for the capture after the navigation phase.
	reserve := min(1500*time.Millisecond, r.deadline.Sub(rep.StartedAt)/4)
	navDeadline := r.deadline.Add(-reserve)

	fail := func(what string, err error) {
		switch {
		case r.g.ctx.Err() != nil, browserGone(err):
			rep.Err = "the browser crashed or was closed"
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
			rep.Err = fmt.Sprintf("timed out after %s (%s)", time.Since(rep.StartedAt).Round(time.Millisecond), what)
		case ctx.Err() != nil:
			rep.Err = "canceled (" + what + ")"
		default:
			rep.Err = what + ": " + err.Error()
		}
	}

	// A new incognito browser context and its tab.
	if err := chromedp.Do(rctx); err != nil {
		fail("opening a tab", err)
		return cleanup
	}
	c := chromedp.FromContext(rctx)
	r.bcID = c.BrowserContextID
	st.setMain(cdp.FrameID(c.Target.TargetID))
	if err := chromedp.ListenBrowser(rctx, st.onBrowserEvent); err != nil {
		fail("listening", err)
		return cleanup
	}
	// Dialogs block the page's scripts and our own reads: dismiss them.
	dialogs := chromedp.Events(rctx, page.JavascriptDialogOpening)
	wg.Go(func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			accept := ev.Type == page.DialogTypeAlert || ev.Type == page.DialogTypeBeforeunload
			chromedp.Call(rctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	})
	if err := r.setup(rctx); err != nil {
		fail("setting up the tab", err)
		return cleanup
	}

	// Navigate (GET), then wait for the page to settle.
	navCtx, navCancel := context.WithDeadline(rctx, navDeadline)
	res, err := chromedp.Call(navCtx, page.Navigate, page.NavigateParams{URL: rep.URL})
	if err == nil && res.ErrorText != "" {
		st.navError(res.ErrorText, rep.URL)
	}
	timedOut := err != nil && navCtx.Err() != nil
	if err != nil && !timedOut {
		navCancel()
		fail("navigating", err)
		return cleanup
	}
	if testHookNavigated != nil {
		testHookNavigated(rctx, rep.URL)
	}
	for round := 0; !timedOut && round < 3; round++ {
		timedOut = r.settle(navCtx)
		if timedOut || st.snapshot().crashed {
			break
		}
		delay, ok := r.metaRefreshDelay(navCtx)
		if !ok {
			break
		}
		// A meta refresh with a delay: wait for it if it fits.
		wait := time.Until(st.snapshot().loadAt.Add(delay + b.cfg.Settle))
		if delay > maxMetaWait || time.Now().Add(wait).After(navDeadline) {
			break
		}
		select {
		case <-time.After(wait):
		case <-navCtx.Done():
		}
	}
	navCancel()
	r.finishDownloads(rctx)

	s := st.snapshot()
	rep.Chain = s.chain
	rep.Status = s.status
	rep.CertError = s.certErr
	rep.Downloads = s.downloadList()
	rep.FinalURL = s.lastHopURL(rep.URL)

	switch {
	case s.crashed:
		rep.Err = "the page crashed"
		return cleanup
	case r.g.ctx.Err() != nil:
		rep.Err = "the browser crashed or was closed"
		return cleanup
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		rep.Err = "canceled"
		return cleanup
	}
	if !s.committed {
		if len(rep.Downloads) == 0 {
			switch {
			case s.mainErr != "" && !isCertError(s.mainErr):
				rep.Err = "the page failed to load: " + s.mainErr
			case s.mainErr != "":
				// The certificate error is the finding (Report.CertError).
			case timedOut:
				rep.Err = fmt.Sprintf("timed out after %s: the page did not load", time.Since(rep.StartedAt).Round(time.Millisecond))
			default:
				rep.Err = "the page did not load"
			}
		}
		return cleanup
	}

	// Capture what the page shows.
	if s.mainErr == "" {
		if ex, err := r.extract(rctx); err != nil {
			fail("reading the page", err)
		} else {
			rep.Title = ex.Title
			rep.Text = truncateUTF8(ex.Text, maxTextBytes)
			rep.Forms = ex.Forms
			rep.Images = ex.Images
			rep.Links = ex.Links
			rep.Scripts = capture.Scripts{Sources: ex.ScriptSrcs, Inline: ex.Inline}
			if ex.URL != "" && !strings.HasPrefix(ex.URL, "about:") && !strings.HasPrefix(ex.URL, "chrome-error:") {
				rep.FinalURL = ex.URL
			}
		}
	}
	if shot, err := r.screenshot(rctx); err == nil {
		rep.Screenshot = shot
	} else {
		b.log.Debug("no screenshot", zap.Uint64("render", r.id), zap.Error(err))
	}
	if rep.Err == "" {
		switch {
		case s.mainErr != "" && !isCertError(s.mainErr) && s.mainErr != "net::ERR_ABORTED":
			rep.Err = "the final page failed to load: " + s.mainErr
		case timedOut && !s.sawDCL:
			rep.Err = fmt.Sprintf("timed out after %s: the page did not finish loading", time.Since(rep.StartedAt).Round(time.Millisecond))
		}
	}
	return cleanup
}

// setup makes the tab look like the clicker's browser and locks it down.
func (r *run) setup(ctx context.Context) error {
	dev, rep := r.dev, r.rep
	if err := os.MkdirAll(r.dlDir, 0o700); err != nil {
		return err
	}
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: r.bcID,
		DownloadPath:     r.dlDir,
		EventsEnabled:    new(true),
	}); err != nil {
		return err
	}
	for _, name := range deniedPermissions {
		// Unknown names fail; the known ones are what matters.
		chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission:       &cdpbrowser.PermissionDescriptor{Name: name, UserVisibleOnly: name == "push"},
			Setting:          cdpbrowser.PermissionSettingDenied,
			BrowserContextID: r.bcID,
		})
	}
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: rep.UserAgent, AcceptLanguage: rep.Language, Platform: dev.platform,
		UserAgentMetadata: clientHints(rep.UserAgent, dev),
	}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: dev.width, Height: dev.height, DeviceScaleFactor: dev.dpr, Mobile: dev.mobile,
		ScreenWidth: dev.width, ScreenHeight: dev.height,
	}); err != nil {
		return err
	}
	touch := emulation.SetTouchEmulationEnabledParams{Enabled: dev.mobile}
	if dev.mobile {
		touch.MaxTouchPoints = 5
	}
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, touch); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tokyo}); err != nil {
		return err
	}
	chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(r.locale, "-", "_")})
	// Chromium fetches /favicon.ico by itself; the page did not ask for it.
	chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
		{URLPattern: "*://*:*/favicon.ico", Block: true},
	}})
	return nil
}

// settle waits until the main frame has loaded and stayed quiet for
// Config.Settle, and the downloads are done or capped. It reports whether
// ctx (the navigation deadline) ended first.
func (r *run) settle(ctx context.Context) (timedOut bool) {
	quiet := r.b.cfg.Settle
	for {
		r.capDownloads(ctx)
		now := time.Now()
		s := r.st.snapshot()
		if s.crashed {
			return false
		}
		last := s.lastNav
		netCounts := s.loadAt.IsZero() || now.Sub(s.loadAt) < maxNetWait
		if netCounts && s.lastNet.After(last) {
			last = s.lastNet
		}
		busy := s.mainLoading || s.downloadsBusy(r.b.cfg.DownloadMaxBytes) || (netCounts && s.inflight > 0)
		idle := now.Sub(last)
		if !busy && idle >= quiet {
			return false
		}
		wait := 100 * time.Millisecond
		if !busy {
			wait = max(quiet-idle, 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-r.st.wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return true
		}
		t.Stop()
	}
}

// evalIsolated evaluates js in a fresh isolated world of the main frame
// (the page cannot see it or change the built-ins it uses) and returns the
// string it produced.
func (r *run) evalIsolated(ctx context.Context, js string) (string, error) {
	w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: r.st.mainFrame(), WorldName: "kensa",
	})
	if err != nil {
		return "", err
	}
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: js, ContextID: w.ExecutionContextID, ReturnByValue: new(true), Silent: new(true),
	})
	if err != nil {
		return "", err
	}
	if res.ExceptionDetails != nil {
		return "", fmt.Errorf("script: %s", res.ExceptionDetails.Text)
	}
	var s string
	if res.Result == nil || json.Unmarshal([]byte(res.Result.Value), &s) != nil {
		return "", errors.New("script returned no string")
	}
	return s, nil
}

type extraction struct {
	URL         string          `json:"url"`
	Title       string          `json:"title"`
	Text        string          `json:"text"`
	Forms       []capture.Form  `json:"forms"`
	Images      []capture.Image `json:"images"`
	Links       []capture.Link  `json:"links"`
	ScriptSrcs  []string        `json:"scriptSources"`
	Inline      string          `json:"inlineScripts"`
	MetaRefresh *float64        `json:"metaRefresh"`
}

func (r *run) extract(ctx context.Context) (*extraction, error) {
	s, err := r.evalIsolated(ctx, extractJS)
	if err != nil {
		return nil, err
	}
	var ex extraction
	if err := json.Unmarshal([]byte(s), &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}

// metaRefreshDelay reports the delay of a <meta http-equiv=refresh> in the
// current document.
func (r *run) metaRefreshDelay(ctx context.Context) (time.Duration, bool) {
	s, err := r.evalIsolated(ctx, `(() => { const m = document.querySelector('meta[http-equiv="refresh" i]'); if (!m) return ''; const x = /^\s*(\d+(?:\.\d*)?)/.exec(m.getAttribute('content') || ''); return x ? x[1] : ''; })()`)
	if err != nil || s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// screenshot is a JPEG of the viewport, at one image pixel per CSS pixel.
func (r *run) screenshot(ctx context.Context) ([]byte, error) {
	p := page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatJpeg, Quality: new(int64(70)), OptimizeForSpeed: new(true),
	}
	if r.dev.dpr != 1 {
		p.Clip = &page.Viewport{Width: float64(r.dev.width), Height: float64(r.dev.height), Scale: 1 / r.dev.dpr}
	}
	res, err := chromedp.Call(ctx, page.CaptureScreenshot, p)
	return res.Data, err
}

// capDownloads cancels downloads past the cap, keeping their first bytes.
func (r *run) capDownloads(ctx context.Context) {
	for _, d := range r.st.downloadsOver(r.b.cfg.DownloadMaxBytes) {
		r.st.setMagic(d.guid, r.readMagic(d.guid, d.filePath))
		chromedp.CallBrowser(ctx, cdpbrowser.CancelDownload, cdpbrowser.CancelDownloadParams{GUID: d.guid, BrowserContextID: r.bcID})
	}
}

// finishDownloads reads the first bytes of every download and cancels the
// ones still running.
func (r *run) finishDownloads(ctx context.Context) {
	r.capDownloads(ctx)
	for _, d := range r.st.snapshot().downloads {
		if d.magic == nil {
			r.st.setMagic(d.guid, r.readMagic(d.guid, d.filePath))
		}
		if d.state == cdpbrowser.DownloadProgressStateInProgress || d.state == "" {
			chromedp.CallBrowser(ctx, cdpbrowser.CancelDownload, cdpbrowser.CancelDownloadParams{GUID: d.guid, BrowserContextID: r.bcID})
		}
	}
}

// readMagic reads the first bytes of a download. It only reads them.
func (r *run) readMagic(guid, filePath string) []byte {
	cands := []string{}
	if filePath != "" && strings.HasPrefix(filepath.Clean(filePath), r.dlDir+string(filepath.Separator)) {
		cands = append(cands, filePath)
	}
	if m, _ := filepath.Glob(filepath.Join(r.dlDir, filepath.Base(guid)+"*")); m != nil {
		cands = append(cands, m...)
	}
	for _, p := range cands {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		buf := make([]byte, magicLen)
		n, _ := io.ReadFull(f, buf)
		f.Close()
		if n > 0 {
			return buf[:n]
		}
	}
	return nil
}

func isCertError(s string) bool {
	return strings.HasPrefix(s, "net::ERR_CERT_") || s == "net::ERR_BAD_SSL_CLIENT_AUTH_CERT" || s == "net::ERR_SSL_PINNED_KEY_NOT_IN_CERT_CHAIN"
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// renderState is what the tab's events tell about one render. The
// listeners run in chromedp's read loops; they only record and wake the
// render.
type renderState struct {
	start time.Time
	wake  chan struct{}

	mu    sync.Mutex
	main  cdp.FrameID
	s     stateSnapshot
	hosts map[string]bool
	docs  map[network.RequestID]bool // the main frame's document requests
	live  map[network.RequestID]bool // documents, scripts, XHR and fetches in flight
	mimes map[string]string          // response MIME type by URL
	mine  map[cdp.FrameID]bool       // this tab's frames
	dls   map[string]*download
	// the downloads by GUID, in the order they began
	dlOrder []string
	// the reason of the main frame's last requested navigation
	pendingReason page.ClientNavigationReason
}

type stateSnapshot struct {
	chain       []capture.Hop
	status      int
	certErr     string
	mainErr     string // the main frame's current document failed
	mainLoading bool
	committed   bool // the main frame has a document other than the first about:blank
	sawDCL      bool
	crashed     bool
	lastNav     time.Time
	lastNet     time.Time
	loadAt      time.Time
	inflight    int
	downloads   []download
}

type download struct {
	guid, url, name, mime string
	total, received       float64
	state                 cdpbrowser.DownloadProgressState
	filePath              string
	magic                 []byte
	capped                bool
}

func newRenderState(start time.Time) *renderState {
	return &renderState{
		start: start,
		wake:  make(chan struct{}, 1),
		s:     stateSnapshot{lastNav: start},
		hosts: map[string]bool{},
		docs:  map[network.RequestID]bool{},
		live:  map[network.RequestID]bool{},
		mimes: map[string]string{},
		mine:  map[cdp.FrameID]bool{},
		dls:   map[string]*download{},
	}
}

func (r *renderState) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *renderState) setMain(id cdp.FrameID) {
	r.mu.Lock()
	r.main = id
	r.mine[id] = true
	r.mu.Unlock()
}

func (r *renderState) mainFrame() cdp.FrameID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.main
}

func (r *renderState) requestedHosts() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]bool, len(r.hosts))
	for h := range r.hosts {
		m[h] = true
	}
	return m
}

func (r *renderState) snapshot() stateSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.chain = append([]capture.Hop(nil), r.s.chain...)
	s.inflight = len(r.live)
	for _, g := range r.dlOrder {
		s.downloads = append(s.downloads, *r.dls[g])
	}
	return s
}

func (r *renderState) navError(text, u string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isCertError(text) && r.s.certErr == "" {
		r.s.certErr = text + " (" + u + ")"
	}
	if text != "net::ERR_ABORTED" || len(r.dls) == 0 {
		if r.s.mainErr == "" {
			r.s.mainErr = text
		}
	}
}

func (r *renderState) onEvent(ev any) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notify()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if e.Request == nil {
			return
		}
		if pu, err := url.Parse(e.Request.URL); err == nil && pu.Host != "" {
			r.hosts[normHostPort(pu.Host, pu.Scheme)] = true
		}
		// Scripts, XHR and fetches can still navigate the page. (Iframe
		// documents are left out: a cross-site iframe finishes in its own
		// process, whose events this tab does not get.)
		switch e.Type {
		case network.ResourceTypeScript, network.ResourceTypeXHR, network.ResourceTypeFetch:
			r.live[e.RequestID] = true
			r.s.lastNet = now
		}
		if e.Type != network.ResourceTypeDocument || e.FrameID != r.main || r.main == "" {
			return
		}
		r.docs[e.RequestID] = true
		r.s.lastNav = now
		r.s.mainErr = ""
		hop := capture.Hop{URL: e.Request.URL}
		switch {
		case e.RedirectResponse != nil:
			hop.Kind, hop.Status = "http-redirect", int(e.RedirectResponse.Status)
			// Chromium's own upgrade of a preloaded-HSTS name to https is
			// a fake 307 (Non-Authoritative-Reason: HSTS); the site sent
			// no redirect, so the hop says so.
			for k := range e.RedirectResponse.Headers {
				if strings.EqualFold(k, "Non-Authoritative-Reason") {
					hop.Kind = "https-upgrade"
				}
			}
		case len(r.s.chain) == 0:
			hop.Kind = "initial"
		default:
			switch r.pendingReason {
			case page.ClientNavigationReasonMetaTagRefresh, page.ClientNavigationReasonHTTPHeaderRefresh:
				hop.Kind = "meta-refresh"
			case page.ClientNavigationReasonScriptInitiated:
				hop.Kind = "script"
			case "":
				hop.Kind = "other"
				if e.Initiator != nil && e.Initiator.Type == network.InitiatorTypeScript {
					hop.Kind = "script"
				}
			default:
				hop.Kind = "other"
			}
		}
		r.pendingReason = ""
		if len(r.s.chain) < maxHops {
			r.s.chain = append(r.s.chain, hop)
		}
	case *network.EventResponseReceived:
		if e.Response == nil {
			return
		}
		if len(r.mimes) >= 512 {
			clear(r.mimes)
		}
		r.mimes[e.Response.URL] = e.Response.MimeType
		// The browser target's downloadWillBegin can arrive before the
		// page target's response: fill in the download's type then.
		for _, d := range r.dls {
			if d.mime == "" && d.url == e.Response.URL {
				d.mime = e.Response.MimeType
			}
		}
		if e.Type == network.ResourceTypeDocument && e.FrameID == r.main && r.docs[e.RequestID] {
			r.s.status = int(e.Response.Status)
		}
	case *network.EventLoadingFinished:
		delete(r.live, e.RequestID)
	case *network.EventLoadingFailed:
		delete(r.live, e.RequestID)
		if isCertError(e.ErrorText) && r.s.certErr == "" {
			r.s.certErr = e.ErrorText
		}
		// ERR_ABORTED: a navigation that another one replaced, or that
		// turned into a download.
		if r.docs[e.RequestID] && !e.Canceled && e.ErrorText != "net::ERR_ABORTED" {
			r.s.mainErr = e.ErrorText
		}
	case *page.EventFrameRequestedNavigation:
		if e.FrameID == r.main {
			r.pendingReason = e.Reason
			r.s.lastNav = now
		}
	case *page.EventFrameStartedLoading:
		if e.FrameID == r.main {
			r.s.mainLoading = true
			r.s.lastNav = now
		}
	case *page.EventFrameStoppedLoading:
		if e.FrameID == r.main {
			r.s.mainLoading = false
			r.s.lastNav = now
		}
	case *page.EventFrameAttached:
		r.mine[e.FrameID] = true
	case *page.EventFrameNavigated:
		if e.Frame == nil {
			return
		}
		r.mine[e.Frame.ID] = true
		if e.Frame.ID == r.main && r.main != "" {
			r.s.sawDCL = false
			if e.Frame.URL != "about:blank" {
				r.s.committed = true
			}
			r.s.lastNav = now
		}
	case *page.EventDomContentEventFired:
		r.s.sawDCL = true
	case *page.EventLoadEventFired:
		r.s.loadAt = now
		r.s.lastNav = now
	case *inspector.EventTargetCrashed:
		r.s.crashed = true
	}
}

// onBrowserEvent sees the browser's events: the downloads of every tab.
func (r *renderState) onBrowserEvent(ev any) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *cdpbrowser.EventDownloadWillBegin:
		if !r.mine[e.FrameID] {
			return
		}
		if r.dls[e.GUID] == nil {
			r.dlOrder = append(r.dlOrder, e.GUID)
		}
		r.dls[e.GUID] = &download{guid: e.GUID, url: e.URL, name: e.SuggestedFilename, mime: r.mimes[e.URL]}
		r.s.lastNav = now
	case *cdpbrowser.EventDownloadProgress:
		d := r.dls[e.GUID]
		if d == nil {
			return
		}
		d.total, d.received, d.state = e.TotalBytes, e.ReceivedBytes, e.State
		if e.FilePath != "" {
			d.filePath = e.FilePath
		}
		r.s.lastNav = now
	default:
		return
	}
	r.notify()
}

func (r *renderState) setMagic(guid string, magic []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.dls[guid]; d != nil && magic != nil {
		d.magic = magic
	}
}

// downloadsOver returns the running downloads past the cap and marks them
// capped (the caller cancels them).
func (r *renderState) downloadsOver(limit int64) []download {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []download
	for _, g := range r.dlOrder {
		d := r.dls[g]
		if !d.capped && d.state == cdpbrowser.DownloadProgressStateInProgress && d.received > float64(limit) {
			d.capped = true
			out = append(out, *d)
		}
	}
	return out
}

// downloadsBusy reports a download that is still running under the cap.
func (s stateSnapshot) downloadsBusy(limit int64) bool {
	for _, d := range s.downloads {
		if !d.capped && (d.state == "" || d.state == cdpbrowser.DownloadProgressStateInProgress) && d.received <= float64(limit) {
			return true
		}
	}
	return false
}

func (s stateSnapshot) downloadList() []capture.Download {
	var out []capture.Download
	for _, d := range s.downloads {
		out = append(out, capture.Download{
			URL: d.url, FileName: d.name, MIMEType: d.mime,
			Size: int64(max(d.total, d.received)), Magic: d.magic,
		})
	}
	return out
}

// lastHopURL is the URL of the last hop, or def.
func (s stateSnapshot) lastHopURL(def string) string {
	if n := len(s.chain); n > 0 {
		return s.chain[n-1].URL
	}
	return def
}

// browserGone recognises chromedp's errors for a browser that died before
// the generation's context noticed (the navigate call can return first).
func browserGone(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "browser process exited") || strings.Contains(m, "lost the connection to the browser")
}
