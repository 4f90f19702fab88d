package clickproxy

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/console"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// The SOC console's handlers: they gather data, hand a console.View to
// console.Render, and make changes with the same functions as the API.
// Who may call each is in the route table (routes.go, consoleRoutes);
// every change is a POST with the session's CSRF token (auth.go) and is
// answered with a redirect to a fixed console path (never one from the
// request: no open redirect), except a new token, shown once.

// consoleRoutes are the console's routes, under console.Prefix at the root.
func (s *Server) consoleRoutes() []route {
	c := func(methods []string, path string, perm access.Perm, h handler) route {
		return route{methods: methods, path: path, console: true, perm: perm, h: h}
	}
	return []route{
		c(getOrHead, console.PathStyle, access.Public, consoleStyle),
		c(getOrHead, console.PathLogin, access.Public, s.consoleLoginPage),
		c(post, console.PathLogin, access.Public, s.consoleLogin),
		c(post, console.PathLogout, access.PermRead, s.consoleLogout),
		c(getOrHead, console.PathClicks, access.PermRead, s.consoleClicks),
		c(getOrHead, console.PathURL, access.PermRead, s.consoleURL),
		c(getOrHead, console.PathOverrides, access.PermRead, s.consoleOverrides),
		c(post, console.PathOverrides, access.PermAct, s.consoleAddOverride),
		c(post, console.PathOverrides+"/remove", access.PermAct, s.consoleRemoveOverride),
		c(post, console.PathRescan, access.PermAct, s.consoleRescan),
		c(getOrHead, console.PathReports, access.PermRead, s.consoleReports),
		c(post, console.PathReports+"/review", access.PermAct, s.consoleReview),
		c(getOrHead, console.PathAudit, access.PermRead, s.consoleAudit),
		c(getOrHead, console.PathUsers, access.PermAdmin, s.consoleUsers),
		c(post, console.PathUsers, access.PermAdmin, s.consoleCreateUser),
		c(post, console.PathUsers+"/update", access.PermAdmin, s.consoleUpdateUser),
		c(post, console.PathUsers+"/delete", access.PermAdmin, s.consoleDeleteUser),
		c(post, console.PathTokens, access.PermAdmin, s.consoleCreateToken),
		c(post, console.PathTokens+"/revoke", access.PermAdmin, s.consoleRevokeToken),
		// The home page is /console/ exactly; anything else under it is
		// not found, for those who may read.
		c(getOrHead, console.PathHome, access.PermRead, s.consoleHome),
		c(nil, console.Prefix, access.PermRead, func(*fasthttp.RequestCtx, string) error { return errNotFound }),
	}
}

func consoleStyle(ctx *fasthttp.RequestCtx, _ string) error {
	ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
	ctx.SetContentType("text/css; charset=utf-8")
	ctx.SetBody(console.CSS)
	return nil
}

// view starts a page's View for the request's principal.
func (s *Server) view(ctx *fasthttp.RequestCtx, page string, data any) *console.View {
	p := principal(ctx)
	return &console.View{
		Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language"))),
		Page: page, User: p.Name, Role: p.Role, CSRF: p.CSRF,
		CanAct: p.Can(access.PermAct), CanAdmin: p.Can(access.PermAdmin),
		Flash: doneKey(string(ctx.QueryArgs().Peek("done"))),
		Data:  data,
	}
}

// doneKeys are the flashes a redirect may ask for; anything else shows
// nothing.
var doneKeys = []string{"override", "override_removed", "rescan", "review", "user", "user_deleted", "token_revoked"}

func doneKey(k string) string {
	if slices.Contains(doneKeys, k) {
		return k
	}
	return ""
}

func (s *Server) consolePage(ctx *fasthttp.RequestCtx, status int, v *console.View) error {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	return console.Render(ctx, v)
}

