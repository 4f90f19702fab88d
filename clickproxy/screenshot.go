package clickproxy

import (
	"context"

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
	ctx.Response.Header.Set("Cache-Control", "private, max-age=600")
	ctx.SetContentType("image/jpeg")
	ctx.SetBody(b)
	return nil
}
