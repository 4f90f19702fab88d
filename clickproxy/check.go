package clickproxy

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
)

// The browser extension's hover check (docs/extension.md):
//
//	OPTIONS /api/v1/check                     CORS preflight, allowed extension origins only
//	GET     /api/v1/check?url=URL             api.Check
//
// It answers from what a click would use (override, memory, Redis, the
// one-time rule) or starts the render through the herd, so a hover and the
// clicks on the same destination share one render, and answers
// "checking". It never waits for a render: the extension asks again.
// A hover is not a click: it is logged with action "hover-check" and never
// counted as a click.

// checkRetryMS is when the extension should ask again about a URL whose
// render is under way.
const checkRetryMS = 1000

var (
	errForbiddenOrigin = &httpError{status: fasthttp.StatusForbidden, code: api.CodeForbidden, msg: "origin not allowed", err: errors.New("origin not allowed")}
	errCheckLimited    = &httpError{status: fasthttp.StatusTooManyRequests, code: api.CodeRateLimited, msg: "too many checks for this token; retry after the time in Retry-After", err: errors.New("token over its check limit")}
)

// allowOrigin sets the CORS answer headers for an allowed extension
// origin, and refuses a request from any other origin. A request without
// Origin (a script, curl) passes: it needs a token like any other. serve
// calls it before authorize, so errors carry the headers too.
func (s *Server) allowOrigin(ctx *fasthttp.RequestCtx) error {
	origin := string(ctx.Request.Header.Peek("Origin"))
	if origin == "" {
		return nil
	}
	if !slices.Contains(s.cfg.ExtensionOrigins, origin) {
		return errForbiddenOrigin
	}
	ctx.Response.Header.Set("Access-Control-Allow-Origin", origin)
	ctx.Response.Header.Set("Vary", "Origin")
	return nil
}

// preflight is OPTIONS /api/v1/check: the browser asks whether the
// extension may send GET with an Authorization header.
func (s *Server) preflight(ctx *fasthttp.RequestCtx, _ string) error {
	origin := string(ctx.Request.Header.Peek("Origin"))
	if !slices.Contains(s.cfg.ExtensionOrigins, origin) {
		return errForbiddenOrigin
	}
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET")
	h.Set("Access-Control-Allow-Headers", "Authorization")
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Vary", "Origin")
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}

