package clickproxy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/pages"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
)

// Server answers clicks. Create it with New and serve Handler with
// fasthttp.
type Server struct {
	cfg      Config
	log      *zap.Logger
	basePath string // the base URL's path, without a trailing slash
	origin   string // the base URL's scheme and host
	store    *store
	herd     *herd
	ov       *overrides
	m        *metrics
	proceed  proceedSigner
	shotKey  []byte
	clickKey []byte // MACs of click IDs in follow-up and report URLs
	pending  *lru.Cache[string, *pendingClick]
	apiKeys  [][32]byte
	stop     context.CancelFunc
	bg       sync.WaitGroup
}

// pendingClick is a click that has not reached its final answer yet: it
// got the "checking" page, or a warning with "continue anyway". It is kept
// in memory and in Redis, so the follow-up may reach another replica.
type pendingClick struct {
	ClickID     string    `json:"click_id"`
	Dest        string    `json:"dest"`
	Normalized  string    `json:"normalized"`
	Digest      string    `json:"digest"`
	Host        string    `json:"host"`
	Registrable string    `json:"registrable"`
	Recipient   string    `json:"recipient,omitempty"`
	Message     string    `json:"message,omitempty"`
	ShownDomain string    `json:"shown_domain,omitempty"`
	UserAgent   string    `json:"user_agent"`
	Language    string    `json:"language"`
	ClientIP    string    `json:"client_ip"`
	Scanner     bool      `json:"scanner,omitempty"`
	ScannerWhy  string    `json:"scanner_why,omitempty"`
	Started     time.Time `json:"started"`
}

// registrable is the click's registrable domain, worked out only when
// needed (a domain override exists, or the verdict is not cached): the
// Public Suffix List lookup was 8% of a cached click.
func (p *pendingClick) registrable() string {
	p.setRegistrable()
	return p.Registrable
}

func (p *pendingClick) setRegistrable() {
	if p.Registrable == "" {
		p.Registrable = registrable(p.Host)
	}
}