// consoleFail is fail for console routes: the console's error page, or
// the login page for someone not signed in.
func (s *Server) consoleFail(ctx *fasthttp.RequestCtx, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: fasthttp.StatusInternalServerError, key: "internal", code: api.CodeInternal, err: err}
	}
	s.m.errors.WithLabelValues(he.code).Inc()
	setSecurityHeaders(ctx)
	if he.status == fasthttp.StatusUnauthorized {
		ctx.Response.Header.Set("Location", console.PathLogin)
		ctx.SetStatusCode(fasthttp.StatusSeeOther)
		return
	}
	key := he.key
	switch {
	case key == "csrf", key == "forbidden", key == "not-found", key == "too-many":
	case he.status == fasthttp.StatusBadRequest:
		key = "bad-request"
	case he.status == fasthttp.StatusServiceUnavailable:
		key = "unavailable"
	default:
		key = "internal"
	}
	v := s.view(ctx, console.PageError, console.ErrorData{Status: he.status, Key: key})
	if he.status == fasthttp.StatusBadRequest && he.msg != "" {
		v.Problem = he.msg
	}
	if err := s.consolePage(ctx, he.status, v); err != nil {
		s.log.Error("console page", zap.Error(err))
	}
	fields := []zap.Field{zap.Int("status", he.status), zap.String("code", he.code), zap.ByteString("path", ctx.Path()), zap.Error(he.err)}
	if he.status >= 500 {
		s.log.Error("console request failed", fields...)
	} else {
		s.log.Debug("console request refused", fields...)
	}
}

// seeOther redirects to a fixed console path after a change.
func seeOther(ctx *fasthttp.RequestCtx, path string) error {
	ctx.Response.Header.Set("Location", path)
	ctx.SetStatusCode(fasthttp.StatusSeeOther)
	return nil
}

func rctx(ctx *fasthttp.RequestCtx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(requestContext(ctx), redisAPITimeout)
}

func form(ctx *fasthttp.RequestCtx, k string) string {
	return strings.TrimSpace(string(ctx.PostArgs().Peek(k)))
}

// ---- sign-in ----

const loginCookie = "kensa-login" // the sign-in form's double-submit token

func (s *Server) consoleLoginPage(ctx *fasthttp.RequestCtx, _ string) error {
	return s.loginForm(ctx, fasthttp.StatusOK, "")
}

func (s *Server) loginForm(ctx *fasthttp.RequestCtx, status int, problem string) error {
	tok := access.RandomSecret(24)
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(loginCookie)
	c.SetValue(tok)
	c.SetPath(console.PathLogin)
	c.SetHTTPOnly(true)
	c.SetSecure(!s.cfg.InsecureCookies)
	c.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	c.SetMaxAge(3600)
	ctx.Response.Header.SetCookie(c)
	v := s.view(ctx, console.PageLogin, nil)
	v.User, v.Role, v.CanAct, v.CanAdmin, v.CSRF, v.Problem = "", "", false, false, tok, problem
	return s.consolePage(ctx, status, v)
}

// consoleLogin is POST /console/login: rate-limited per client network
// and per email, CSRF-checked (double submit), every attempt audited.
func (s *Server) consoleLogin(ctx *fasthttp.RequestCtx, _ string) error {
	now := s.cfg.Now()
	ip := s.clientIP(ctx)
	email := strings.ToLower(form(ctx, "email"))
	if !s.loginLimit.Allow(ip, now) || !s.loginKeyLimit.Allow(email, now) {
		s.m.rateLimited.WithLabelValues("login").Inc()
		ctx.Response.Header.Set("Retry-After", fmt.Sprint(int(s.loginLimit.RetryAfter().Seconds())+1))
		return errRateLimited
	}
	if cookie := ctx.Request.Header.Cookie(loginCookie); len(cookie) == 0 || !s.csrfOK(ctx, string(cookie)) ||
		subtle.ConstantTimeCompare(cookie, ctx.PostArgs().Peek("csrf")) != 1 {
		return errCSRF
	}
	if s.cfg.InsecureCookies && !ip.IsLoopback() {
		// A session cookie without Secure travels in clear: only to a
		// browser on this machine.
		return errForbidden
	}
	lang := pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language")))
	c, cancel := rctx(ctx)
	defer cancel()
	u, err := s.access.CheckPassword(c, email, form(ctx, "password"))
	entry := api.AuditEntry{Actor: "user:" + email, Action: api.AuditLogin, Target: email, ClientIP: ip.String()}
	if errors.Is(err, access.ErrBadLogin) {
		entry.Outcome = "failure"
		if _, aerr := s.audit.Record(c, entry); aerr != nil {
			s.log.Error("audit entry not written", zap.String("action", entry.Action), zap.Error(aerr))
		}
		s.log.Info("console sign-in failed", zap.String("email", email))
		return s.loginForm(ctx, fasthttp.StatusUnauthorized, consoleMsg(lang, "login.failed"))
	}
	if err != nil {
		return apiUnavailable("user store unavailable", err)
	}
	id, _, err := s.access.NewSession(c, u.Email, s.cfg.SessionTTL)
	if err != nil {
		return apiUnavailable("session store unavailable", err)
	}
	entry.Role = u.Role
	if _, err := s.audit.Record(c, entry); err != nil {
		s.access.EndSession(c, id)
		return apiUnavailable("audit log unavailable", err)
	}
	if prev := ctx.Request.Header.Cookie(s.sessionCookie()); len(prev) > 0 {
		s.access.EndSession(c, string(prev)) // one browser, one session
	}
	s.setSessionCookie(ctx, id, s.cfg.SessionTTL)
	s.log.Info("console sign-in", zap.String("email", u.Email), zap.String("role", u.Role))
	return seeOther(ctx, console.PathHome)
}

