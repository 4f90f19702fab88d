package browser

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// tokyo is the timezone of a render in Japanese, and of any language
// timezoneFor does not know (Kensa's users are in Japan).
const tokyo = "Asia/Tokyo"

// timezones by language tag, then by primary language: a browser whose
// timezone contradicts its language is a scanner tell. The map is small on
// purpose; anything else gets tokyo.
var timezones = map[string]string{
	"en-us": "America/New_York", "en-gb": "Europe/London", "en-au": "Australia/Sydney", "en-ca": "America/Toronto",
	"en-in": "Asia/Kolkata", "en-sg": "Asia/Singapore", "zh-cn": "Asia/Shanghai", "zh-tw": "Asia/Taipei", "zh-hk": "Asia/Hong_Kong",
	"pt-br": "America/Sao_Paulo", "es-mx": "America/Mexico_City", "fr-ca": "America/Toronto",
	"ja": tokyo, "ko": "Asia/Seoul", "zh": "Asia/Shanghai", "de": "Europe/Berlin", "fr": "Europe/Paris", "it": "Europe/Rome",
	"es": "Europe/Madrid", "pt": "Europe/Lisbon", "nl": "Europe/Amsterdam", "ru": "Europe/Moscow", "th": "Asia/Bangkok",
	"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "hi": "Asia/Kolkata",
}

// timezoneFor is the timezone that goes with a language tag (the first of
// Accept-Language): "ja-JP" is Asia/Tokyo, "en-US" America/New_York.
// A bare "en" (or an unknown tag) stays in Tokyo.
func timezoneFor(locale string) string {
	l := strings.ToLower(locale)
	if tz, ok := timezones[l]; ok {
		return tz
	}
	if p, _, _ := strings.Cut(l, "-"); p != "en" {
		if tz, ok := timezones[p]; ok {
			return tz
		}
	}
	return tokyo
}

// The desktop screen and window. A real desktop browser has a screen
// larger than its window, a taskbar (screen.availHeight < screen.height)
// and a frame around the page (outer size > inner size); headless
// Chromium has none of these unless told. The screen is Chromium's own
// (--screen-info, so that the taskbar is real: a device-metrics override
// of the screen would set avail* to the full screen); the window is sized
// per tab (Browser.setWindowBounds).
const (
	desktopScreenInfo = "{1920x1080 workAreaBottom=40}" // 1920x1080, a 40 px taskbar
	// The window's frame: headless Chromium draws none, but reports
	// the height of a tab strip and toolbar (87 px) in outerHeight. Its
	// outerWidth is the viewport's, as in Chrome on macOS and Linux.
	windowFrameWidth  = 0
	windowFrameHeight = 87
)

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

// engineUA makes a Chromium-based User-Agent claim the engine's real major
// version (engine is the full version, "156.0.8078.114"): a clicker's
// "Chrome/131.0.0.0" rendered by Chromium 156 would contradict every
// feature test a kit runs. Chrome's User-Agent is reduced (major.0.0.0),
// and so is the result; Edge's "Edg/" token moves with it. Safari's and
// Firefox's User-Agents and Chrome on iOS (CriOS, WebKit) are left alone:
// no Chromium can match them anyway.
func engineUA(ua, engine string) string {
	major, _, _ := strings.Cut(engine, ".")
	if _, err := strconv.Atoi(major); err != nil || strings.Contains(ua, "CriOS/") {
		return ua
	}
	for _, tok := range []string{"Chrome/", "Edg/"} {
		i := strings.Index(ua, tok)
		if i < 0 {
			continue
		}
		rest := ua[i+len(tok):]
		j := strings.IndexFunc(rest, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if j < 0 {
			j = len(rest)
		}
		if j == 0 {
			continue
		}
		ua = ua[:i+len(tok)] + major + ".0.0.0" + rest[j:]
	}
	return ua
}

// clientHints are the UA client hints (Sec-CH-UA, navigator.userAgentData)
// that go with a Chromium-based User-Agent; nil for any other browser,
// which sends none. Without them an overridden Chrome UA would come with no
// client hints at all, which a cloaking kit can notice.
//
// engine, the engine's full version, is the full version the hints give
// when the User-Agent claims the engine's major version ("" or another
// major: the User-Agent's own).
func clientHints(ua string, dev viewport, engine string) *emulation.UserAgentMetadata {
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
	if em, _, _ := strings.Cut(engine, "."); em == major {
		full = engine
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

// lockDown sets up what a tab's browser context needs whoever clicked:
// its own download directory (downloads are saved there, never opened),
// and the permissions a page could ask for, denied. It also notes the
// tab's window. It runs when the tab is opened (openTab), ahead of the
// render for a spare.
func (b *Browser) lockDown(ctx context.Context, t *tab) error {
	if err := os.MkdirAll(t.dlDir, 0o700); err != nil {
		return err
	}
	c := chromedp.FromContext(ctx)
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: c.BrowserContextID,
		DownloadPath:     t.dlDir,
		EventsEnabled:    new(true),
	}); err != nil {
		return err
	}
	for _, name := range deniedPermissions {
		// Unknown names fail; the known ones are what matters.
		chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission:       &cdpbrowser.PermissionDescriptor{Name: name, UserVisibleOnly: name == "push"},
			Setting:          cdpbrowser.PermissionSettingDenied,
			BrowserContextID: c.BrowserContextID,
		})
	}
	w, err := chromedp.CallBrowser(ctx, cdpbrowser.GetWindowForTarget, cdpbrowser.GetWindowForTargetParams{TargetID: c.Target.TargetID})
	if err == nil {
		t.window, t.bounds = w.WindowID, w.Bounds
	}
	return nil
}