// New checks the configuration (every problem at once) and starts the
// background work (override refresh).
func New(cfg Config) (*Server, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("clickproxy: invalid configuration:\n%w", err)
	}
	bu, err := url.Parse(cfg.Codec.Base())
	if err != nil {
		return nil, err
	}
	m := newMetrics(cfg.Registerer)
	st, err := newStore(cfg.Redis, cfg.CacheSize, cfg.TTLs)
	if err != nil {
		return nil, err
	}
	pend, _ := lru.New[string, *pendingClick](100_000)
	s := &Server{
		cfg:      cfg,
		log:      cfg.Log,
		basePath: strings.TrimSuffix(bu.Path, "/"),
		origin:   bu.Scheme + "://" + bu.Host,
		store:    st,
		herd:     newHerd(cfg.Redis, st, cfg.Scanner, cfg.RenderTimeout, cfg.Log, m),
		ov:       newOverrides(cfg.Redis, cfg.Log),
		m:        m,
		proceed:  proceedSigner{key: cfg.Keyring.Derive("proceed v1"), ttl: cfg.ProceedTTL},
		shotKey:  cfg.Keyring.Derive("screenshot v1"),
		clickKey: cfg.Keyring.Derive("click follow-up v1"),
		pending:  pend,
	}
	for _, t := range cfg.APITokens {
		s.apiKeys = append(s.apiKeys, sha256.Sum256([]byte(t)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if err := s.ov.load(ctx); err != nil {
		s.log.Warn("overrides not loaded yet (Redis unavailable); retrying in the background", zap.Error(err))
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.ov.watch(ctx, 5*time.Second)
	}()
	return s, nil
}

// Close stops the background work. In-flight renders finish on their own.
func (s *Server) Close() {
	s.stop()
	s.bg.Wait()
}

// Handler is the fasthttp handler: clicks, the pages' follow-ups, health,
// metrics and the API.
func (s *Server) Handler() fasthttp.RequestHandler {
	return s.serve
}

// errors mapped to pages in one place (fail).
type httpError struct {
	status int
	key    string // pages ErrorKey
	code   string // for the click log
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }

func badLink(err error) error {
	code := linktoken.Code(err)
	switch code {
	case "unknown-key":
		return &httpError{status: fasthttp.StatusGone, key: "unknown-key", code: code, err: err}
	case "bad-signature":
		return &httpError{status: fasthttp.StatusBadRequest, key: "bad-signature", code: code, err: err}
	}
	if code == "" {
		code = "malformed"
	}
	return &httpError{status: fasthttp.StatusBadRequest, key: "malformed", code: code, err: err}
}

var errNotFound = &httpError{status: fasthttp.StatusNotFound, key: "not-found", code: "not-found", err: errors.New("not found")}

// securityHeaders are pages.Headers, prepared once: they go on every
// response, the hottest line of the click path.
var securityHeaders = func() (kv [][2][]byte) {
	for _, h := range pages.Headers() {
		kv = append(kv, [2][]byte{[]byte(h[0]), []byte(h[1])})
	}
	return kv
}()

func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	// fasthttp does not recover panics: one bad request must not take the
	// service down.
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in a request", zap.Any("panic", v), zap.ByteString("path", ctx.Path()), zap.Stack("stack"))
			ctx.Response.Reset()
			for _, h := range securityHeaders {
				ctx.Response.Header.SetCanonical(h[0], h[1])
			}
			s.fail(ctx, newClickID(), &httpError{status: fasthttp.StatusInternalServerError, key: "internal", code: "internal", err: fmt.Errorf("panic: %v", v)}, nil)
		}
	}()
	for _, h := range securityHeaders {
		ctx.Response.Header.SetCanonical(h[0], h[1])
	}
	path := string(ctx.Path())
	if s.basePath != "" {
		if !strings.HasPrefix(path, s.basePath+"/") {
			s.routeOther(ctx, path)
			return
		}
		path = path[len(s.basePath):]
	}
	method := string(ctx.Method())
	switch {
	case strings.HasPrefix(path, "/k/"):
		if method != "GET" && method != "HEAD" {
			s.fail(ctx, newClickID(), &httpError{status: fasthttp.StatusMethodNotAllowed, key: "malformed", code: "method", err: errors.New("method not allowed")}, nil)
			return
		}
		s.click(ctx)
	case path == "/x":
		s.unchecked(ctx)
	case strings.HasPrefix(path, "/w/"):
		s.followUp(ctx, path[len("/w/"):])
	case strings.HasPrefix(path, "/p/"):
		s.proceedClick(ctx, path[len("/p/"):])
	case strings.HasPrefix(path, "/shot/"):
		s.screenshot(ctx, path[len("/shot/"):])
	case path == "/report" && method == "POST":
		s.report(ctx)
	default:
		s.routeOther(ctx, string(ctx.Path()))
	}
}

// routeOther serves what is not under the link base: static files,
// health, metrics and the API.
func (s *Server) routeOther(ctx *fasthttp.RequestCtx, path string) {
	switch {
	case path == pages.StylePath:
		ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
		ctx.SetContentType("text/css; charset=utf-8")
		ctx.SetBody(pages.CSS)
	case path == "/favicon.ico":
		ctx.SetStatusCode(fasthttp.StatusNoContent) // browsers ask on every page; not worth a 404 page
	case path == "/healthz":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
	case path == "/readyz":
		s.readyz(ctx)
	case strings.HasPrefix(path, "/api/"):
		s.api(ctx, path)
	default:
		s.fail(ctx, newClickID(), errNotFound, nil)
	}
}

// newClickID is 16 hex digits from crypto/rand: unique enough to quote to
// the SOC and unguessable, so it can name a pending click.
func newClickID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) clientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	if s.cfg.TrustProxyHeaders {
		// The last entry is the one our own reverse proxy added; earlier
		// ones are whatever the client sent.
		if xff := string(ctx.Request.Header.Peek("X-Forwarded-For")); xff != "" {
			last := xff[strings.LastIndexByte(xff, ',')+1:]
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return a
			}
		}
	}
	a, _ := netip.AddrFromSlice(ctx.RemoteIP())
	return a.Unmap()
}

