package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/egress"
)

// Config configures the browser. Only ProxyURL is required.
type Config struct {
	// ExecPath is the Chromium binary. Empty means Debian's real binary
	// /usr/lib/chromium/chromium when it exists, else /usr/bin/chromium.
	// The /usr/bin/chromium wrapper script sources /etc/chromium.d, which
	// adds --enable-remote-extensions, loads the packaged extensions and
	// exports Google API keys: none of that belongs in a sandbox.
	ExecPath string
	// ProxyURL is the egress proxy, e.g. "http://127.0.0.1:8123". Every
	// request of every render goes through it (it is set on each render's
	// browser context). Required.
	ProxyURL string
	// Concurrency is how many tabs render at once; default 2.
	Concurrency int
	// RenderTimeout bounds each render; default 10 s. A caller's earlier
	// deadline wins.
	RenderTimeout time.Duration
	// Settle is the quiet window that ends the wait for a page: once the
	// main frame has loaded, the page is read as soon as it has had no
	// main-frame navigation, no script, XHR or fetch in flight (for up to
	// 2 s after the load event) and no such request started or ended for
	// this long; default 100 ms. It is a condition, not a sleep: what a
	// page does later by its timers (a script redirect, a late form or
	// download) is seen by running the timers in virtual time after the
	// first read (late.go), and a read that a navigation interrupts is
	// done again. A meta refresh with a delay of up to 5 s is waited for
	// when the deadline allows.
	Settle time.Duration
	// SpareTabs is how many tabs (each a fresh incognito browser context
	// and its tab) are kept open ahead of renders, so that a render does
	// not wait for their creation; a tab serves one render and is closed
	// after it. Default Concurrency; negative: none (each render opens
	// its own).
	SpareTabs int
	// RecycleAfter restarts the browser after this many renders; default
	// 100.
	RecycleAfter int
	// DownloadMaxBytes caps each download the page starts. Beyond it the
	// download is cancelled; its first bytes and the announced size are
	// kept. Default 1 MiB.
	DownloadMaxBytes int64
	// TempDir is where the temporary profiles (with the downloads inside)
	// are made; default os.TempDir().
	TempDir string
	// StartTimeout bounds a browser start; default 30 s.
	StartTimeout time.Duration
	// TestTrustSPKI is test-only: base64 SHA-256 hashes of public keys
	// whose certificates Chromium accepts despite any error
	// (--ignore-certificate-errors-spki-list), so that tests can serve
	// HTTPS pages under realistic names (internal/testsite). Certificate
	// errors are a signal; never set this in production.
	TestTrustSPKI []string
	// Log receives the browser's life cycle and, at debug level, Chromium's
	// own output. Nil means no logging.
	Log *zap.Logger
}

// Browser is one Chromium shared by all renders of the process. It is safe
// for concurrent use.
type Browser struct {
	cfg      Config
	log      *zap.Logger
	execPath string
	proxy    *url.URL
	sem      chan struct{} // a render slot, held until its tab is closed
	// blackhole is the browser-wide proxy: it refuses everything. Renders
	// use the egress proxy, set on each browser context; Chromium's own
	// background traffic (time sync, sign-in, GCM...) goes nowhere.
	blackhole *blackhole

	mu     sync.Mutex
	cur    *generation
	gens   int
	closed bool
	bg     sync.WaitGroup // generation shutdowns and render clean-ups

	renderSeq atomic.Uint64
	tabSeq    atomic.Uint64

	// The spare tabs (keepSpares): kick asks for more, done ends it.
	spares chan *tab
	kick   chan struct{}
	// opening is closed when the spare being opened (keepSpares) is in
	// b.spares or failed; nil while none is being opened.
	opening atomic.Pointer[chan struct{}]
	done    chan struct{}
	// settingUp counts the renders between taking a slot and the end of
	// their navigate command: no spare is opened meanwhile.
	settingUp atomic.Int32

	blockMu sync.Mutex
	active  map[*renderState]struct{}
	blocks  []blockNote // recent refusals, newest last, at most maxBlockNotes
}

// generation is one Chromium process and its profile.
type generation struct {
	id      int
	dataDir string

	ready    chan struct{} // closed when the start finished
	startErr error         // valid after ready
	ctx      context.Context
	cancel   context.CancelFunc // kills the browser and waits for it
	// gone is set by a render whose command failed because the browser
	// died (browserGone), which can come before ctx notices the exit.
	gone     atomic.Bool
	allocEnd context.CancelFunc
	pid      int
	version  string
	engine   string // the full version, "156.0.8078.114"
	ua       string // default User-Agent, "HeadlessChrome" made "Chrome"

	// under Browser.mu
	renders   int
	active    int
	retired   bool
	closeOnce sync.Once
}

