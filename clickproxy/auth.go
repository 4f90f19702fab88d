package clickproxy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"

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

// authorize authenticates the request unless the route is public, and
// checks the route's permission. A route without a permission is refused.
func (s *Server) authorize(ctx *fasthttp.RequestCtx, r route) error {
	if r.perm == access.Public {
		return nil
	}
	p, ok := s.authenticate(ctx)
	if !ok {
		if r.api {
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="kensa"`)
		}
		return errUnauthorized
	}
	ctx.SetUserValue(principalKey, p)
	if r.perm == "" || !p.Can(r.perm) {
		return errForbidden
	}
	return nil
}

// authenticate finds the request's principal: a bearer token from the
// configuration (admin-equivalent).
func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (access.Principal, bool) {
	h := string(ctx.Request.Header.Peek("Authorization"))
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && tok != "" {
		if s.configToken(tok) {
			return access.Principal{Kind: access.KindConfigToken, Name: "config", Role: api.RoleAdmin}, true
		}
		return access.Principal{}, false
	}
	return access.Principal{}, false
}

// configToken compares tok with every configured token in constant time
// (over SHA-256 digests, so lengths do not leak either).
func (s *Server) configToken(tok string) bool {
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for _, k := range s.apiKeys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return match == 1
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
