package clickproxy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/audit"
)

// Authentication and authorization of the API and the console: who is
// asking (a bearer token, or a console session cookie), and whether the
// route's permission (route.perm) is theirs. authorize is the only place
// that decides; handlers read the result with principal(ctx) and record
// changes with s.recordAudit.

var (
	errUnauthorized = &httpError{status: fasthttp.StatusUnauthorized, key: "unauthorized", code: api.CodeUnauthorized, msg: "a valid bearer token or session is needed", err: errors.New("not authenticated")}
	errForbidden    = &httpError{status: fasthttp.StatusForbidden, key: "forbidden", code: api.CodeForbidden, msg: "your role does not allow this", err: errors.New("forbidden")}
)

// principalKey is the fasthttp user value holding the request's
// access.Principal (set by authorize, for the handler's lifetime only).
const principalKey = "kensa.principal"

var (
	errCSRF        = &httpError{status: fasthttp.StatusForbidden, key: "csrf", code: api.CodeForbidden, msg: "a change from the console needs its CSRF token and a same-origin request", err: errors.New("CSRF check failed")}
	errPrincipalRL = &httpError{status: fasthttp.StatusTooManyRequests, key: "too-many", code: api.CodeRateLimited, msg: "too many requests with this token or session; retry after the time in Retry-After", err: errors.New("principal rate limited")}
)

