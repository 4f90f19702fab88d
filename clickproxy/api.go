package clickproxy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// The API, for the SOC console and scripts. Every call needs a bearer
// token from Config.APITokens; answers are JSON.
//
//	GET    /api/v1/overrides                       list
//	POST   /api/v1/overrides   {list, kind, value, note}   add (or replace)
//	DELETE /api/v1/overrides?list=&kind=&value=    remove
//	GET    /api/v1/clicks?n=100                     newest click events
func (s *Server) api(ctx *fasthttp.RequestCtx, path string) {
	ctx.SetContentType("application/json")
	if !s.authorized(ctx) {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="kensa"`)
		apiError(ctx, fasthttp.StatusUnauthorized, "a valid bearer token is needed")
		return
	}
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	method := string(ctx.Method())
	switch {
	case path == "/api/v1/overrides" && method == "GET":
		apiJSON(ctx, map[string]any{"overrides": s.ov.list()})
	case path == "/api/v1/overrides" && method == "POST":
		var ov Override
		if err := json.Unmarshal(ctx.PostBody(), &ov); err != nil {
			apiError(ctx, fasthttp.StatusBadRequest, "body is not JSON: "+err.Error())
			return
		}
		if err := ov.normalize(); err != nil {
			apiError(ctx, fasthttp.StatusBadRequest, err.Error())
			return
		}
		ov.Created = s.cfg.Now().UTC()
		if err := s.ov.add(rctx, ov); err != nil {
			apiError(ctx, fasthttp.StatusServiceUnavailable, "override not saved: "+err.Error())
			return
		}
		if ov.Kind == "url" {
			s.store.forget(rctx, urlDigest(ov.Value))
		}
		s.log.Info("override added", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value))
		ctx.SetStatusCode(fasthttp.StatusCreated)
		apiJSON(ctx, ov)
	case path == "/api/v1/overrides" && method == "DELETE":
		a := ctx.QueryArgs()
		ov := Override{List: string(a.Peek("list")), Kind: string(a.Peek("kind")), Value: string(a.Peek("value"))}
		if err := ov.normalize(); err != nil {
			apiError(ctx, fasthttp.StatusBadRequest, err.Error())
			return
		}
		found, err := s.ov.remove(rctx, ov)
		switch {
		case err != nil:
			apiError(ctx, fasthttp.StatusServiceUnavailable, "override not removed: "+err.Error())
		case !found:
			apiError(ctx, fasthttp.StatusNotFound, "no such override")
		default:
			s.log.Info("override removed", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value))
			apiJSON(ctx, map[string]bool{"removed": true})
		}
	case path == "/api/v1/clicks" && method == "GET":
		n, _ := strconv.ParseInt(string(ctx.QueryArgs().Peek("n")), 10, 64)
		if n <= 0 || n > 1000 {
			n = 100
		}
		evs, err := s.cfg.Events.Recent(rctx, n)
		if err != nil {
			apiError(ctx, fasthttp.StatusServiceUnavailable, "click log unavailable: "+err.Error())
			return
		}
		apiJSON(ctx, map[string]any{"clicks": evs})
	default:
		apiError(ctx, fasthttp.StatusNotFound, "no such API")
	}
}

// authorized compares the bearer token with every configured token in
// constant time (over SHA-256 digests, so lengths do not leak either).
func (s *Server) authorized(ctx *fasthttp.RequestCtx) bool {
	h := string(ctx.Request.Header.Peek("Authorization"))
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for _, k := range s.apiKeys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return match == 1
}

func apiJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetBody(append(b, '\n'))
}

func apiError(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	apiJSON(ctx, map[string]string{"error": msg})
}