// setup makes the tab look like the clicker's browser.
func (r *run) setup(ctx context.Context) error {
	dev, rep := r.dev, r.rep
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: rep.UserAgent, AcceptLanguage: rep.Language, Platform: dev.platform,
		UserAgentMetadata: clientHints(rep.UserAgent, dev, r.g.engine),
	}); err != nil {
		return err
	}
	// A desktop page gets the window's own viewport: a device-metrics
	// override would make screen.avail* the whole screen (no taskbar)
	// and outerHeight the viewport's. A phone is emulated: its screen is
	// the device, and the browser's toolbar is the window's only frame.
	win := cdpbrowser.Bounds{Width: dev.width + windowFrameWidth, Height: dev.height + windowFrameHeight}
	if dev.mobile || dev.width != desktopViewport.width || dev.height != desktopViewport.height || dev.dpr != 1 {
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: dev.width, Height: dev.height, DeviceScaleFactor: dev.dpr, Mobile: dev.mobile,
			ScreenWidth: dev.width, ScreenHeight: dev.height,
		}); err != nil {
			return err
		}
		win = cdpbrowser.Bounds{Width: dev.width, Height: dev.height + 56}
	}
	// Best effort: the window is already this size for a desktop (the
	// window-size switch).
	if t := r.tab; t.window != 0 && (t.bounds == nil || t.bounds.Width != win.Width || t.bounds.Height != win.Height) {
		chromedp.CallBrowser(ctx, cdpbrowser.SetWindowBounds, cdpbrowser.SetWindowBoundsParams{WindowID: t.window, Bounds: &win})
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: webglScript(rep.UserAgent) + outerSizeScript(win.Width-dev.width, win.Height-dev.height),
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
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: timezoneFor(r.locale)}); err != nil {
		return err
	}
	chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(r.locale, "-", "_")})
	// Chromium fetches /favicon.ico by itself; the page did not ask for it.
	chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
		{URLPattern: "*://*:*/favicon.ico", Block: true},
	}})
	return nil
}

// gpus are the WebGL vendor and renderer (WEBGL_debug_renderer_info) a
// real browser on each platform commonly reports. Headless Chromium
// reports SwiftShader, Google's software renderer, which no clicker has.
var gpus = map[string][2]string{
	"windows": {"Google Inc. (Intel)", "ANGLE (Intel, Intel(R) UHD Graphics 620 (0x00005917) Direct3D11 vs_5_0 ps_5_0, D3D11)"},
	"mac":     {"Google Inc. (Apple)", "ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)"},
	"linux":   {"Google Inc. (Intel)", "ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)"},
	"android": {"Qualcomm", "Adreno (TM) 619"},
	"apple":   {"Apple Inc.", "Apple GPU"},
}

// webglScript is the script run in every document before the page's own
// (Page.addScriptToEvaluateOnNewDocument, main world): it makes WebGL's
// unmasked vendor and renderer those of a GPU of the User-Agent's
// platform. getParameter is wrapped in a Proxy, so that it still looks
// native to Function.prototype.toString; see docs/sandbox.md for what
// stays detectable.
func webglScript(ua string) string {
	l := strings.ToLower(ua)
	gpu := gpus["windows"]
	switch {
	case strings.Contains(l, "iphone"), strings.Contains(l, "ipad"):
		gpu = gpus["apple"]
	case strings.Contains(l, "android"):
		gpu = gpus["android"]
	case strings.Contains(l, "macintosh"):
		gpu = gpus["mac"]
	case strings.Contains(l, "linux"), strings.Contains(l, "x11"), strings.Contains(l, "cros"):
		gpu = gpus["linux"]
	}
	return fmt.Sprintf(`(() => {
  const vendor = %q, renderer = %q;
  for (const C of [self.WebGLRenderingContext, self.WebGL2RenderingContext]) {
    if (!C) continue;
    const p = C.prototype, d = Object.getOwnPropertyDescriptor(p, 'getParameter');
    if (!d || typeof d.value !== 'function') continue;
    d.value = new Proxy(d.value, {apply(f, self, args) {
      if (args[0] === 0x9245) return vendor;
      if (args[0] === 0x9246) return renderer;
      return Reflect.apply(f, self, args);
    }});
    Object.defineProperty(p, 'getParameter', d);
  }
})();`, gpu[0], gpu[1])
}

// outerSizeScript makes window.outerWidth and outerHeight the viewport's
// plus the window's frame (frameW, frameH) when Chromium reports 0.
//
// QUIRK: a renderer that commits a page before the browser has sent it
// the window's screen rectangle reports an outer size of 0x0 to scripts
// that run early (seen about one render in four with a fast page). The
// getters are wrapped like getParameter in webglScript.
func outerSizeScript(frameW, frameH int64) string {
	return fmt.Sprintf(`(() => {
  const extra = {outerWidth: () => innerWidth + %d, outerHeight: () => innerHeight + %d};
  for (const name of Object.keys(extra)) {
    const d = Object.getOwnPropertyDescriptor(self, name);
    if (!d || typeof d.get !== 'function') continue;
    d.get = new Proxy(d.get, {apply(f, self, args) {
      return Reflect.apply(f, self, args) || extra[name]();
    }});
    Object.defineProperty(self, name, d);
  }
})();`, frameW, frameH)
}