func consoleMsg(l pages.Lang, key string) string { return console.Message(l, key) }

func (s *Server) consoleLogout(ctx *fasthttp.RequestCtx, _ string) error {
	p := principal(ctx)
	c, cancel := rctx(ctx)
	defer cancel()
	if p.Kind == access.KindUser {
		s.access.EndSession(c, p.ID)
	}
	s.setSessionCookie(ctx, "", 0)
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditLogout, Target: p.Name})
	return seeOther(ctx, console.PathLogin)
}

// ---- reading and acting: through the API's own handlers ----

// viaAPI runs an API route's handler for the console: on a request of
// its own (the API's query or JSON body), as the same principal from the
// same client address, and decodes the JSON answer into out. So the
// console and the API share one implementation (the data side: search,
// URL pages, retro-hunt, re-scan, overrides, reports), one validation
// and one audit entry per change. An error is the handler's (an
// httpError), which consoleFail maps to a page.
func (s *Server) viaAPI(ctx *fasthttp.RequestCtx, method string, h handler, tail string, query url.Values, body, out any) error {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI("/api?" + query.Encode())
	if xff := ctx.Request.Header.Peek("X-Forwarded-For"); len(xff) > 0 {
		req.Header.SetBytesV("X-Forwarded-For", xff)
	}
	if body != nil {
		b, _ := json.Marshal(body)
		req.SetBody(b)
		req.Header.SetContentType("application/json")
	}
	var sub fasthttp.RequestCtx
	sub.Init(&req, ctx.RemoteAddr(), nil)
	sub.SetUserValue(principalKey, principal(ctx))
	if err := h(&sub, tail); err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(sub.Response.Body(), out); err != nil {
			return fmt.Errorf("console: the API answered %d with unreadable JSON: %w", sub.Response.StatusCode(), err)
		}
	}
	return nil
}

// badRequestText is the text of a 400 from the API, to show beside a
// form; ok is false for any other error.
func badRequestText(err error) (string, bool) {
	var he *httpError
	if errors.As(err, &he) && he.status == fasthttp.StatusBadRequest {
		return he.msg, true
	}
	return "", false
}

func (s *Server) consoleHome(ctx *fasthttp.RequestCtx, tail string) error {
	if tail != "" {
		return errNotFound
	}
	home, err := s.homeData(ctx)
	if err != nil {
		return err
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageHome, home))
}

// homeData is the last 24 hours (GET /api/v1/summary: counters kept with
// each click, so the page costs the same at any volume), the reports
// waiting and the retro-hunt.
func (s *Server) homeData(ctx *fasthttp.RequestCtx) (console.Home, error) {
	var sum api.Summary
	if err := s.viaAPI(ctx, "GET", s.getSummary, "", url.Values{}, nil, &sum); err != nil {
		return console.Home{}, err
	}
	h := console.Home{Since: sum.Since, Until: s.cfg.Now().UTC(), ReportsWaiting: int(sum.ReportsNew)}
	byAction := map[string]int{}
	for a, n := range sum.ByAction {
		byAction[a] = int(n)
		h.Total += int(n)
	}
	h.ByAction = sortedCounts(byAction, 0)
	buckets := make([]console.Bucket, 0, len(sum.Hours))
	for _, hc := range sum.Hours {
		b := console.Bucket{Start: hc.Start, Counts: map[string]int{}}
		for a, n := range hc.ByAction {
			b.Counts[a] = int(n)
		}
		buckets = append(buckets, b)
	}
	h.Chart = console.NewChart(buckets)
	for i, d := range sum.TopDomains {
		if i == 10 {
			break
		}
		h.TopDomains = append(h.TopDomains, console.Count{Label: d.Domain, N: int(d.Clicks)})
	}
	var reps api.ReportList
	if err := s.viaAPI(ctx, "GET", s.listReports, "", url.Values{"status": {api.ReportNew}, "limit": {"10"}}, nil, &reps); err != nil {
		return h, err
	}
	h.Reports = reportRows(reps.Reports)
	var retro api.RetroHuntList
	if err := s.viaAPI(ctx, "GET", s.getRetroHunt, "", url.Values{}, nil, &retro); err != nil {
		return h, err
	}
	for i, hit := range retro.Hits {
		if i == homeRetroRows {
			break
		}
		h.Retro = append(h.Retro, console.RetroRow{
			ClickID: hit.Click.ClickID, ClickTime: hit.Click.Time, KnownTime: hit.Condemned.Time, Recipient: hit.Click.Recipient,
			URL: hit.Click.URL, Proceeded: hit.Click.Proceeded, Via: hit.Condemned.Via,
		})
	}
	return h, nil
}