// click is GET /k/TOKEN?u=...: a click on a rewritten link.
func (s *Server) click(ctx *fasthttp.RequestCtx) {
	start := s.cfg.Now()
	id := newClickID()
	d, err := s.cfg.Codec.OpenRequest(string(ctx.Path()), string(ctx.URI().QueryString()))
	if err != nil {
		// A mail client may have run the link into the text after it.
		link := s.origin + string(ctx.RequestURI())
		if d2, _, err2 := s.cfg.Codec.OpenTrimmed(link); err2 == nil {
			d, err = d2, nil
		}
	}
	if err != nil {
		s.fail(ctx, id, badLink(err), &clicklog.Event{ClickID: id, Time: start, Source: "none"})
		return
	}
	u, err := parseDest(d.Dest)
	if err != nil {
		s.fail(ctx, id, &httpError{status: fasthttp.StatusBadRequest, key: "malformed", code: "bad-destination", err: err},
			&clicklog.Event{ClickID: id, Time: start, Source: "none"})
		return
	}
	ip := s.clientIP(ctx)
	ua := string(ctx.UserAgent())
	lang := string(ctx.Request.Header.Peek("Accept-Language"))
	isScanner, why := LooksLikeScanner(string(ctx.Method()), ua, lang, ip, d.Context.Issued, start, s.cfg.Scanners)
	norm := normalizeURL(u)
	host := canonicalHost(u.Hostname())
	p := &pendingClick{
		ClickID: id, Dest: d.Dest, Normalized: norm, Digest: urlDigest(norm), Host: host,
		Recipient: d.Context.Recipient, ShownDomain: d.Context.ShownDomain,
		UserAgent: ua, Language: lang, ClientIP: ip.String(), Scanner: isScanner, ScannerWhy: why, Started: start,
	}
	if d.Context.MessageDigest != ([8]byte{}) {
		p.Message = hex.EncodeToString(d.Context.MessageDigest[:])
	}
	s.decide(ctx, p, u)
}

// decide finds the verdict for a click (override, cache, one-time rule,
// render) and acts on it.
func (s *Server) decide(ctx *fasthttp.RequestCtx, p *pendingClick, u *url.URL) {
	now := s.cfg.Now()
	if ov, ok := s.ov.match(p.Normalized, p.Host, p.registrable); ok {
		s.act(ctx, p, &cached{Verdict: ov.verdictOf(p.Dest, now)}, "override")
		return
	}
	if c, ok := s.store.getMem(p.Digest, now); ok {
		s.act(ctx, p, c, "memory")
		return
	}
	p.setRegistrable()
	rctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	c, err := s.store.getRedis(rctx, p.Digest, now)
	if err != nil {
		s.m.redisErrors.Inc()
	}
	if c != nil {
		cancel()
		s.act(ctx, p, c, "redis")
		return
	}
	if v, ok := s.oneTime(rctx, p, u, now); ok {
		cancel()
		s.log.Info("render skipped: one-time link", zap.String("click_id", p.ClickID), zap.String("host", p.Host),
			zap.String("signs", v.Reasons[0].Evidence["signs"]))
		s.act(ctx, p, &cached{Verdict: v}, "one-time")
		return
	}
	cancel()
	ch := s.herd.resolve(p.Digest, p.Dest, p.Registrable, sandbox.Request{URL: p.Dest, UserAgent: p.UserAgent, Language: p.Language}, p.ClickID)
	t := time.NewTimer(s.cfg.Wait)
	defer t.Stop()
	select {
	case r := <-ch:
		o := r.Val.(outcome)
		s.act(ctx, p, o.c, o.source)
	case <-t.C:
		s.checking(ctx, p)
	}
}

