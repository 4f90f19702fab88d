package clickproxy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

// The API, for the SOC console and scripts; the types are clickproxy/api.
// Every call needs a bearer token from Config.APITokens; answers are JSON,
// errors an api.Error (errors.go).
//
//	GET    /api/v1/overrides                           api.OverrideList
//	POST   /api/v1/overrides   api.Override            201 api.Override (added or replaced)
//	DELETE /api/v1/overrides?list=&kind=&value=        api.Removed
//	GET    /api/v1/clicks?n=100                        api.ClickList, newest first
//	GET    /api/v1/check?url=                          api.Check (check.go: the extension)

var (
	errUnauthorized     = &httpError{status: fasthttp.StatusUnauthorized, code: api.CodeUnauthorized, msg: "a valid bearer token is needed", err: errors.New("no valid bearer token")}
	errNoSuchOverride   = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such override", err: errors.New("no such override")}
	errAPIRouteNotFound = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such API", err: errors.New("no such API")}
)

// permission is what an API route needs from a token. Every route names
// its permission in the route table (routes.go) and nowhere else. Today
// every configured token holds every permission (bearer); scoped tokens map
// their scopes onto these.
type permission string

const (
	// permCheck: GET /api/v1/check, the browser extension's hover check;
	// the only permission of a token with the "extension" scope.
	permCheck permission = "check"
)

// need lets a request through to h only with a token that holds perm.
func (s *Server) need(perm permission, h handler) handler {
	_ = perm // every valid token holds every permission, until scoped tokens
	return s.bearer(h)
}

// bearer lets a request through to h only with a valid token.
func (s *Server) bearer(h handler) handler {
	return func(ctx *fasthttp.RequestCtx, tail string) error {
		if !s.authorized(ctx) {
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="kensa"`)
			return errUnauthorized
		}
		return h(ctx, tail)
	}
}

func apiNotFound(*fasthttp.RequestCtx, string) error { return errAPIRouteNotFound }

// listOverrides is GET /api/v1/overrides.
func (s *Server) listOverrides(ctx *fasthttp.RequestCtx, _ string) error {
	writeJSON(ctx, api.OverrideList{Overrides: s.ov.list()})
	return nil
}

// addOverride is POST /api/v1/overrides.
func (s *Server) addOverride(ctx *fasthttp.RequestCtx, _ string) error {
	var ov api.Override
	if err := json.Unmarshal(ctx.PostBody(), &ov); err != nil {
		return apiBadRequest(errors.New("body is not JSON: " + err.Error()))
	}
	if err := normalizeOverride(&ov); err != nil {
		return apiBadRequest(err)
	}
	ov.Created = s.cfg.Now().UTC()
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	if err := s.ov.add(rctx, ov); err != nil {
		return apiUnavailable("override not saved: storage unavailable", err)
	}
	if ov.Kind == api.KindURL {
		s.store.forget(rctx, urlDigest(ov.Value))
	}
	s.log.Info("override added", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value))
	ctx.SetStatusCode(fasthttp.StatusCreated)
	writeJSON(ctx, ov)
	return nil
}

// removeOverride is DELETE /api/v1/overrides?list=&kind=&value=.
func (s *Server) removeOverride(ctx *fasthttp.RequestCtx, _ string) error {
	a := ctx.QueryArgs()
	k := api.OverrideKey{List: string(a.Peek("list")), Kind: string(a.Peek("kind")), Value: string(a.Peek("value"))}
	ov := api.Override{List: k.List, Kind: k.Kind, Value: k.Value}
	if err := normalizeOverride(&ov); err != nil {
		return apiBadRequest(err)
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	found, err := s.ov.remove(rctx, ov)
	switch {
	case err != nil:
		return apiUnavailable("override not removed: storage unavailable", err)
	case !found:
		return errNoSuchOverride
	}
	s.log.Info("override removed", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value))
	writeJSON(ctx, api.Removed{Removed: true})
	return nil
}

// recentClicks is GET /api/v1/clicks?n=.
func (s *Server) recentClicks(ctx *fasthttp.RequestCtx, _ string) error {
	q := api.ClicksQuery{}
	q.N, _ = strconv.ParseInt(string(ctx.QueryArgs().Peek("n")), 10, 64)
	if q.N <= 0 || q.N > api.MaxClicks {
		q.N = api.DefaultClicks
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	evs, err := s.cfg.Events.Recent(rctx, q.N)
	if err != nil {
		return apiUnavailable("click log unavailable", err)
	}
	writeJSON(ctx, api.ClickList{Clicks: evs})
	return nil
}

// authorized compares the bearer token with every configured token in
// constant time (over SHA-256 digests, so lengths do not leak either).
func (s *Server) authorized(ctx *fasthttp.RequestCtx) bool {
	_, ok := s.tokenDigest(ctx)
	return ok
}

// tokenDigest is the SHA-256 of the request's bearer token when it is one
// of the configured tokens: what per-token limits are keyed by.
func (s *Server) tokenDigest(ctx *fasthttp.RequestCtx) ([32]byte, bool) {
	h := string(ctx.Request.Header.Peek("Authorization"))
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return [32]byte{}, false
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for _, k := range s.apiKeys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return sum, match == 1
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetBody(append(b, '\n'))
}
