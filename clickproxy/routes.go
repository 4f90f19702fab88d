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

	"github.com/kensa-mail/kensa/clickproxy/access"
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
	console bool     // a console route: errors are console pages, 401 a redirect to the sign-in page
	bare    bool     // without the pages' security headers (/metrics)
	// perm is what the caller must hold (clickproxy/access): access.Public
	// for clicks, static files and health; every other route names its
	// permission here, and serve checks it before the handler runs. A
	// route without one is refused to everyone (New fails; the
	// authorization walk in auth_test.go iterates this table).
	perm access.Perm
	// perToken: the extension's check. Not limited per client network
	// but per API token (serve.check_rate, in authorize); requests without
	// a valid token still count against the network's API limit. Its
	// answers carry CORS headers for the configured extension origins
	// only (check.go, allowOrigin), errors included.
	perToken bool
	h        handler
}

var (
	getOrHead = []string{"GET", "HEAD"}
	get       = []string{"GET"}
	post      = []string{"POST"}
	del       = []string{"DELETE"}
	patch     = []string{"PATCH"}
	getOrPost = []string{"GET", "POST"}
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
		{methods: getOrHead, path: "/k/", perm: access.Public, h: s.click},
		// A link opened with another method is an error, not a not-found.
		{path: "/k/", perm: access.Public, h: methodNotAllowed},
		// The "checking" page's own reload: /w/CLICKID?s=MAC.
		{path: "/w/", perm: access.Public, h: s.followUp},
		// "Continue anyway" on a warning page: /p/TOKEN.
		{path: "/p/", perm: access.Public, h: s.proceedClick},
		// An unsigned link the rewriter could not sign: shown, never followed.
		{path: "/x", perm: access.Public, h: s.unchecked},
		// The screenshot on warning and block pages: /shot/DIGEST:DEVICE?s=MAC.
		{path: "/shot/", perm: access.Public, h: s.screenshot},
		// "Report this link", a form POST from a warning or block page.
		// Other methods fall through to the root routes (not found).
		{methods: post, path: "/report", perm: access.Public, h: s.report},
	}
	root = []route{
		{path: pages.StylePath, perm: access.Public, h: style},
		// Browsers ask on every page; not worth a 404 page.
		{path: "/favicon.ico", perm: access.Public, h: favicon},
		{path: "/healthz", perm: access.Public, h: healthz},
		{path: "/readyz", perm: access.Public, h: s.readyz},
	}
	if s.cfg.Gatherer != nil {
		// Prometheus; loopback clients only unless Config.MetricsPublic.
		root = append(root, route{path: "/metrics", bare: true, perm: access.Public, h: s.metricsHandler()})
	}
	// The API (api.go): authenticated (a token, or a console session
	// with its CSRF token for a change: auth.go), then the route's
	// permission; JSON answers.
	root = append(root,
		route{api: true, methods: get, path: api.PathOverrides, perm: access.PermRead, h: s.listOverrides},
		route{api: true, methods: post, path: api.PathOverrides, perm: access.PermAct, h: s.addOverride},
		route{api: true, methods: del, path: api.PathOverrides, perm: access.PermAct, h: s.removeOverride},
		// The SOC (issue 13): reads need PermRead (viewer), changes PermAct (analyst).
		route{api: true, methods: get, path: api.PathClicks, perm: access.PermRead, h: s.searchClicks},
		route{api: true, methods: get, path: api.PathExport, perm: access.PermRead, h: s.exportClicks},
		route{api: true, methods: get, path: api.PathURLs, perm: access.PermRead, h: s.urlRoute},
		route{api: true, methods: get, path: api.PathRetroHunt, perm: access.PermRead, h: s.getRetroHunt},
		route{api: true, methods: post, path: api.PathRescan, perm: access.PermAct, h: s.postRescan},
		route{api: true, methods: get, path: api.PathReports, perm: access.PermRead, h: s.listReports},
		route{api: true, methods: post, path: api.PathReports + "/", perm: access.PermAct, h: s.reviewReport},
		route{api: true, methods: getOrPost, path: api.PathDecode, perm: access.PermRead, h: s.decodeLink},
		route{api: true, methods: get, path: api.PathMessages, perm: access.PermRead, h: s.getMessage},
		route{api: true, methods: get, path: api.PathSummary, perm: access.PermRead, h: s.getSummary},
		route{api: true, methods: get, path: api.PathAudit, perm: access.PermRead, h: s.listAudit},
		// Users and tokens (admin.go): admins only.
		route{api: true, methods: get, path: api.PathUsers, perm: access.PermAdmin, h: s.listUsers},
		route{api: true, methods: post, path: api.PathUsers, perm: access.PermAdmin, h: s.createUser},
		route{api: true, methods: patch, path: api.PathUsers, perm: access.PermAdmin, h: s.updateUser},
		route{api: true, methods: del, path: api.PathUsers, perm: access.PermAdmin, h: s.deleteUser},
		route{api: true, methods: get, path: api.PathTokens, perm: access.PermAdmin, h: s.listTokens},
		route{api: true, methods: post, path: api.PathTokens, perm: access.PermAdmin, h: s.createToken},
		route{api: true, methods: del, path: api.PathTokens, perm: access.PermAdmin, h: s.revokeToken},
		// The browser extension's hover check (check.go): CORS for the
		// configured extension origins; the extension scope's one route.
		route{api: true, methods: options, path: api.PathCheck, perm: access.Public, h: s.preflight},
		route{api: true, methods: get, path: api.PathCheck, perm: access.PermCheck, perToken: true, h: s.check},
		// Any other /api/ path: a 404 only for those who may read.
		route{api: true, path: "/api/", perm: access.PermRead, h: apiNotFound},
	)
	// The SOC console (consoleweb.go): pages for people, same permissions.
	root = append(root, s.consoleRoutes()...)
	return base, root
}

// notFoundRoute answers what no route matches.
var notFoundRoute = route{perm: access.Public, h: func(*fasthttp.RequestCtx, string) error { return errNotFound }}

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
	if r.api || r.console {
		lim, limit = s.apiLimit, "api"
	}
	if !r.perToken && !lim.Allow(s.clientIP(ctx), s.cfg.Now()) {
		s.m.rateLimited.WithLabelValues(limit).Inc()
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(lim.RetryAfter().Seconds()))))
		if r.console {
			s.consoleFail(ctx, errRateLimited)
		} else {
			s.fail(ctx, r.api, errRateLimited)
		}
		return
	}
	if !r.bare {
		setSecurityHeaders(ctx)
	}
	if r.api {
		ctx.SetContentType("application/json")
	}
	// The extension's check answers its origin, errors included, so the
	// extension can read a 401 or 429 (check.go).
	var err error
	if r.perToken {
		err = s.allowOrigin(ctx)
	}
	// The one place where permissions are checked (auth.go).
	if err == nil {
		err = s.authorize(ctx, r)
	}
	if err == nil {
		err = r.h(ctx, tail)
	}
	switch {
	case err == nil:
	case r.console:
		s.consoleFail(ctx, err)
	default:
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
