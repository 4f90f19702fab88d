package clickproxy

import (
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// handler answers one route, or returns an error that fail (errors.go)
// turns into the answer. tail is the path after a prefix route's prefix.
type handler func(ctx *fasthttp.RequestCtx, tail string) error

// route is one entry of the route table.
type route struct {
	methods []string // nil: any method
	path    string   // exact, or a prefix when it ends in "/"
	api     bool     // an API route: errors are JSON (api.Error), not pages
	bare    bool     // without the pages' security headers (/metrics)
	// perToken: limited per API token by its handler (limitedByToken),
	// not per client network here.
	perToken bool
	h        handler
}

var (
	getOrHead = []string{"GET", "HEAD"}
	get       = []string{"GET"}
	post      = []string{"POST"}
	del       = []string{"DELETE"}
	options   = []string{"OPTIONS"}
)

// routes is the route table: every path the click proxy answers, in the
// order they are tried. base are the paths under the base URL's path (the
// links the rewriter writes, and the pages' follow-ups: what a reverse
// proxy passes from the internet); root are at the root whatever the base
// path (static files, health, metrics and the API: keep them internal).
// A request that matches no route gets the not-found page.
func (s *Server) routes() (base, root []route) {
	base = []route{
		// A click on a rewritten link: the hot path, first.
		{methods: getOrHead, path: "/k/", h: s.click},
		// A link opened with another method is an error, not a not-found.
		{path: "/k/", h: methodNotAllowed},
		// The "checking" page's own reload: /w/CLICKID?s=MAC.
		{path: "/w/", h: s.followUp},
		// "Continue anyway" on a warning page: /p/TOKEN.
		{path: "/p/", h: s.proceedClick},
		// An unsigned link the rewriter could not sign: shown, never followed.
		{path: "/x", h: s.unchecked},
		// The screenshot on warning and block pages: /shot/DIGEST?s=MAC.
		{path: "/shot/", h: s.screenshot},
		// "Report this link", a form POST from a warning or block page.
		// Other methods fall through to the root routes (not found).
		{methods: post, path: "/report", h: s.report},
	}
	root = []route{
		{path: pages.StylePath, h: style},
		// Browsers ask on every page; not worth a 404 page.
		{path: "/favicon.ico", h: favicon},
		{path: "/healthz", h: healthz},
		{path: "/readyz", h: s.readyz},
	}
	if s.cfg.Gatherer != nil {
		// Prometheus; loopback clients only unless Config.MetricsPublic.
		root = append(root, route{path: "/metrics", bare: true, h: s.metricsHandler()})
	}
	// The API (api.go): bearer token first, then the route; JSON answers.
	root = append(root,
		route{api: true, methods: get, path: api.PathOverrides, h: s.bearer(s.listOverrides)},
		route{api: true, methods: post, path: api.PathOverrides, h: s.bearer(s.addOverride)},
		route{api: true, methods: del, path: api.PathOverrides, h: s.bearer(s.removeOverride)},
		route{api: true, methods: get, path: api.PathClicks, h: s.bearer(s.recentClicks)},
		// The browser extension's hover check (check.go): CORS for the
		// configured extension origins, then the token, limited per token.
		route{api: true, methods: options, path: api.PathCheck, h: s.preflight},
		route{api: true, methods: get, path: api.PathCheck, perToken: true, h: s.cors(s.limitedByToken(s.need(permCheck, s.check)))},
		route{api: true, path: "/api/", h: s.bearer(apiNotFound)},
	)
	return base, root
}

// notFoundRoute answers what no route matches.
var notFoundRoute = route{h: func(*fasthttp.RequestCtx, string) error { return errNotFound }}

// serve is the fasthttp handler: it finds the route, sets the security
// headers, and hands an error to fail.
func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	r, tail := s.match(ctx)
	// fasthttp does not recover panics: one bad request must not take the
	// service down.
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in a request", zap.Any("panic", v), zap.ByteString("path", ctx.Path()), zap.Stack("stack"))
			ctx.Response.Reset()
			s.fail(ctx, r.api, errPanic(v))
		}
	}()
	// Every route is limited per client network, before any work: the
	// API by its own limit, everything else by the click limit.
	lim, limit := s.clickLimit, "clicks"
	if r.api {
		lim, limit = s.apiLimit, "api"
	}
	if !r.perToken && !lim.Allow(s.clientIP(ctx), s.cfg.Now()) {
		s.m.rateLimited.WithLabelValues(limit).Inc()
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(lim.RetryAfter().Seconds()))))
		s.fail(ctx, r.api, errRateLimited)
		return
	}
	if !r.bare {
		setSecurityHeaders(ctx)
	}
	if r.api {
		ctx.SetContentType("application/json")
	}
	if err := r.h(ctx, tail); err != nil {
		s.fail(ctx, r.api, err)
	}
}

// match finds the first route for the request: under the base path
// first, then at the root.
func (s *Server) match(ctx *fasthttp.RequestCtx) (route, string) {
	path := string(ctx.Path())
	method := string(ctx.Method())
	if rel, ok := strings.CutPrefix(path, s.basePath); ok && strings.HasPrefix(rel, "/") {
		if r, tail, ok := find(s.base, method, rel); ok {
			return r, tail
		}
	}
	if r, tail, ok := find(s.root, method, path); ok {
		return r, tail
	}
	return notFoundRoute, ""
}

func find(rs []route, method, path string) (route, string, bool) {
	for _, r := range rs {
		if r.methods != nil && !methodIn(method, r.methods) {
			continue
		}
		if strings.HasSuffix(r.path, "/") {
			if tail, ok := strings.CutPrefix(path, r.path); ok {
				return r, tail, true
			}
		} else if path == r.path {
			return r, "", true
		}
	}
	return route{}, "", false
}

func methodIn(m string, ms []string) bool {
	for _, x := range ms {
		if m == x {
			return true
		}
	}
	return false
}

// securityHeaders are pages.Headers, prepared once: they go on every
// response but /metrics, the hottest line of the click path.
var securityHeaders = func() (kv [][2][]byte) {
	for _, h := range pages.Headers() {
		kv = append(kv, [2][]byte{[]byte(h[0]), []byte(h[1])})
	}
	return kv
}()

func setSecurityHeaders(ctx *fasthttp.RequestCtx) {
	for _, h := range securityHeaders {
		ctx.Response.Header.SetCanonical(h[0], h[1])
	}
}

func style(ctx *fasthttp.RequestCtx, _ string) error {
	ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
	ctx.SetContentType("text/css; charset=utf-8")
	ctx.SetBody(pages.CSS)
	return nil
}

func favicon(ctx *fasthttp.RequestCtx, _ string) error {
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}

func methodNotAllowed(*fasthttp.RequestCtx, string) error { return errMethod }

// metricsHandler serves Config.Gatherer. The click port faces every employee:
// metrics go only to local scrapers unless the config says otherwise;
// anyone else gets the not-found page.
func (s *Server) metricsHandler() handler {
	h := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{}))
	return func(ctx *fasthttp.RequestCtx, _ string) error {
		if ip, ok := netip.AddrFromSlice(ctx.RemoteIP()); s.cfg.MetricsPublic || ok && ip.Unmap().IsLoopback() {
			h(ctx)
			return nil
		}
		return errNotFound
	}
}
