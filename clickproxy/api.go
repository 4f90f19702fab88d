package clickproxy

import (
	"context"
	"encoding/json"
	"errors"
	"time"

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
//	GET    /api/v1/clicks?ClickQuery                   api.ClickList (socsearch.go)
//	GET    /api/v1/check?url=                          api.Check (check.go: the extension)
//
// The SOC's other routes (issue 13) are listed in clickproxy/api/soc.go
// and routes.go; docs/click-proxy.md describes them.

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
	now := s.cfg.Now().UTC()
	if !ov.Expires.IsZero() && !ov.Expires.After(now) {
		return apiBadRequest(errors.New("expires is in the past"))
	}
	ov.Created = now
	ov.By = principal(ctx).Actor()
	detail := map[string]string{"list": ov.List, "kind": ov.Kind, "value": ov.Value}
	if !ov.Expires.IsZero() {
		detail["expires"] = ov.Expires.UTC().Format(time.RFC3339)
	}
	// Audited first: a change that cannot be audited is not made.
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditOverrideAdd, Target: overrideField(ov), Reason: ov.Note, Detail: detail}); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	if err := s.ov.add(rctx, ov); err != nil {
		return apiUnavailable("override not saved: storage unavailable", err)
	}
	if ov.Kind == api.KindURL {
		s.store.forget(rctx, urlDigest(ov.Value))
	}
	// A block condemns (the retro-hunt finds the clicks let through
	// before); an allow of the same subject lifts a condemnation.
	subject, u := overrideSubject(ov)
	if ov.List == api.ListBlock {
		s.condemn(rctx, subject, u, api.Condemnation{Time: now, Via: "override", By: ov.By, Reason: ov.Note})
	} else {
		s.absolve(rctx, subject)
	}
	s.log.Info("override added", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value), zap.String("by", ov.By))
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
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditOverrideDel, Target: overrideField(ov), Reason: string(a.Peek("reason")),
		Detail: map[string]string{"list": ov.List, "kind": ov.Kind, "value": ov.Value}}); err != nil {
		return err
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

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetBody(append(b, '\n'))
}
