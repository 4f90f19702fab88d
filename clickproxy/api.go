package clickproxy

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

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

var (
	errNoSuchOverride   = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such override", err: errors.New("no such override")}
	errAPIRouteNotFound = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such API", err: errors.New("no such API")}
)

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
	n, _ := strconv.ParseInt(string(ctx.QueryArgs().Peek("n")), 10, 64)
	if n <= 0 || n > api.MaxClicks {
		n = api.DefaultClicks
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	evs, err := s.cfg.Events.Recent(rctx, n)
	if err != nil {
		return apiUnavailable("click log unavailable", err)
	}
	writeJSON(ctx, api.ClickList{Clicks: evs})
	return nil
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetBody(append(b, '\n'))
}