// oneTime judges a one-time link from its URL alone when its domain is
// trusted or has a clean history (OneTimeCleanHistory different URLs
// judged clean in 30 days), so that no render burns the token. A domain
// with any suspicious, malicious or unknown verdict in 30 days is always
// rendered, trusted or not, and so is any plain-http link. The residual
// risk: a domain that served only clean pages so far can get one-time
// links through unrendered; TrustedOneTime with a high clean-history
// threshold limits it.
func (s *Server) oneTime(ctx context.Context, p *pendingClick, u *url.URL, now time.Time) (verdict.Verdict, bool) {
	signs := OneTimeSigns(u)
	if len(signs) == 0 || u.Scheme != "https" || userContentHosts[p.Host] {
		return verdict.Verdict{}, false
	}
	clean, bad := s.store.history(ctx, p.Registrable)
	if bad {
		return verdict.Verdict{}, false // a domain with a bad record is always rendered
	}
	why := ""
	for _, d := range s.cfg.Policy.TrustedOneTime {
		if p.Registrable == d {
			why = "trusted domain"
		}
	}
	if why == "" && clean >= s.cfg.Policy.OneTimeCleanHistory {
		why = fmt.Sprintf("%d different URLs of %s judged clean", clean, p.Registrable)
	}
	if why == "" {
		return verdict.Verdict{}, false
	}
	return verdict.Verdict{Level: verdict.Clean, URL: p.Dest, JudgedAt: now, Reasons: []verdict.Reason{{
		Code: verdict.CodeOneTimeLink, Level: verdict.Clean,
		Evidence: map[string]string{"signs": strings.Join(signs, ", "), "why": why},
		JA:       "使い捨てのリンク（パスワード再設定・ログイン用など）のため、開くと無効になるのを防ぐため事前の確認を省きました（" + p.Registrable + "）。",
		EN:       "This looks like a one-time link (password reset, sign-in link...) on " + p.Registrable + ", so Kensa judged it from the address alone instead of opening it and using it up.",
	}}}, true
}

// act answers a click from its verdict and logs the event.
func (s *Server) act(ctx *fasthttp.RequestCtx, p *pendingClick, c *cached, source string) {
	s.m.verdictSource.WithLabelValues(source).Inc()
	v := c.Verdict
	action, proceed := "redirect", false
	switch v.Level {
	case verdict.Clean:
	case verdict.Suspicious:
		action, proceed = "warn", s.cfg.Policy.ProceedSuspicious
	case verdict.Malicious:
		action = "block"
	default:
		switch s.cfg.Policy.Unknown {
		case "block":
			action = "block"
		case "redirect":
			action = "redirect"
		default:
			action, proceed = "warn", s.cfg.Policy.ProceedUnknown
		}
	}
	switch action {
	case "redirect":
		ctx.Response.Header.Set("Location", p.Dest)
		ctx.SetStatusCode(fasthttp.StatusSeeOther)
	default:
		pg := s.page(ctx, p, c)
		pg.Kind = pages.KindWarn
		status := fasthttp.StatusOK
		if action == "block" {
			pg.Kind, status = pages.KindBlock, fasthttp.StatusForbidden
		}
		if proceed {
			digest, _ := hex.DecodeString(p.Digest)
			pg.ProceedURL = s.basePath + "/p/" + s.proceed.sign(p.ClickID, [16]byte(digest), s.cfg.Now())
		}
		s.savePending(p) // for "continue anyway" and "report this"
		s.render(ctx, status, pg)
	}
	s.emit(ctx, p, action, source, &v, false, "")
}

func (s *Server) page(ctx *fasthttp.RequestCtx, p *pendingClick, c *cached) pages.Page {
	pg := pages.Page{
		Lang: pages.PickLang(p.Language), ClickID: p.ClickID, Dest: p.Dest, Level: c.Verdict.Level,
		Reasons: c.Verdict.Reasons, Chain: c.Chain, ShownDomain: p.ShownDomain, ReportURL: s.basePath + "/report?c=" + p.ClickID + "&s=" + s.clickMAC(p.ClickID),
	}
	if c.HasShot {
		pg.ScreenshotURL = s.basePath + "/shot/" + p.Digest + "?s=" + s.shotMAC(p.Digest)
	}
	return pg
}

