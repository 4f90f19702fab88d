package clickproxy

import (
	"context"
	"strings"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// healthz is GET /healthz: the process serves.
func healthz(ctx *fasthttp.RequestCtx, _ string) error {
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString("ok\n")
	return nil
}

// readyz is GET /readyz: Redis answers and the scanner is ready (when it
// can tell), or 503 with one line per problem; details go to the log.
func (s *Server) readyz(ctx *fasthttp.RequestCtx, _ string) error {
	var problems []string
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisClickTimeout)
	defer cancel()
	if err := s.cfg.Redis.Ping(rctx).Err(); err != nil {
		problems = append(problems, "redis: unreachable")
		s.log.Warn("readyz: redis", zap.Error(err))
	}
	if r, ok := s.cfg.Scanner.(interface{ Ready() error }); ok {
		if err := r.Ready(); err != nil {
			problems = append(problems, "sandbox: not ready")
			s.log.Warn("readyz: sandbox", zap.Error(err))
		}
	}
	ctx.SetContentType("text/plain; charset=utf-8")
	if len(problems) > 0 {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString(strings.Join(problems, "\n") + "\n")
		return nil
	}
	ctx.SetBodyString("ready\n")
	return nil
}