// authorize authenticates the request unless the route is public,
// limits the principal's rate, checks the CSRF token of a change made
// with a session cookie, and checks the route's permission. A route
// without a permission is refused to everyone.
func (s *Server) authorize(ctx *fasthttp.RequestCtx, r route) error {
	if r.perm == access.Public {
		return nil
	}
	p, err := s.authenticate(ctx)
	if err != nil {
		return err
	}
	if p.Kind == "" {
		// The check route skips the network limit for valid tokens (serve):
		// guessing tokens there is as slow as on the other API routes.
		if r.perToken && !s.apiLimit.Allow(s.clientIP(ctx), s.cfg.Now()) {
			s.m.rateLimited.WithLabelValues("api").Inc()
			ctx.Response.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(s.apiLimit.RetryAfter().Seconds()))))
			return errRateLimited
		}
		if r.api {
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="kensa"`)
		}
		return errUnauthorized
	}
	ctx.SetUserValue(principalKey, p)
	lim, limName, limErr := s.principalLimit, "principal", errPrincipalRL
	if r.perToken {
		// The extension's hover checks and their polling have their own
		// per-token budget (serve.check_rate).
		lim, limName, limErr = s.checkLimit, "check", errCheckLimited
	}
	if !lim.Allow(limitKey(p), s.cfg.Now()) {
		s.m.rateLimited.WithLabelValues(limName).Inc()
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(lim.RetryAfter().Seconds()))))
		return limErr
	}
	if p.Kind == access.KindUser && !safeMethod(ctx) && !s.csrfOK(ctx, p.CSRF) {
		return errCSRF
	}
	if r.perm == "" || !p.Can(r.perm) {
		return errForbidden
	}
	return nil
}

// authenticate finds the request's principal: a bearer token (from the
// configuration, admin-equivalent, or from the Store), else a console
// session cookie. A wrong token is nobody, not a fallback to the cookie.
// The error is for Redis failures only.
func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (access.Principal, error) {
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	if h := ctx.Request.Header.Peek("Authorization"); len(h) > 0 {
		tok, ok := strings.CutPrefix(string(h), "Bearer ")
		if !ok || tok == "" {
			return access.Principal{}, nil
		}
		if id, ok := s.configToken(tok); ok {
			return access.Principal{Kind: access.KindConfigToken, ID: id, Name: "config", Role: api.RoleAdmin}, nil
		}
		p, err := s.access.TokenPrincipal(rctx, tok)
		if errors.Is(err, access.ErrBadToken) {
			return access.Principal{}, nil
		}
		if err != nil {
			return access.Principal{}, apiUnavailable("token store unavailable", err)
		}
		return p, nil
	}
	if id := ctx.Request.Header.Cookie(s.sessionCookie()); len(id) > 0 {
		p, err := s.access.SessionPrincipal(rctx, string(id))
		if errors.Is(err, access.ErrNoSession) {
			return access.Principal{}, nil
		}
		if err != nil {
			return access.Principal{}, apiUnavailable("session store unavailable", err)
		}
		return p, nil
	}
	return access.Principal{}, nil
}

// limitKey is whose requests count together: a user's, whatever their
// sessions; a token's by its ID (names need not be unique).
func limitKey(p access.Principal) string {
	switch p.Kind {
	case access.KindToken:
		return "token:" + p.ID
	case access.KindConfigToken:
		return "config-token:" + p.ID
	}
	return p.Actor()
}

func safeMethod(ctx *fasthttp.RequestCtx) bool { return ctx.IsGet() || ctx.IsHead() }

// csrfOK checks a change made with a session cookie: the session's
// synchronizer token, in the X-CSRF-Token header or the form field csrf,
// compared in constant time; and the browser's own word that the request
// comes from this origin. Origin, when it is not "null" (which is what a
// form post sends under Referrer-Policy: no-referrer), must name this
// host; Sec-Fetch-Site, when sent, must be same-origin. The cookie's
// SameSite=Strict is a third line.
func (s *Server) csrfOK(ctx *fasthttp.RequestCtx, want string) bool {
	got := ctx.Request.Header.Peek("X-CSRF-Token")
	if len(got) == 0 {
		got = ctx.PostArgs().Peek("csrf")
	}
	if want == "" || subtle.ConstantTimeCompare(got, []byte(want)) != 1 {
		return false
	}
	if site := string(ctx.Request.Header.Peek("Sec-Fetch-Site")); site != "" && site != "same-origin" {
		return false
	}
	if o := string(ctx.Request.Header.Peek("Origin")); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != string(ctx.Host()) {
			return false
		}
	}
	return true
}

// sessionCookie is the console session cookie's name: with Secure, the
// __Host- prefix, which browsers accept only from a secure origin with
// Path=/ and no Domain, so a sibling host cannot set it.
func (s *Server) sessionCookie() string {
	if s.cfg.InsecureCookies {
		return "kensa-session"
	}
	return "__Host-kensa-session"
}

// setSessionCookie sets (value != "") or clears the session cookie:
// HttpOnly, SameSite=Strict, Secure unless Config.InsecureCookies.
func (s *Server) setSessionCookie(ctx *fasthttp.RequestCtx, value string, ttl time.Duration) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(s.sessionCookie())
	c.SetValue(value)
	c.SetPath("/")
	c.SetHTTPOnly(true)
	c.SetSecure(!s.cfg.InsecureCookies)
	c.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	if value == "" {
		c.SetExpire(fasthttp.CookieExpireDelete)
	} else {
		c.SetMaxAge(int(ttl.Seconds()))
	}
	ctx.Response.Header.SetCookie(c)
}

// principal is who made the request (authorize set it); the zero
// Principal on public routes.
func principal(ctx *fasthttp.RequestCtx) access.Principal {
	p, _ := ctx.UserValue(principalKey).(access.Principal)
	return p
}

// recordAudit writes e to the audit log with the request's actor, role
// and client address filled in. A change whose audit entry cannot be
// written must not be reported as done silently: callers return the
// error (a 503) or, when the change is already made, log it.
func (s *Server) recordAudit(ctx *fasthttp.RequestCtx, e api.AuditEntry) error {
	p := principal(ctx)
	if e.Actor == "" {
		e.Actor = p.Actor()
	}
	if e.Role == "" {
		e.Role = p.RoleOrScope()
	}
	e.ClientIP = s.clientIP(ctx).String()
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	if _, err := s.audit.Record(rctx, e); err != nil {
		s.log.Error("audit entry not written", zap.String("action", e.Action), zap.String("actor", e.Actor), zap.String("target", e.Target), zap.Error(err))
		return apiUnavailable("audit log unavailable", err)
	}
	return nil
}

// listAudit is GET /api/v1/audit?before=&n=.
func (s *Server) listAudit(ctx *fasthttp.RequestCtx, _ string) error {
	a := ctx.QueryArgs()
	n, _ := a.GetUint("n")
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	es, next, err := s.audit.List(rctx, string(a.Peek("before")), n)
	switch {
	case errors.Is(err, audit.ErrBadCursor):
		return apiBadRequest(err)
	case err != nil:
		return apiUnavailable("audit log unavailable", err)
	}
	writeJSON(ctx, api.AuditList{Entries: es, Next: next})
	return nil
}

// configToken compares tok with every configured token in constant time
// (over SHA-256 digests, so lengths do not leak either).
//
// id names the token for its rate limit: the first 8 bytes of its SHA-256
// in hex, never the token itself.
func (s *Server) configToken(tok string) (id string, ok bool) {
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for _, k := range s.apiKeys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return hex.EncodeToString(sum[:8]), match == 1
}
