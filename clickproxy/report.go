package clickproxy

import (
	"context"
	"encoding/json"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// report is POST /report?c=CLICKID&s=MAC: "report this link" from a
// warning or block page. A report is recorded (keyReports) for a click
// kept as pending, with its MAC; the answer is the same thanks either way.
func (s *Server) report(ctx *fasthttp.RequestCtx, _ string) error {
	id := string(ctx.QueryArgs().Peek("c"))
	p, ok := s.loadPending(requestContext(ctx), id)
	if ok && s.clickMACValid(id, string(ctx.QueryArgs().Peek("s"))) {
		b, _ := json.Marshal(map[string]any{"click_id": id, "url": p.Dest, "recipient": p.Recipient, "time": s.cfg.Now()})
		rctx, cancel := context.WithTimeout(requestContext(ctx), redisPageTimeout)
		s.cfg.Redis.LPush(rctx, keyReports, b)
		s.cfg.Redis.LTrim(rctx, keyReports, 0, maxReports-1)
		cancel()
		s.log.Info("link reported by user", zap.String("click_id", id), zap.String("host", p.Host))
	}
	s.render(ctx, fasthttp.StatusOK, pages.Page{Kind: pages.KindReported, Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language")))})
	return nil
}
