package clickproxy

import (
	"cmp"
	"context"
	"encoding/hex"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/pages"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
)

// The click flow: verify the link, find the verdict (override, memory,
// Redis, one-time rule, render), act on it, log the click.

// click is GET /k/TOKEN?u=...: a click on a rewritten link.
func (s *Server) click(ctx *fasthttp.RequestCtx, _ string) error {
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
		return inClick(id, &clicklog.Event{ClickID: id, Time: start, Source: "none"}, badLink(err))
	}
	k, u, err := s.destKeyOf(d.Dest)
	if err != nil {
		return inClick(id, &clicklog.Event{ClickID: id, Time: start, Source: "none"}, badDestination(err))
	}
	ip := s.clientIP(ctx)
	ua := string(ctx.UserAgent())
	lang := string(ctx.Request.Header.Peek("Accept-Language"))
	uai := s.ua.get(ua, newUAInfo)
	isScanner, why := looksLikeScanner(uai.scannerWhy, string(ctx.Method()), ua, lang, ip, d.Context.Issued, start, s.cfg.Scanners)
	p := &pendingClick{
		ClickID: id, Dest: d.Dest, Normalized: k.normalized, Canonical: k.canonical, Digest: k.digest, Host: k.host, Registrable: k.registrable,
		Recipient: d.Context.Recipient, ShownDomain: d.Context.ShownDomain, PasswordForm: d.Context.Flags&linktoken.FlagPasswordForm != 0,
		UserAgent: ua, Language: lang, ClientIP: ip.String(), Scanner: isScanner, ScannerWhy: why, Started: start,
		Device: string(uai.device),
	}
	if d.Context.MessageDigest != ([8]byte{}) {
		p.Message = hex.EncodeToString(d.Context.MessageDigest[:])
	}
	s.decide(ctx, p, u)
	return nil
}

// decide finds the verdict for a click (override, cache, one-time rule,
// render) and acts on it. u is p.Dest parsed, or nil: parsed here when a
// path beyond the in-process cache needs it (destKeyOf).
func (s *Server) decide(ctx *fasthttp.RequestCtx, p *pendingClick, u *url.URL) {
	now := s.cfg.Now()
	if ov, ok := s.ov.match(p.Normalized, p.Host, p.registrable); ok {
		s.act(ctx, p, &cached{Verdict: overrideVerdict(ov, p.Dest, now)}, "override")
		return
	}
	if c, ok := s.store.getMem(p.cacheKey(), now); ok {
		s.act(ctx, p, c, "memory")
		return
	}
	p.setRegistrable()
	if u == nil {
		var err error
		if u, err = parseDest(p.Dest); err != nil { // it parsed before; never happens
			s.act(ctx, p, &cached{Verdict: verdict.Verdict{Level: verdict.Unknown, JudgedAt: now}}, "none")
			return
		}
	}
	if c, source, ok := s.lookup(requestContext(ctx), p, u, now); ok {
		s.act(ctx, p, c, source)
		return
	}
	if p.Scanner {
		// A scanner (or a HEAD request) never decides the verdict people
		// get: a page harmless to the first fetch and phishing afterwards
		// would pass every time, rendered with the scanner's User-Agent.
		s.neutral(ctx, p)
		return
	}
	// The render is of the URL the verdict is cached under, whichever
	// spelling of it this click has: the verdict is about what was rendered.
	// It is cached under the clicker's device class too (cacheKey), and
	// rendered as the clicker's browser.
	// FairKey: renders are shared out between registrable domains
	// (sandbox/fair), so a flood of links on one domain cannot starve
	// the clicks on others.
	req := sandbox.Request{URL: p.Canonical, UserAgent: p.UserAgent, Language: p.Language, FairKey: cmp.Or(p.Registrable, p.Host)}
	ch := s.herd.resolve(requestContext(ctx), p.cacheKey(), p.Canonical, p.Registrable, req, p.ClickID)
	t := time.NewTimer(s.cfg.Wait)
	defer t.Stop()
	select {
	case o := <-ch:
		s.act(ctx, p, o.c, o.source)
	case <-t.C:
		s.checking(ctx, p)
	}
}