type blockNote struct {
	at     time.Time
	host   string // host:port, lower case
	reason string
	active []*renderState
}

const maxBlockNotes = 512

// New starts the browser. It fails if Chromium cannot start.
func New(ctx context.Context, cfg Config) (*Browser, error) {
	if cfg.ProxyURL == "" {
		return nil, errors.New("browser: Config.ProxyURL (the egress proxy) is required")
	}
	pu, err := url.Parse(cfg.ProxyURL)
	if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, fmt.Errorf("browser: bad ProxyURL %q: want http://host:port", cfg.ProxyURL)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.RenderTimeout <= 0 {
		cfg.RenderTimeout = 10 * time.Second
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 100 * time.Millisecond
	}
	if cfg.SpareTabs == 0 {
		cfg.SpareTabs = cfg.Concurrency
	}
	if cfg.RecycleAfter <= 0 {
		cfg.RecycleAfter = 100
	}
	if cfg.DownloadMaxBytes <= 0 {
		cfg.DownloadMaxBytes = 1 << 20
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	b := &Browser{
		cfg:      cfg,
		log:      cfg.Log.Named("browser"),
		execPath: findExecPath(cfg.ExecPath),
		proxy:    pu,
		sem:      make(chan struct{}, cfg.Concurrency),
		active:   map[*renderState]struct{}{},
		spares:   make(chan *tab, max(cfg.SpareTabs, 0)),
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if b.blackhole, err = startBlackhole(b.log); err != nil {
		return nil, err
	}
	b.mu.Lock()
	g := b.startLocked()
	b.mu.Unlock()
	select {
	case <-g.ready:
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	}
	if g.startErr != nil {
		b.Close()
		return nil, g.startErr
	}
	if cap(b.spares) > 0 {
		b.bg.Add(1)
		go b.keepSpares()
		b.kickSpares()
	}
	return b, nil
}

func findExecPath(p string) string {
	if p != "" {
		return p
	}
	if fi, err := os.Stat("/usr/lib/chromium/chromium"); err == nil && !fi.IsDir() {
		return "/usr/lib/chromium/chromium"
	}
	return "/usr/bin/chromium"
}

// allocatorOptions are Chromium's switches. The list is explicit rather
// than chromedp.DefaultExecAllocatorOptions, which adds enable-automation
// (navigator.webdriver, a cloaking tell) and disable-popup-blocking.
func (b *Browser) allocatorOptions(dataDir string) []chromedp.ExecAllocatorOption {
	proxyHost := b.proxy.Hostname()
	blackholeHost, _, _ := net.SplitHostPort(b.blackhole.addr)
	var testOnly []chromedp.ExecAllocatorOption
	if len(b.cfg.TestTrustSPKI) > 0 {
		testOnly = append(testOnly, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(b.cfg.TestTrustSPKI, ",")))
	}
	return append(testOnly,
		chromedp.ExecPath(b.execPath),
		chromedp.UserDataDir(dataDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		// HttpsUpgrades would try https:// first for every http:// link and
		// fall back: a request the page never made (and a confusing chain).
		// Preloaded HSTS names are still upgraded, as in every browser.
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForTypicallySecureUsers,Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,SearchEnginePreconnector,SearchEnginePreconnect2,NetworkTimeServiceQuerying"),
		chromedp.Flag("disable-blink-features", "AutomationControlled"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-prompt-on-repost", true),
		chromedp.Flag("deny-permission-prompts", true),
		chromedp.Flag("disable-notifications", true),
		chromedp.Flag("noerrdialogs", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("window-size", fmt.Sprintf("%d,%d", desktopViewport.width+windowFrameWidth, desktopViewport.height+windowFrameHeight)),
		chromedp.Flag("screen-info", desktopScreenInfo),
		// Network: each render's browser context uses the egress proxy
		// (see run.do); everything else, the blackhole. Chromium resolves
		// no name itself.
		chromedp.Flag("proxy-server", "http://"+b.blackhole.addr),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE "+proxyHost+" , EXCLUDE "+blackholeHost),
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		// Chromium refuses to run as root with its sandbox on; keep it
		// everywhere else. Setting the flag (even false) also stops
		// chromedp from adding --no-sandbox by itself.
		chromedp.Flag("no-sandbox", os.Geteuid() == 0),
		chromedp.CombinedOutput(&logWriter{log: b.log}),
	)
}

// startLocked begins starting a new generation and makes it current. The
// caller holds b.mu.
func (b *Browser) startLocked() *generation {
	b.gens++
	g := &generation{id: b.gens, ready: make(chan struct{})}
	b.cur = g
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		g.startErr = b.start(g)
		close(g.ready)
	}()
	return g
}

func (b *Browser) start(g *generation) error {
	t0 := time.Now()
	dir, err := os.MkdirTemp(b.cfg.TempDir, "kensa-chromium-")
	if err != nil {
		return fmt.Errorf("browser: profile dir: %w", err)
	}
	g.dataDir = dir
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), b.allocatorOptions(dir)...)
	// The first Do starts the browser and binds its life to the context it
	// gets, so that context has no deadline; a watchdog bounds the start.
	life, kill := context.WithCancel(allocCtx)
	ctx, cancel := chromedp.NewContext(life,
		chromedp.WithErrorf(func(f string, a ...any) { b.log.Debug("chromedp: " + fmt.Sprintf(f, a...)) }),
	)
	g.ctx, g.cancel, g.allocEnd = ctx, func() { kill(); cancel() }, allocCancel
	timer := time.AfterFunc(b.cfg.StartTimeout, kill)
	err = chromedp.Do(ctx)
	timer.Stop()
	if err == nil {
		var v cdpbrowser.GetVersionResult
		v, err = chromedp.CallBrowser(ctx, cdpbrowser.GetVersion, cdp.Empty{})
		g.version = v.Product
		_, g.engine, _ = strings.Cut(v.Product, "/")
		g.ua = strings.Replace(v.UserAgent, "HeadlessChrome/", "Chrome/", 1)
	}
	if err != nil {
		b.log.Error("chromium did not start", zap.String("exec", b.execPath), zap.Error(err))
		b.shutdown(g)
		return fmt.Errorf("browser: start %s: %w", b.execPath, err)
	}
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		g.pid = c.Browser.Process().Pid
	}
	b.log.Info("chromium started",
		zap.Int("generation", g.id), zap.Int("pid", g.pid), zap.String("version", g.version),
		zap.Bool("chromium_sandbox", os.Geteuid() != 0), zap.String("proxy", b.proxy.Host),
		zap.Duration("took", time.Since(t0)))
	return nil
}