// clickMAC authorises a follow-up or a report for one click. The click
// ID alone is shown on pages and quoted to the SOC, so it must not be
// enough to reach someone else's destination.
func (s *Server) clickMAC(id string) string {
	m := hmac.New(sha256.New, s.clickKey)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s *Server) clickMACValid(id, mac string) bool {
	return subtle.ConstantTimeCompare([]byte(mac), []byte(s.clickMAC(id))) == 1
}

func (s *Server) shotMAC(digest string) string {
	m := hmac.New(sha256.New, s.shotKey)
	m.Write([]byte(digest))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func (s *Server) render(ctx *fasthttp.RequestCtx, status int, pg pages.Page) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	if err := pages.Render(ctx, pg); err != nil {
		s.log.Error("page", zap.String("click_id", pg.ClickID), zap.Error(err))
	}
}

// checking answers a click whose verdict is not ready: a page that
// follows up by itself (meta refresh) on /w/CLICKID.
func (s *Server) checking(ctx *fasthttp.RequestCtx, p *pendingClick) {
	s.savePending(p)
	ctx.Response.Header.Set("X-Kensa-Action", "checking")
	s.render(ctx, fasthttp.StatusOK, pages.Page{
		Kind: pages.KindChecking, Lang: pages.PickLang(p.Language), ClickID: p.ClickID, Dest: p.Dest,
		ShownDomain: p.ShownDomain, RefreshURL: s.basePath + "/w/" + p.ClickID + "?s=" + s.clickMAC(p.ClickID), RefreshSeconds: 2,
	})
	s.emit(ctx, p, "checking", "render", nil, false, "")
}

// followUp is GET /w/CLICKID, the checking page's own reload.
func (s *Server) followUp(ctx *fasthttp.RequestCtx, id string) {
	p, ok := s.loadPending(id)
	if !ok || !s.clickMACValid(id, string(ctx.QueryArgs().Peek("s"))) {
		s.fail(ctx, newClickID(), &httpError{status: fasthttp.StatusGone, key: "expired", code: "pending-expired", err: errors.New("no such pending click")}, nil)
		return
	}
	u, err := parseDest(p.Dest)
	if err != nil {
		s.fail(ctx, newClickID(), &httpError{status: fasthttp.StatusBadRequest, key: "malformed", code: "bad-destination", err: err}, nil)
		return
	}
	s.decide(ctx, p, u)
}

// proceedClick is GET /p/TOKEN, "continue anyway".
func (s *Server) proceedClick(ctx *fasthttp.RequestCtx, tok string) {
	now := s.cfg.Now()
	id, digest, err := s.proceed.open(tok, now)
	var p *pendingClick
	ok := false
	if err == nil {
		p, ok = s.loadPending(id)
	}
	if !ok || p.Digest != hex.EncodeToString(digest[:]) {
		s.fail(ctx, newClickID(), &httpError{status: fasthttp.StatusGone, key: "expired", code: "proceed-invalid", err: errProceed}, nil)
		return
	}
	// The verdict may have changed since the warning (an override, a
	// re-check): a block now wins.
	c, found := s.store.getMem(p.Digest, now)
	if !found {
		rctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if rc, err := s.store.getRedis(rctx, p.Digest, now); err == nil && rc != nil {
			c, found = rc, true
		}
		cancel()
	}
	if ov, has := s.ov.match(p.Normalized, p.Host, p.registrable); has {
		c, found = &cached{Verdict: ov.verdictOf(p.Dest, now)}, true
	}
	if !found {
		// The verdict is gone (expired, or Redis unreachable): what is not
		// known now is treated as unknown, not as the old warning.
		c, found = &cached{Verdict: verdict.Verdict{Level: verdict.Unknown, URL: p.Dest, JudgedAt: now}}, true
	}
	allowed := true
	if found {
		switch c.Verdict.Level {
		case verdict.Malicious:
			allowed = false
		case verdict.Suspicious:
			allowed = s.cfg.Policy.ProceedSuspicious
		case verdict.Unknown:
			allowed = s.cfg.Policy.ProceedUnknown && s.cfg.Policy.Unknown == "warn"
		}
	}
	if !allowed {
		s.act(ctx, p, c, "memory")
		return
	}
	ctx.Response.Header.Set("Location", p.Dest)
	ctx.SetStatusCode(fasthttp.StatusSeeOther)
	var v *verdict.Verdict
	if found {
		v = &c.Verdict
	}
	s.emit(ctx, p, "redirect", "proceed", v, true, "")
}

