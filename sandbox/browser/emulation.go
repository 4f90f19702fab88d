package browser

import (
	"context"
	"os"
	"strconv"
	"strings"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// tokyo is the timezone every render uses.
const tokyo = "Asia/Tokyo"

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