// homeRetroRows bounds the retro-hunt rows on the home page.
const homeRetroRows = 50

func sortedCounts(m map[string]int, n int) []console.Count {
	out := make([]console.Count, 0, len(m))
	for k, v := range m {
		out = append(out, console.Count{Label: k, N: v})
	}
	slices.SortFunc(out, func(a, b console.Count) int { return cmp.Or(b.N-a.N, strings.Compare(a.Label, b.Label)) })
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// clickFilters are the console's search fields, named as the API's
// query (api.ParseClickQuery).
var clickFilters = []string{"from", "to", "recipient", "message", "url", "host", "domain", "verdict", "action", "proceeded", "scanner", "cursor"}

func (s *Server) consoleClicks(ctx *fasthttp.RequestCtx, _ string) error {
	q := url.Values{}
	ctx.QueryArgs().VisitAll(func(k, v []byte) {
		if slices.Contains(clickFilters, string(k)) && len(v) > 0 {
			q.Set(string(k), string(v))
		}
	})
	data := console.Clicks{Query: q}
	if link := strings.TrimSpace(string(ctx.QueryArgs().Peek("link"))); link != "" {
		// A pasted link: what it says (the API's decode, trimming as the
		// click proxy does), above the search.
		data.Link = link
		var d api.Decoded
		err := s.viaAPI(ctx, "GET", s.decodeLink, "", url.Values{"link": {link}}, nil, &d)
		if msg, ok := badRequestText(err); ok {
			data.Errors = append(data.Errors, msg)
		} else if err != nil {
			return err
		} else {
			data.Decoded = &d
		}
	}
	var list api.ClickList
	err := s.viaAPI(ctx, "GET", s.searchClicks, "", q, nil, &list)
	if msg, ok := badRequestText(err); ok {
		data.Errors = append(data.Errors, strings.Split(msg, "\n")...)
	} else if err != nil {
		return err
	}
	data.Rows = list.Clicks
	if len(data.Errors) == 0 {
		exp := url.Values{}
		for k, v := range q {
			if k != "cursor" {
				exp[k] = v
			}
		}
		exp.Set("format", api.FormatCSV)
		data.ExportCSV = api.PathExport + "?" + exp.Encode()
		exp.Set("format", api.FormatJSONL)
		data.ExportJSONL = api.PathExport + "?" + exp.Encode()
	}
	if list.Next != "" {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("cursor", list.Next)
		data.Next = next.Encode()
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageClicks, data))
}

func (s *Server) consoleURL(ctx *fasthttp.RequestCtx, _ string) error {
	raw := strings.TrimSpace(string(ctx.QueryArgs().Peek("u")))
	var pg api.URLPage
	if err := s.viaAPI(ctx, "GET", s.urlRoute, "", url.Values{"url": {raw}}, nil, &pg); err != nil {
		return err
	}
	data := console.URLPage{URL: pg.URL, Digest: pg.URLDigest, Clicks: pg.Clicks}
	if pg.Verdict != nil {
		data.Verdict = string(pg.Verdict.Level)
		for _, r := range pg.Verdict.Reasons {
			data.Reasons = append(data.Reasons, string(r.Code))
		}
	}
	if pg.Condemned != nil {
		data.Known = &console.RetroRow{KnownTime: pg.Condemned.Time, Via: pg.Condemned.Via}
	}
	for _, r := range pg.Renders {
		rr := console.RenderRow{Time: r.Time, Verdict: string(r.Verdict), Chain: r.Chain, FinalURL: r.FinalURL, UserAgent: r.UserAgent, Trigger: r.Trigger, By: r.By}
		for _, x := range r.Reasons {
			rr.Reasons = append(rr.Reasons, string(x.Code))
		}
		// The API's screenshot path: same origin, and the session
		// cookie authenticates the image request as it does the page.
		if strings.HasPrefix(r.Screenshot, api.PathURLs) {
			rr.ShotURL = r.Screenshot
		}
		data.Renders = append(data.Renders, rr)
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageURL, data))
}