// check is GET /api/v1/check?url=.
func (s *Server) check(ctx *fasthttp.RequestCtx, _ string) error {
	start := s.cfg.Now()
	q := api.CheckQuery{URL: string(ctx.QueryArgs().Peek("url"))}
	switch {
	case q.URL == "":
		return apiBadRequest(errors.New("url: required"))
	case len(q.URL) > api.MaxCheckURL:
		return apiBadRequest(fmt.Errorf("url: longer than %d bytes", api.MaxCheckURL))
	}
	ip := s.clientIP(ctx)
	p := &pendingClick{
		ClickID: newClickID(), Dest: q.URL, UserAgent: string(ctx.UserAgent()),
		Language: string(ctx.Request.Header.Peek("Accept-Language")), ClientIP: ip.String(), Started: start,
	}
	res := api.Check{Reasons: []api.CheckReason{}}
	if s.cfg.Codec.IsLink(q.URL) {
		// A Kensa link: checked only if it verifies, for its destination
		// and with its mail's signs, as a click would be.
		d, err := s.cfg.Codec.Open(q.URL)
		if err != nil {
			return apiBadRequest(fmt.Errorf("url: a Kensa link that does not verify (%s)", linktoken.Code(err)))
		}
		p.Dest, p.Recipient, p.ShownDomain = d.Dest, d.Context.Recipient, d.Context.ShownDomain
		p.PasswordForm = d.Context.Flags&linktoken.FlagPasswordForm != 0
		if d.Context.MessageDigest != ([8]byte{}) {
			p.Message = hex.EncodeToString(d.Context.MessageDigest[:])
		}
		res.KensaLink, res.ShownDomain = true, d.Context.ShownDomain
	}
	u, err := parseDest(p.Dest)
	if err != nil {
		return apiBadRequest(errors.New("url: want an absolute http or https URL"))
	}
	p.Normalized, p.Canonical, p.Host = normalizeURL(u), canonicalURL(p.Dest, u), canonicalHost(u.Hostname())
	p.Digest = urlDigest(p.Canonical)
	// The extension's browser is the one that will click: its device
	// class's verdict (kits cloak by device).
	p.Device = string(sandbox.DeviceOf(p.UserAgent))
	res.URL = p.Dest

	c, source, ok := s.cachedVerdict(ctx, p, u)
	if !ok && len(OneTimeSigns(u)) > 0 {
		// People hover over far more links than they click: a render
		// for a hover would use up password resets, sign-in links and
		// unsubscribe links nobody meant to open. Not rendered, not
		// cached: the click checks it as usual.
		c, source, ok = &cached{Verdict: hoverOneTime(p.Dest, start)}, "none", true
	}
	if !ok {
		// The same render a click would start, shared with the clicks
		// on this destination (herd). Nobody waits on the channel: the
		// verdict lands in the cache, where the next check finds it.
		req := sandbox.Request{URL: p.Canonical, UserAgent: p.UserAgent, Language: p.Language, FairKey: cmp.Or(p.Registrable, p.Host)}
		s.herd.resolve(requestContext(ctx), p.cacheKey(), p.Canonical, p.Registrable, req, p.ClickID)
		res.Status, res.RetryMS = api.CheckChecking, checkRetryMS
		s.m.hoverChecks.WithLabelValues(api.CheckChecking).Inc()
		s.emitHover(p, "render", nil)
		writeJSON(ctx, res)
		return nil
	}
	v, _, _ := s.shownAction(c.Verdict, p)
	res.Status, res.Level = api.CheckDone, v.Level
	res.Reasons = checkReasons(v.Reasons)
	if c.HasShot {
		key := p.cacheKey()
		res.Screenshot = s.basePath + "/shot/" + key + "?s=" + s.shotMAC(key)
	}
	s.m.hoverChecks.WithLabelValues(api.CheckDone).Inc()
	s.emitHover(p, source, &v)
	writeJSON(ctx, res)
	return nil
}

func hoverOneTime(dest string, now time.Time) verdict.Verdict {
	return verdict.Verdict{Level: verdict.Unknown, URL: dest, JudgedAt: now, Reasons: []verdict.Reason{{
		Code: verdict.CodeHoverOneTime, Level: verdict.Unknown,
		JA: "使い捨てのリンク（パスワード再設定・ログイン・配信停止など）のようです。開くと無効になるおそれがあるため、マウスを重ねただけでは確認しません。クリックしたときに確認します。",
		EN: "This looks like a one-time link (password reset, sign-in, unsubscribe). Checking it now could use it up, so Kensa checks it when you click it, not when you hover.",
	}}}
}

// cachedVerdict is decide's lookup without the render: override, memory,
// then Redis and the one-time rule (lookup).
func (s *Server) cachedVerdict(ctx *fasthttp.RequestCtx, p *pendingClick, u *url.URL) (*cached, string, bool) {
	now := s.cfg.Now()
	if ov, ok := s.ov.match(p.Normalized, p.Host, p.registrable); ok {
		return &cached{Verdict: overrideVerdict(ov, p.Dest, now)}, "override", true
	}
	if c, ok := s.store.getMem(p.cacheKey(), now); ok {
		return c, "memory", true
	}
	p.setRegistrable()
	return s.lookup(requestContext(ctx), p, u, now)
}

// checkReasons are the reasons the interstitial lists (pages drops the
// clean ones), without their evidence.
func checkReasons(rs []verdict.Reason) []api.CheckReason {
	out := make([]api.CheckReason, 0, len(rs))
	for _, r := range rs {
		if r.Level == verdict.Clean {
			continue
		}
		out = append(out, api.CheckReason{Code: r.Code, Level: r.Level, JA: r.JA, EN: r.EN})
	}
	return out
}

// emitHover logs a hover check in the click log's stream with action
// "hover-check", so the SOC sees it apart from clicks.
func (s *Server) emitHover(p *pendingClick, source string, v *verdict.Verdict) {
	ev := clicklog.Event{
		ClickID: p.ClickID, Time: p.Started, Recipient: p.Recipient, Message: p.Message, URL: p.Dest, Host: p.Host,
		Action: "hover-check", Source: source, ClientIP: p.ClientIP, UserAgent: p.UserAgent,
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

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
