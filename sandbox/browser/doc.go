// Package browser is the sandbox's Chromium driver and the only package
// that imports chromedp. It renders one URL in headless Chromium and fills
// in a capture.Report: the redirect chain, the final page's status, title,
// visible text, forms, images, the downloads it pushed, certificate errors,
// the requests the egress proxy refused, and a JPEG screenshot.
//
// # Life cycle
//
// New starts one Chromium (Debian's /usr/lib/chromium/chromium, the binary
// behind the /usr/bin/chromium wrapper script) with a fresh temporary
// profile. Render runs each URL in a fresh incognito browser context and
// tab (Target.createBrowserContext), at most Config.Concurrency at once,
// each with its own deadline (Config.RenderTimeout, or the caller's, the
// earlier wins). Config.SpareTabs such contexts and tabs (one per render
// slot by default) are opened ahead (keepSpares: while no render runs,
// or, when none is left, while the renders load their pages), so that a
// render does not wait for their creation; each serves one render and is
// closed, by disposing of its browser context, after it.
// After Config.RecycleAfter renders, or as soon as the browser
// dies, the next Render starts a new browser and the old one is killed when
// its last render ends. Close kills the browser and every process that
// still names its profile directory, and removes the directory.
//
// A render never outlives its deadline: the browser's start, the
// navigation, the wait for the page to settle and the capture all run under
// it. A hung page, a crashed renderer or a dead browser gives a Report with
// Err set, never a hang.
//
// # Safety
//
// A page talks to the network only through the egress proxy
// (sandbox/egress), which resolves and checks every address it dials:
//
//   - each render's browser context gets proxyServer=<Config.ProxyURL>
//     and proxyBypassList=<-loopback> (Target.createBrowserContext), so
//     every request of the page, its frames, workers, WebSockets and
//     downloads goes to the egress proxy;
//   - the browser-wide --proxy-server is a "blackhole" proxy of this
//     package that answers 403 to everything: Chromium's own background
//     traffic (network time, account checks, GCM...) goes nowhere instead
//     of out through the egress proxy;
//   - --proxy-bypass-list=<-loopback> for both: without it Chromium
//     connects to localhost, 127/8, [::1], 169.254/16 and fe80::/10
//     directly;
//   - --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE <proxy hosts>":
//     Chromium itself resolves no name at all, so nothing can leave by a
//     path that skips the proxy;
//   - --force-webrtc-ip-handling-policy=disable_non_proxied_udp and
//     --disable-quic: no UDP around the proxy;
//   - certificate errors are not ignored: they end in Report.CertError.
//
// One thing still reaches the egress proxy without the page asking: in each
// new browser context Chromium preconnects (a tunnel and a TLS handshake,
// no request) to https://www.google.com/, most likely for its default
// search engine. None of the --disable-features switches tried stopped it
// (see the feature list in allocatorOptions); it is harmless: a public
// address that the attacker does not choose. Chromium's own /favicon.ico fetch is blocked
// (Network.setBlockedURLs).
//
// Test host names: Chromium never resolves names (it sends them to the
// proxy), so the test-only host mapping lives in one place, the egress
// proxy's Config.TestMapHosts. This package has no mapping option of its
// own; a --host-resolver-rules MAP would only apply to the proxy itself.
//
// # What the capture reads
//
// The extraction (extract.js) runs in an isolated world of the main frame.
// It reads the document, its open shadow roots and same-origin frames; the
// closed shadow roots and the in-process frame documents that page
// JavaScript cannot reach are found with DOM.getDocument (pierce) and
// handed to it (hiddenRoots); the page's own iframes that Chromium runs in
// another process (sandboxed and srcdoc iframes) are attached to and read
// the same way (otherProcessFrames). Text inputs masked with
// -webkit-text-security are reported as Input.Masked. See
// docs/sandbox.md.
//
// The sandbox never types or submits: it GET-navigates to the URL and then
// reads the page. Then it watches what the page does by itself for a
// bounded time (lookFurther): it runs the page's timers up to 8 s ahead in
// virtual time and waits for what they started (a navigation, a download,
// a form shown late) to quiet down, so that a download a script starts
// after load is recorded like any other. When the page still shows no
// password field and started no download, it clicks at most once, with a
// real mouse click, the page's single visible call to action to sign in
// ("ログイン", "Sign in", "続ける"...) or, when it has none, to download
// ("ダウンロード", "Download", "インストール"...), when that is
// a script-only button or a link to the same origin, never a form's submit
// button, another site or another window (Report.Clicked). Dialogs (alert, confirm, beforeunload) are
// dismissed, permission prompts and notifications are denied (the
// --deny-permission-prompts and --disable-notifications switches, plus
// Browser.setPermission "denied" for each browser context). Downloads are
// saved, at most Config.DownloadMaxBytes each, under the profile directory
// and deleted when the render ends; the sandbox reads their first bytes
// (Download.Magic) and never opens them otherwise.
//
// Chromium's own sandbox stays on unless the process runs as root, where
// Chromium refuses to start without --no-sandbox.
//
// # Looking like the clicker's browser
//
// Each render claims the clicker's User-Agent and language, made
// consistent with the engine that renders it: the User-Agent and client
// hints claim the engine's real major version, the timezone follows the
// language, a desktop has a screen with a taskbar and a window frame, and
// WebGL names a common GPU of the claimed platform (emulation.go). What
// remains detectable is listed in docs/sandbox.md.
//
// # What a hop means
//
// Report.Chain lists the main frame's document requests in order. Each hop
// says how the browser got to its URL: "initial" (the URL asked for),
// "http-redirect" (Status is the 3xx that led there), "meta-refresh" (a
// <meta http-equiv=refresh> or a Refresh: header), "script" (location=...,
// location.replace, a script-initiated navigation) or "other" (anything
// else, such as a form or a link a script clicked). Hops are recorded when
// the request starts, so a hop to an address the egress refused is in the
// chain too, and Report.Blocked says why it failed.
//
// # When a render counts as failed (Report.Err)
//
//   - the URL is not http or https;
//   - the browser could not start, crashed, or the tab crashed;
//   - the deadline passed before the final document had parsed
//     (DOMContentLoaded); what was there is still captured;
//   - the final document failed to load (a network error such as
//     net::ERR_TUNNEL_CONNECTION_FAILED or net::ERR_NAME_NOT_RESOLVED), or
//     the egress proxy refused its host. A certificate error is not a
//     failure: it is the signal in Report.CertError. A navigation that
//     turned into a download is not a failure either.
//
// A page that has parsed but whose load event never fires (a subresource
// that hangs) is captured normally once the deadline for navigation comes.
package browser