// lookup is what decide tries before a render: Redis's cache, then the
// one-time rule, within redisClickTimeout.
func (s *Server) lookup(ctx context.Context, p *pendingClick, u *url.URL, now time.Time) (*cached, string, bool) {
	rctx, cancel := context.WithTimeout(ctx, redisClickTimeout)
	defer cancel()
	c, err := s.store.getRedis(rctx, p.cacheKey(), now)
	if err != nil {
		s.m.redisErrors.Inc()
	}
	if c != nil {
		return c, "redis", true
	}
	if p.Scanner {
		// The one-time rule would redirect the scanner, which would use up
		// the token before the person arrives.
		return nil, "", false
	}
	if v, ok := s.oneTime(rctx, p, u, now); ok {
		s.log.Info("render skipped: one-time link", zap.String("click_id", p.ClickID), zap.String("host", p.Host),
			zap.String("signs", v.Reasons[0].Evidence["signs"]), zap.String("skipped_before", v.Reasons[0].Evidence["skipped_before"]))
		return &cached{Verdict: v}, "one-time", true
	}
	return nil, "", false
}

// action is what a verdict leads to under the policy: "redirect", "warn"
// or "block", and whether a warning offers "continue anyway".
func (s *Server) action(l verdict.Level) (action string, proceed bool) {
	switch l {
	case verdict.Clean:
		return "redirect", false
	case verdict.Suspicious:
		return "warn", !s.cfg.Policy.DenyProceedSuspicious
	case verdict.Malicious:
		return "block", false
	}
	switch s.cfg.Policy.Unknown {
	case "block":
		return "block", false
	case "redirect":
		return "redirect", false
	}
	return "warn", !s.cfg.Policy.DenyProceedUnknown
}

// act answers a click from its verdict and logs the event.
func (s *Server) act(ctx *fasthttp.RequestCtx, p *pendingClick, c *cached, source string) {
	s.m.verdictSource.with(source).Inc()
	v, action, proceed := s.shownAction(c.Verdict, p)
	if action == "redirect" {
		ctx.Response.Header.Set("Location", p.Dest)
		ctx.SetStatusCode(fasthttp.StatusSeeOther)
	} else {
		pg := s.page(p, c, v)
		pg.Kind = pages.KindWarn
		status := fasthttp.StatusOK
		if action == "block" {
			pg.Kind, status = pages.KindBlock, fasthttp.StatusForbidden
		}
		if proceed {
			digest, _ := hex.DecodeString(p.Digest)
			pg.ProceedURL = s.basePath + "/p/" + s.proceed.sign(p.ClickID, [16]byte(digest), s.cfg.Now())
		}
		s.savePending(requestContext(ctx), p) // for "continue anyway" and "report this"
		s.render(ctx, status, pg)
	}
	s.emit(ctx, p, action, source, &v, false)
}

// page is the warning or block page for verdict v, which is c's verdict
// with the click's own signs (withMailSigns).
func (s *Server) page(p *pendingClick, c *cached, v verdict.Verdict) pages.Page {
	pg := pages.Page{
		Lang: pages.PickLang(p.Language), ClickID: p.ClickID, Dest: p.Dest, Level: v.Level,
		Reasons: v.Reasons, Chain: c.Chain, ShownDomain: p.ShownDomain, ReportURL: s.basePath + "/report?c=" + p.ClickID + "&s=" + s.clickMAC(p.ClickID),
	}
	if c.HasShot {
		key := p.cacheKey()
		pg.ScreenshotURL = s.basePath + "/shot/" + key + "?s=" + s.shotMAC(key)
	}
	return pg
}

func (s *Server) render(ctx *fasthttp.RequestCtx, status int, pg pages.Page) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	if err := pages.Render(ctx, pg); err != nil {
		s.log.Error("page", zap.String("click_id", pg.ClickID), zap.Error(err))
	}
}