// unchecked is GET /x?u=...: an unsigned link the rewriter could not sign
// (too long). Its text is shown, never redirected to.
func (s *Server) unchecked(ctx *fasthttp.RequestCtx) {
	id := newClickID()
	text, err := s.cfg.Codec.OpenUnsigned(s.cfg.Codec.Base() + "/x?" + string(ctx.URI().QueryString()))
	if err != nil {
		s.fail(ctx, id, badLink(err), &clicklog.Event{ClickID: id, Time: s.cfg.Now(), Source: "none"})
		return
	}
	ctx.Response.Header.Set("X-Kensa-Action", "error")
	ctx.Response.Header.Set("X-Kensa-Click-Id", id)
	s.render(ctx, fasthttp.StatusOK, pages.Page{
		Kind: pages.KindUnchecked, Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language"))), ClickID: id, UncheckedText: text,
	})
	s.cfg.Events.Emit(clicklog.Event{ClickID: id, Time: s.cfg.Now(), Action: "error", Source: "none", Error: "unsigned",
		ClientIP: s.clientIP(ctx).String(), UserAgent: string(ctx.UserAgent()), URL: text})
	s.m.clicks.WithLabelValues("error").Inc()
}

// fail answers with an error page. It never redirects.
func (s *Server) fail(ctx *fasthttp.RequestCtx, id string, err error, ev *clicklog.Event) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: fasthttp.StatusInternalServerError, key: "internal", code: "internal", err: err}
	}
	ctx.Response.Header.Del("Location")
	ctx.Response.Header.Set("X-Kensa-Action", "error")
	ctx.Response.Header.Set("X-Kensa-Click-Id", id)
	s.render(ctx, he.status, pages.Page{
		Kind: pages.KindError, Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language"))), ClickID: id, ErrorKey: he.key,
	})
	s.m.clicks.WithLabelValues("error").Inc()
	if ev != nil {
		ev.Action, ev.Error = "error", he.code
		ev.ClientIP, ev.UserAgent = s.clientIP(ctx).String(), string(ctx.UserAgent())
		ev.LatencyMS = float64(s.cfg.Now().Sub(ev.Time).Microseconds()) / 1000
		s.cfg.Events.Emit(*ev)
	}
	if he.status >= 500 {
		s.log.Error("click failed", zap.String("click_id", id), zap.Error(err))
	}
}

// emit sets the action headers and logs the click event.
func (s *Server) emit(ctx *fasthttp.RequestCtx, p *pendingClick, action, source string, v *verdict.Verdict, proceeded bool, errCode string) {
	ctx.Response.Header.Set("X-Kensa-Action", action)
	ctx.Response.Header.Set("X-Kensa-Click-Id", p.ClickID)
	s.m.clicks.WithLabelValues(action).Inc()
	ev := clicklog.Event{
		ClickID: p.ClickID, Time: p.Started, Recipient: p.Recipient, Message: p.Message, URL: p.Dest, Host: p.Host,
		Action: action, Proceeded: proceeded, Source: source, ClientIP: p.ClientIP, UserAgent: p.UserAgent,
		Scanner: p.Scanner, ScannerWhy: p.ScannerWhy, Error: errCode,
		LatencyMS: float64(s.cfg.Now().Sub(p.Started).Microseconds()) / 1000,
	}
	if v != nil {
		ev.Verdict = string(v.Level)
		for _, r := range v.Reasons {
			ev.Reasons = append(ev.Reasons, string(r.Code))
		}
	}
	s.cfg.Events.Emit(ev)
}

// pendingMaxHeader bounds the request headers a pending click keeps, so
// that big headers cannot fill memory and Redis.
const pendingMaxHeader = 512