func (s *Server) consoleOverrides(ctx *fasthttp.RequestCtx, _ string) error {
	var list api.OverrideList
	if err := s.viaAPI(ctx, "GET", s.listOverrides, "", url.Values{}, nil, &list); err != nil {
		return err
	}
	var data console.Overrides
	for _, o := range list.Overrides {
		data.Rows = append(data.Rows, console.OverrideRow{List: o.List, Kind: o.Kind, Value: o.Value, Note: o.Note, By: o.By, Created: o.Created, Expires: o.Expires})
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageOverrides, data))
}

func (s *Server) consoleReports(ctx *fasthttp.RequestCtx, _ string) error {
	status := string(ctx.QueryArgs().Peek("status"))
	if status != api.ReportNew && status != api.ReportReviewed {
		status = ""
	}
	q := url.Values{"limit": {"200"}}
	if status != "" {
		q.Set("status", status)
	}
	if c := string(ctx.QueryArgs().Peek("cursor")); c != "" {
		q.Set("cursor", c)
	}
	var list api.ReportList
	if err := s.viaAPI(ctx, "GET", s.listReports, "", q, nil, &list); err != nil {
		return err
	}
	data := console.Reports{Status: status, Rows: reportRows(list.Reports)}
	if list.Next != "" {
		data.Next = url.Values{"status": {status}, "cursor": {list.Next}}.Encode()
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageReports, data))
}

func reportRows(rs []api.Report) []console.ReportRow {
	out := make([]console.ReportRow, 0, len(rs))
	for _, r := range rs {
		out = append(out, console.ReportRow{ID: r.ID, ClickID: r.ClickID, Time: r.Time, URL: r.URL, Digest: r.URLDigest, Recipient: r.Recipient,
			Status: r.Status, Outcome: r.Outcome, Note: r.Note, ReviewedBy: r.ReviewedBy, Reviewed: r.ReviewedAt})
	}
	return out
}

func (s *Server) consoleAudit(ctx *fasthttp.RequestCtx, _ string) error {
	var list api.AuditList
	q := url.Values{}
	if b := string(ctx.QueryArgs().Peek("before")); b != "" {
		q.Set("before", b)
	}
	if err := s.viaAPI(ctx, "GET", s.listAudit, "", q, nil, &list); err != nil {
		return err
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageAudit, console.Audit{Entries: list.Entries, Next: list.Next}))
}

// consoleAddOverride is POST /console/overrides: list, kind, value, note
// (the reason, required here) and expires (a duration, optional).
func (s *Server) consoleAddOverride(ctx *fasthttp.RequestCtx, _ string) error {
	ov := api.Override{List: form(ctx, "list"), Kind: form(ctx, "kind"), Value: form(ctx, "value"), Note: form(ctx, "note")}
	if ov.Note == "" {
		return apiBadRequest(errors.New("a reason is required"))
	}
	if e := form(ctx, "expires"); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d <= 0 {
			return apiBadRequest(fmt.Errorf("expiry %q is not a positive duration", e))
		}
		ov.Expires = s.cfg.Now().Add(d).UTC()
	}
	if err := s.viaAPI(ctx, "POST", s.addOverride, "", url.Values{}, ov, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathOverrides+"?done=override")
}

func (s *Server) consoleRemoveOverride(ctx *fasthttp.RequestCtx, _ string) error {
	q := url.Values{"list": {form(ctx, "list")}, "kind": {form(ctx, "kind")}, "value": {form(ctx, "value")}}
	if err := s.viaAPI(ctx, "DELETE", s.removeOverride, "", q, nil, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathOverrides+"?done=override_removed")
}