// neutral answers a scanner's click (or a HEAD request) on a link with no
// verdict: 200 and the "not checked yet" page, no Location, no render, no
// pending click. Not an error status: other gateways' scanners that get
// one may flag the whole mail or retry; a plain page ends their fetch.
func (s *Server) neutral(ctx *fasthttp.RequestCtx, p *pendingClick) {
	s.render(ctx, fasthttp.StatusOK, pages.Page{
		Kind: pages.KindError, Lang: pages.PickLang(p.Language), ClickID: p.ClickID, ErrorKey: "not-checked",
	})
	s.emit(ctx, p, "neutral", "none", nil, false)
}

// checking answers a click whose verdict is not ready: a page that
// follows up by itself (meta refresh) on /w/CLICKID.
func (s *Server) checking(ctx *fasthttp.RequestCtx, p *pendingClick) {
	s.savePending(requestContext(ctx), p)
	ctx.Response.Header.Set("X-Kensa-Action", "checking")
	s.render(ctx, fasthttp.StatusOK, pages.Page{
		Kind: pages.KindChecking, Lang: pages.PickLang(p.Language), ClickID: p.ClickID, Dest: p.Dest,
		ShownDomain: p.ShownDomain, RefreshURL: s.basePath + "/w/" + p.ClickID + "?s=" + s.clickMAC(p.ClickID), RefreshSeconds: 2,
	})
	s.emit(ctx, p, "checking", "render", nil, false)
}

// followUp is GET /w/CLICKID, the checking page's own reload.
func (s *Server) followUp(ctx *fasthttp.RequestCtx, id string) error {
	p, ok := s.loadPending(requestContext(ctx), id)
	if !ok || !s.clickMACValid(id, string(ctx.QueryArgs().Peek("s"))) {
		return errPendingGone
	}
	u, err := parseDest(p.Dest)
	if err != nil {
		return badDestination(err)
	}
	if p.Canonical == "" { // kept by a release without it
		p.Canonical = canonicalURL(p.Dest, u)
		p.Digest = urlDigest(p.Canonical)
	}
	s.decide(ctx, p, u)
	return nil
}

// unchecked is GET /x?u=...: an unsigned link the rewriter could not sign
// (too long). Its text is shown, never redirected to.
func (s *Server) unchecked(ctx *fasthttp.RequestCtx, _ string) error {
	id := newClickID()
	text, err := s.cfg.Codec.OpenUnsigned(s.cfg.Codec.Base() + "/x?" + string(ctx.URI().QueryString()))
	if err != nil {
		return inClick(id, &clicklog.Event{ClickID: id, Time: s.cfg.Now(), Source: "none"}, badLink(err))
	}
	ctx.Response.Header.Set("X-Kensa-Action", "error")
	ctx.Response.Header.Set("X-Kensa-Click-Id", id)
	s.render(ctx, fasthttp.StatusOK, pages.Page{
		Kind: pages.KindUnchecked, Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language"))), ClickID: id, UncheckedText: text,
	})
	ip := s.clientIP(ctx)
	s.emitError(clicklog.Event{ClickID: id, Time: s.cfg.Now(), Action: "error", Source: "none", Error: "unsigned",
		ClientIP: ip.String(), UserAgent: string(ctx.UserAgent()), URL: text}, ip)
	s.m.clicks.with("error").Inc()
	return nil
}

// emit sets the action headers and logs the click event.
func (s *Server) emit(ctx *fasthttp.RequestCtx, p *pendingClick, action, source string, v *verdict.Verdict, proceeded bool) {
	ctx.Response.Header.Set("X-Kensa-Action", action)
	ctx.Response.Header.Set("X-Kensa-Click-Id", p.ClickID)
	s.m.clicks.with(action).Inc()
	ev := clicklog.Event{
		ClickID: p.ClickID, Time: p.Started, Recipient: p.Recipient, Message: p.Message, URL: p.Dest, Host: p.Host,
		Domain: p.registrable(), URLDigest: p.Digest,
		Action: action, Proceeded: proceeded, Source: source, ClientIP: p.ClientIP, UserAgent: p.UserAgent,
		Scanner: p.Scanner, ScannerWhy: p.ScannerWhy,
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