// alive reports whether g started and its browser still runs.
func (g *generation) alive() bool {
	select {
	case <-g.ready:
		return g.startErr == nil && g.ctx.Err() == nil && !g.gone.Load()
	default:
		return true // still starting
	}
}

var errClosed = errors.New("browser: closed")

// acquire returns the generation to render on, starting a new one when the
// current one is due for recycling or dead. It waits for the start within
// ctx. On success the render counts in b.bg (so that Close waits for its
// clean-up); the caller calls b.release(g) and then b.bg.Done().
func (b *Browser) acquire(ctx context.Context) (*generation, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errClosed
	}
	b.bg.Add(1) // under b.mu and before Close can start waiting
	g := b.cur
	if g == nil || !g.alive() || g.renders >= b.cfg.RecycleAfter {
		if g != nil {
			if !g.alive() {
				b.log.Warn("chromium died; starting a new one", zap.Int("generation", g.id), zap.Int("pid", g.pid))
			}
			b.retireLocked(g)
		}
		g = b.startLocked()
	}
	g.renders++
	g.active++
	b.mu.Unlock()
	select {
	case <-g.ready:
	case <-ctx.Done():
		b.release(g)
		b.bg.Done()
		return nil, fmt.Errorf("waiting for the browser to start: %w", ctx.Err())
	}
	if g.startErr != nil {
		b.release(g)
		b.bg.Done()
		return nil, g.startErr
	}
	return g, nil
}

func (b *Browser) release(g *generation) {
	b.mu.Lock()
	g.active--
	done := g.retired && g.active == 0
	b.mu.Unlock()
	if done {
		b.bg.Add(1)
		go func() { defer b.bg.Done(); b.shutdown(g) }()
	}
}

// retireLocked takes g out of service; it is shut down when its last
// render ends. The caller holds b.mu.
func (b *Browser) retireLocked(g *generation) {
	g.retired = true
	if b.cur == g {
		b.cur = nil
	}
	if g.active == 0 {
		b.bg.Add(1)
		go func() { defer b.bg.Done(); b.shutdown(g) }()
	}
}

// shutdown kills g's browser, every process still naming its profile, and
// removes the profile. It is idempotent.
func (b *Browser) shutdown(g *generation) {
	g.closeOnce.Do(func() {
		if g.cancel != nil {
			g.cancel() // kills the process (exec.CommandContext) and waits for it
		}
		if g.allocEnd != nil {
			g.allocEnd()
		}
		if g.dataDir == "" {
			return
		}
		killProcessesUsing(g.dataDir)
		var err error
		for i := 0; i < 50; i++ { // late child writes can make RemoveAll fail once
			if err = os.RemoveAll(g.dataDir); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			b.log.Warn("could not remove the profile", zap.String("dir", g.dataDir), zap.Error(err))
		}
		b.log.Info("chromium stopped", zap.Int("generation", g.id), zap.Int("pid", g.pid), zap.Int("renders", g.renders))
	})
}