// consoleRescan is POST /console/rescan: renders the URL now (the API's
// re-scan: every replica's cache, audited), then shows its page.
func (s *Server) consoleRescan(ctx *fasthttp.RequestCtx, _ string) error {
	raw := form(ctx, "url")
	var res api.RescanResult
	if err := s.viaAPI(ctx, "POST", s.postRescan, "", url.Values{}, api.RescanRequest{URL: raw, Reason: form(ctx, "reason")}, &res); err != nil {
		return err
	}
	return seeOther(ctx, console.PathURL+"?"+url.Values{"u": {raw}, "done": {"rescan"}}.Encode())
}

// consoleReview is POST /console/reports/review: id, outcome, note.
func (s *Server) consoleReview(ctx *fasthttp.RequestCtx, _ string) error {
	rv := api.ReportReview{Outcome: form(ctx, "outcome"), Note: form(ctx, "note")}
	if err := s.viaAPI(ctx, "POST", s.reviewReport, form(ctx, "id"), url.Values{}, rv, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathReports+"?done=review")
}

// ---- users and tokens (admins): through the API's handlers (admin.go) ----

func (s *Server) consoleUsers(ctx *fasthttp.RequestCtx, _ string) error {
	return s.usersPage(ctx, "", "")
}

func (s *Server) usersPage(ctx *fasthttp.RequestCtx, secret, name string) error {
	var us api.UserList
	var ts api.TokenList
	if err := s.viaAPI(ctx, "GET", s.listUsers, "", url.Values{}, nil, &us); err != nil {
		return err
	}
	if err := s.viaAPI(ctx, "GET", s.listTokens, "", url.Values{}, nil, &ts); err != nil {
		return err
	}
	data := console.Users{NewSecret: secret, NewSecretName: name, Roles: access.Roles, Scopes: access.Scopes}
	for _, u := range us.Users {
		data.Users = append(data.Users, console.UserRow{Email: u.Email, Role: u.Role, Created: u.Created, Disabled: u.Disabled})
	}
	for _, t := range ts.Tokens {
		data.Tokens = append(data.Tokens, console.TokenRow{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, CreatedBy: t.CreatedBy, Created: t.Created, Expires: t.Expires})
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageUsers, data))
}

func (s *Server) consoleCreateUser(ctx *fasthttp.RequestCtx, _ string) error {
	nu := api.NewUser{Email: form(ctx, "email"), Role: form(ctx, "role"), Password: string(ctx.PostArgs().Peek("password"))}
	if err := s.viaAPI(ctx, "POST", s.createUser, "", url.Values{}, nu, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathUsers+"?done=user")
}

func (s *Server) consoleUpdateUser(ctx *fasthttp.RequestCtx, _ string) error {
	up := api.UserUpdate{Role: form(ctx, "role"), Disabled: form(ctx, "disabled") != ""}
	if err := s.viaAPI(ctx, "PATCH", s.updateUser, "", url.Values{"email": {form(ctx, "email")}}, up, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathUsers+"?done=user")
}

func (s *Server) consoleDeleteUser(ctx *fasthttp.RequestCtx, _ string) error {
	if err := s.viaAPI(ctx, "DELETE", s.deleteUser, "", url.Values{"email": {form(ctx, "email")}}, nil, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathUsers+"?done=user_deleted")
}

// consoleCreateToken is POST /console/tokens: name, grant ("role:R" or
// "scope:S"), expires. The answer shows the secret, once (no redirect:
// the secret is never in a URL).
func (s *Server) consoleCreateToken(ctx *fasthttp.RequestCtx, _ string) error {
	nt := api.NewToken{Name: form(ctx, "name")}
	kind, v, _ := strings.Cut(form(ctx, "grant"), ":")
	switch kind {
	case "role":
		nt.Role = v
	case "scope":
		nt.Scope = v
	}
	if e := form(ctx, "expires"); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d <= 0 {
			return apiBadRequest(fmt.Errorf("expiry %q is not a positive duration", e))
		}
		nt.Expires = s.cfg.Now().Add(d).UTC()
	}
	var ct api.CreatedToken
	if err := s.viaAPI(ctx, "POST", s.createToken, "", url.Values{}, nt, &ct); err != nil {
		return err
	}
	return s.usersPage(ctx, ct.Secret, ct.Name)
}

func (s *Server) consoleRevokeToken(ctx *fasthttp.RequestCtx, _ string) error {
	if err := s.viaAPI(ctx, "DELETE", s.revokeToken, "", url.Values{"id": {form(ctx, "id")}}, nil, nil); err != nil {
		return err
	}
	return seeOther(ctx, console.PathUsers+"?done=token_revoked")
}
