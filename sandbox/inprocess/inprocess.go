package inprocess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/egress"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// Config configures the in-process scanner.
type Config struct {
	Browser browser.Config // ProxyURL is set by New
	Policy  rules.Policy
	// TestMapHosts is the test-only mapping of every host name to one
	// loopback address (egress.Config.TestMapHosts). Logged loudly.
	TestMapHosts netip.AddrPort
	// TestTrustSPKI is the test-only certificate trust that goes with
	// TestMapHosts for HTTPS test pages (browser.Config.TestTrustSPKI). It
	// is refused without TestMapHosts.
	TestTrustSPKI []string
	Log           *zap.Logger
}

// InProcess is the Scanner that runs Chromium in this process, behind its
// own egress proxy.
type InProcess struct {
	cfg     Config
	proxy   *http.Server
	browser *browser.Browser
	log     *zap.Logger
}

// New starts the egress proxy on a loopback port and the browser.
func New(ctx context.Context, cfg Config) (*InProcess, error) {
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.TestMapHosts.IsValid() {
		log.Warn("TEST MODE: every host name connects to "+cfg.TestMapHosts.String()+"; never use this in production", zap.String("test_map_hosts", cfg.TestMapHosts.String()))
	}
	if len(cfg.TestTrustSPKI) > 0 {
		if !cfg.TestMapHosts.IsValid() {
			return nil, errors.New("sandbox: TestTrustSPKI is only for tests with TestMapHosts")
		}
		log.Warn("TEST MODE: certificates with these public keys are accepted despite errors", zap.Strings("test_trust_spki", cfg.TestTrustSPKI))
	}
	s := &InProcess{cfg: cfg, log: log}
	var started atomic.Pointer[browser.Browser] // set once the browser runs
	eg, err := egress.New(egress.Config{
		TestMapHosts: cfg.TestMapHosts,
		OnBlock: func(host string, err error) {
			started.Load().OnBlock(host, err) // nil-safe
			log.Info("egress refused", zap.String("host", host), zap.Error(err))
		},
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.proxy = &http.Server{Handler: eg, ReadHeaderTimeout: 10 * time.Second}
	go s.proxy.Serve(ln)
	bc := cfg.Browser
	bc.ProxyURL = "http://" + ln.Addr().String()
	bc.TestTrustSPKI = cfg.TestTrustSPKI
	if bc.Log == nil {
		bc.Log = log
	}
	b, err := browser.New(ctx, bc)
	if err != nil {
		s.proxy.Close()
		return nil, err
	}
	s.browser = b
	started.Store(b)
	return s, nil
}

// Close stops the browser and the proxy.
func (s *InProcess) Close() error {
	err := s.browser.Close()
	s.proxy.Close()
	return err
}

// The mobile User-Agents of the cloaking renders: smishing kits send
// Android users an APK, iPhone users an Apple ID form, and everyone else a
// fake 404.
const (
	uaAndroid = "Mozilla/5.0 (Linux; Android 14; SO-51D) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)

// otherMobile are the mobile device classes other than the clicker's, with
// the User-Agent each is rendered as.
func otherMobile(clicker sandbox.Device) []string {
	var uas []string
	if clicker != sandbox.DeviceAndroid {
		uas = append(uas, uaAndroid)
	}
	if clicker != sandbox.DeviceIOS {
		uas = append(uas, uaIPhone)
	}
	return uas
}

// Scan renders req.URL as the clicker's browser and judges it. If the
// page looks empty or like an error (rules.LooksEmpty), it renders it
// again, at the same time, as each mobile device class the clicker's is
// not (Android and iPhone for a desktop), within the same deadline. A
// material difference (rules.Cloaking) is cloaking: malicious when the
// page hidden from the first render asks for something (a credential
// form, a download, or a verdict of its own worse than clean),
// suspicious otherwise. The result is the worst of the renders, with its
// Report; the verdict holds for the clicker's device class (the click
// proxy caches it under that class).
func (s *InProcess) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return sandbox.Result{}, fmt.Errorf("sandbox: only absolute http and https URLs are scanned: %q", req.URL)
	}
	lang := req.Language
	if lang == "" {
		lang = "ja-JP"
	}
	r := s.render(ctx, req.URL, req.UserAgent, lang)
	best := sandbox.Result{Report: r, Verdict: rules.Judge(r, s.cfg.Policy)}
	if !rules.LooksEmpty(r) || ctx.Err() != nil {
		return best, nil
	}
	others := otherMobile(sandbox.DeviceOf(req.UserAgent))
	reps := make([]*capture.Report, len(others))
	var wg sync.WaitGroup
	for i, ua := range others {
		wg.Go(func() { reps[i] = s.render(ctx, req.URL, ua, lang) })
	}
	wg.Wait()
	for i, r2 := range reps {
		v2 := rules.Judge(r2, s.cfg.Policy)
		if why := rules.Cloaking(r, r2); why != "" {
			hidden := v2.Level
			if rules.CloakingHides(r2) {
				hidden = verdict.Malicious
			}
			cl := rules.CloakingReason(why, others[i], hidden)
			v2.Reasons = append(v2.Reasons, cl)
			v2.Level = verdict.Worst(v2.Level, cl.Level)
			s.log.Info("cloaking detected", zap.String("host", u.Hostname()), zap.String("difference", why), zap.String("level", string(cl.Level)))
		} else if r2.Err != "" || v2.Level == verdict.Unknown {
			continue // a failed second render says nothing about the first
		}
		if worse(v2.Level, best.Verdict.Level) {
			best = sandbox.Result{Report: r2, Verdict: v2}
		}
	}
	return best, nil
}

// render renders once, and once more on a new Chromium when the browser
// died under the render (killed, out of memory): a dead browser says
// nothing about the page, and judging its empty report against a second
// render would read as cloaking.
func (s *InProcess) render(ctx context.Context, url, ua, lang string) *capture.Report {
	r := s.browser.Render(ctx, url, ua, lang)
	if r.Err == browser.ErrBrowserGone && ctx.Err() == nil {
		s.log.Warn("chromium died during a render; rendering again on a new one", zap.String("host", hostOf(url)))
		r = s.browser.Render(ctx, url, ua, lang)
	}
	return r
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// worse reports whether level a is worse than b for the person clicking:
// malicious, then suspicious, then unknown, then clean.
func worse(a, b verdict.Level) bool {
	return a != b && verdict.Worst(a, b) == a
}

var _ sandbox.Scanner = (*InProcess)(nil)

// Ready reports whether the sandbox can render (for the click proxy's
// /readyz).
func (s *InProcess) Ready() error { return s.browser.Ready() }
