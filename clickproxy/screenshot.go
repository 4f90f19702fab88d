package clickproxy

import (
	"context"
	"slices"

	"github.com/valyala/fasthttp"
)

// screenshot is GET /shot/DIGEST:DEVICE?s=MAC: the thumbnail of a checked
// page as a device class saw it (keyShot, verdictKey). Without the right
// MAC, or once the screenshot expired, it is not found.
func (s *Server) screenshot(ctx *fasthttp.RequestCtx, key string) error {
	if !validVerdictKey(key) || !s.shotMACValid(key, string(ctx.QueryArgs().Peek("s"))) {
		return errNotFound
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisPageTimeout)
	defer cancel()
	b, err := s.cfg.Redis.Get(rctx, tagged(keyShot, key)).Bytes()
	if err != nil {
		return errNotFound
	}
	// The browser extension shows it on its card (check.go).
	if o := string(ctx.Request.Header.Peek("Origin")); o != "" && slices.Contains(s.cfg.ExtensionOrigins, o) {
		ctx.Response.Header.Set("Access-Control-Allow-Origin", o)
		ctx.Response.Header.Set("Vary", "Origin")
	}
	ctx.Response.Header.Set("Cache-Control", "private, max-age=600")
	ctx.SetContentType("image/jpeg")
	ctx.SetBody(b)
	return nil
}