// Close kills the browser and removes its temporary profiles. Renders in
// progress end with Report.Err set. It is safe to call more than once.
// Ready reports whether the browser can render: it is not closed, and its
// current Chromium (if one has started) is alive or can be restarted.
// It starts nothing, so it is cheap enough for a readiness probe.
func (b *Browser) Ready() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	if g := b.cur; g != nil {
		select {
		case <-g.ready:
			if g.startErr != nil {
				return g.startErr
			}
		default:
		}
	}
	return nil
}

func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.bg.Wait()
		return nil
	}
	b.closed = true
	close(b.done)
	g := b.cur
	b.cur = nil
	b.mu.Unlock()
	if g != nil {
		<-g.ready
		b.shutdown(g) // at once, even with renders in flight
	}
	b.bg.Wait()
	b.blackhole.close()
	return nil
}

// blackhole is a proxy that refuses every request.
type blackhole struct {
	addr string
	srv  *http.Server
}

func startBlackhole(log *zap.Logger) (*blackhole, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("browser: blackhole proxy: %w", err)
	}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.Debug("refused chromium's own request", zap.String("method", r.Method), zap.String("host", r.Host))
			http.Error(w, "kensa sandbox: the browser's own traffic is not allowed", http.StatusForbidden)
		}),
	}
	go srv.Serve(ln)
	return &blackhole{addr: ln.Addr().String(), srv: srv}, nil
}

func (h *blackhole) close() {
	if h != nil {
		h.srv.Close()
	}
}

// OnBlock records a request the egress proxy refused, so that the render
// that made it can report it in Report.Blocked. Wire it as the egress
// proxy's hook (the proxy starts first, so use a closure):
//
//	var br *browser.Browser
//	px, _ := egress.New(egress.Config{OnBlock: func(h string, err error) { br.OnBlock(h, err) }})
//	... start px, then br, _ = browser.New(ctx, browser.Config{ProxyURL: ...})
//
// A refusal goes to the renders that requested that host:port, or, when
// none did as far as the render saw (requests of cross-site iframes run in
// another process and are not seen), to the render that was alone at the
// time. Only refusals (egress.ErrBlocked) count, not failed connections.
// It is safe on a nil Browser.
func (b *Browser) OnBlock(host string, err error) {
	if b == nil || !errors.Is(err, egress.ErrBlocked) {
		return
	}
	n := blockNote{at: time.Now(), host: normHostPort(host, ""), reason: err.Error()}
	b.blockMu.Lock()
	defer b.blockMu.Unlock()
	for r := range b.active {
		n.active = append(n.active, r)
	}
	b.blocks = append(b.blocks, n)
	if len(b.blocks) > maxBlockNotes {
		b.blocks = append(b.blocks[:0:0], b.blocks[len(b.blocks)-maxBlockNotes:]...)
	}
}

func (b *Browser) addActive(r *renderState) {
	b.blockMu.Lock()
	b.active[r] = struct{}{}
	b.blockMu.Unlock()
}

// takeBlocks removes r from the active set and returns the refusals that
// belong to it.
func (b *Browser) takeBlocks(r *renderState) []capture.Blocked {
	hosts := r.requestedHosts()
	b.blockMu.Lock()
	defer b.blockMu.Unlock()
	delete(b.active, r)
	var out []capture.Blocked
	seen := map[string]bool{}
	for _, n := range b.blocks {
		if n.at.Before(r.start) {
			continue
		}
		mine := hosts[n.host]
		if !mine && len(n.active) == 1 && n.active[0] == r {
			mine = true
		}
		if !mine || seen[n.host+"\x00"+n.reason] {
			continue
		}
		seen[n.host+"\x00"+n.reason] = true
		out = append(out, capture.Blocked{Host: n.host, Reason: n.reason})
	}
	return out
}

// normHostPort lower-cases host:port and adds the scheme's default port.
func normHostPort(hostport, scheme string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		h = strings.Trim(hostport, "[]")
		switch scheme {
		case "https", "wss":
			p = "443"
		default:
			p = "80"
		}
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(h), "."), p)
}

// logWriter passes Chromium's output to the log at debug level, a line at a
// time.
type logWriter struct {
	log *zap.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" {
			w.log.Debug("chromium: " + line)
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 {
		w.buf = w.buf[:0]
	}
	return len(p), nil
}