func (s *Server) savePending(p *pendingClick) {
	p.setRegistrable() // set before the record is shared: loadPending hands out copies
	p.UserAgent, p.Language = clip(p.UserAgent, pendingMaxHeader), clip(p.Language, pendingMaxHeader)
	s.pending.Add(p.ClickID, p)
	b, _ := json.Marshal(p)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.cfg.Redis.Set(ctx, keyPending+p.ClickID, b, s.cfg.ProceedTTL+time.Minute).Err(); err != nil {
		s.m.redisErrors.Inc()
	}
}

func (s *Server) loadPending(id string) (*pendingClick, bool) {
	if len(id) != 16 {
		return nil, false
	}
	if p, ok := s.pending.Get(id); ok {
		if s.cfg.Now().After(p.Started.Add(s.cfg.ProceedTTL + time.Minute)) {
			s.pending.Remove(id)
			return nil, false
		}
		cp := *p
		return &cp, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	b, err := s.cfg.Redis.Get(ctx, keyPending+id).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			s.m.redisErrors.Inc()
		}
		return nil, false
	}
	var p pendingClick
	if json.Unmarshal(b, &p) != nil {
		return nil, false
	}
	s.pending.Add(id, &p)
	cp := p
	return &cp, true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// screenshot is GET /shot/DIGEST?s=MAC: the thumbnail of a checked page.
// The MAC keeps screenshots from being enumerated by digest.
func (s *Server) screenshot(ctx *fasthttp.RequestCtx, digest string) {
	mac := string(ctx.QueryArgs().Peek("s"))
	if len(digest) != 32 || subtle.ConstantTimeCompare([]byte(mac), []byte(s.shotMAC(digest))) != 1 {
		s.fail(ctx, newClickID(), errNotFound, nil)
		return
	}
	rctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	b, err := s.cfg.Redis.Get(rctx, keyShot+digest).Bytes()
	if err != nil {
		s.fail(ctx, newClickID(), errNotFound, nil)
		return
	}
	ctx.Response.Header.Set("Cache-Control", "private, max-age=600")
	ctx.SetContentType("image/jpeg")
	ctx.SetBody(b)
}

// report is POST /report: "report this link" from a warning page.
func (s *Server) report(ctx *fasthttp.RequestCtx) {
	id := string(ctx.QueryArgs().Peek("c"))
	p, ok := s.loadPending(id)
	if ok && s.clickMACValid(id, string(ctx.QueryArgs().Peek("s"))) {
		b, _ := json.Marshal(map[string]any{"click_id": id, "url": p.Dest, "recipient": p.Recipient, "time": s.cfg.Now()})
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.cfg.Redis.LPush(rctx, keyReports, b)
		s.cfg.Redis.LTrim(rctx, keyReports, 0, 99_999)
		cancel()
		s.log.Info("link reported by user", zap.String("click_id", id), zap.String("host", p.Host))
	}
	lang := pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language")))
	ctx.SetContentType("text/html; charset=utf-8")
	msg := "Thank you. Your security team has been told about this link."
	if lang == pages.JA {
		msg = "ご報告ありがとうございます。セキュリティ担当者に通知しました。"
	}
	fmt.Fprintf(ctx, "<!doctype html><html lang=%q><meta charset=utf-8><title>Kensa</title><link rel=stylesheet href=%q><main><p>%s</p></main>", lang, pages.StylePath, msg)
}

func (s *Server) readyz(ctx *fasthttp.RequestCtx) {
	var problems []string
	rctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.cfg.Redis.Ping(rctx).Err(); err != nil {
		problems = append(problems, "redis: unreachable")
		s.log.Warn("readyz: redis", zap.Error(err))
	}
	if r, ok := s.cfg.Scanner.(interface{ Ready() error }); ok {
		if err := r.Ready(); err != nil {
			problems = append(problems, "sandbox: not ready")
			s.log.Warn("readyz: sandbox", zap.Error(err))
		}
	}
	ctx.SetContentType("text/plain; charset=utf-8")
	if len(problems) > 0 {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString(strings.Join(problems, "\n") + "\n")
		return
	}
	ctx.SetBodyString("ready\n")
}
