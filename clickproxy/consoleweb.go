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
		c(getOrHead, console.PathShot, access.PermRead, s.consoleShot),
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

// ---- reading ----

// recentWindow is how many of the newest click events the console reads
// for its home page.
const recentWindow = 1000

func (s *Server) consoleHome(ctx *fasthttp.RequestCtx, tail string) error {
	if tail != "" {
		return errNotFound
	}
	c, cancel := rctx(ctx)
	defer cancel()
	home, err := s.homeData(c)
	if err != nil {
		return err
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageHome, home))
}

// homeData summarises the clicks of the last 24 hours.
func (s *Server) homeData(c context.Context) (console.Home, error) {
	until := s.cfg.Now().UTC()
	since := until.Add(-24 * time.Hour)
	evs, err := s.cfg.Events.Recent(c, recentWindow)
	if err != nil {
		return console.Home{}, apiUnavailable("click log unavailable", err)
	}
	h := console.Home{Since: since, Until: until}
	buckets := make([]console.Bucket, 24)
	start := until.Truncate(time.Hour).Add(-23 * time.Hour)
	for i := range buckets {
		buckets[i] = console.Bucket{Start: start.Add(time.Duration(i) * time.Hour), Counts: map[string]int{}}
	}
	byAction, byDomain := map[string]int{}, map[string]int{}
	for _, e := range evs {
		if e.Time.Before(since) {
			continue
		}
		h.Total++
		byAction[e.Action]++
		if d := registrable(e.Host); d != "" && !e.Scanner {
			byDomain[d]++
		}
		if i := int(e.Time.Sub(start) / time.Hour); i >= 0 && i < len(buckets) {
			buckets[i].Counts[e.Action]++
		}
	}
	h.ByAction = sortedCounts(byAction, 0)
	h.TopDomains = sortedCounts(byDomain, 10)
	h.Chart = console.NewChart(buckets)
	reps, err := s.reportRows(c, "new", 10)
	if err != nil {
		return console.Home{}, err
	}
	h.Reports = reps
	h.ReportsWaiting = len(reps)
	h.Retro, err = s.retroRows(c)
	return h, err
}

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

// retroRows is the retro-hunt list (the data side fills it: see
// docs/console.md).
func (s *Server) retroRows(c context.Context) ([]console.RetroRow, error) {
	return nil, nil
}

func (s *Server) consoleClicks(ctx *fasthttp.RequestCtx, _ string) error {
	q, _ := url.ParseQuery(string(ctx.QueryArgs().QueryString()))
	data := console.Clicks{Query: q}
	c, cancel := rctx(ctx)
	defer cancel()
	rows, next, problems, err := s.searchClicks(c, q)
	if err != nil {
		return err
	}
	data.Rows, data.Next, data.Errors = rows, next, problems
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageClicks, data))
}

// searchClicks runs a click search for the console; problems are shown
// with the form.
func (s *Server) searchClicks(c context.Context, q url.Values) ([]api.ClickEvent, string, []string, error) {
	evs, err := s.cfg.Events.Recent(c, api.MaxClicks)
	if err != nil {
		return nil, "", nil, apiUnavailable("click log unavailable", err)
	}
	has := func(field, k string) bool {
		v := strings.ToLower(q.Get(k))
		return v == "" || strings.Contains(strings.ToLower(field), v)
	}
	var out []api.ClickEvent
	for _, e := range evs {
		if has(e.Recipient, "recipient") && has(e.URL, "url") && has(e.Host, "host") && has(e.Message, "message") &&
			(q.Get("domain") == "" || registrable(e.Host) == strings.ToLower(q.Get("domain"))) &&
			(q.Get("verdict") == "" || e.Verdict == q.Get("verdict")) && (q.Get("action") == "" || e.Action == q.Get("action")) &&
			(q.Get("proceeded") == "" || fmt.Sprint(e.Proceeded) == q.Get("proceeded")) && (q.Get("scanner") == "" || fmt.Sprint(e.Scanner) == q.Get("scanner")) {
			out = append(out, e)
		}
	}
	return out, "", nil, nil
}

func (s *Server) consoleURL(ctx *fasthttp.RequestCtx, _ string) error {
	raw := strings.TrimSpace(string(ctx.QueryArgs().Peek("u")))
	u, err := parseDest(raw)
	if err != nil || raw == "" {
		return apiBadRequest(fmt.Errorf("%q is not an http(s) URL", raw))
	}
	c, cancel := rctx(ctx)
	defer cancel()
	data, err := s.urlData(c, raw, u)
	if err != nil {
		return err
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageURL, data))
}

func (s *Server) urlData(c context.Context, raw string, u *url.URL) (console.URLPage, error) {
	canon := canonicalURL(raw, u)
	digest := urlDigest(canon)
	data := console.URLPage{URL: canon, Digest: digest}
	cv, err := s.store.getRedis(c, digest, s.cfg.Now())
	if err != nil {
		return data, apiUnavailable("verdict cache unavailable", err)
	}
	if cv != nil {
		data.Verdict = string(cv.Verdict.Level)
		for _, r := range cv.Verdict.Reasons {
			data.Reasons = append(data.Reasons, string(r.Code))
		}
		rr := console.RenderRow{Time: cv.Verdict.JudgedAt, Verdict: data.Verdict, Reasons: data.Reasons, Chain: cv.Chain}
		if len(cv.Chain) > 0 {
			rr.FinalURL = cv.Chain[len(cv.Chain)-1]
		}
		if cv.HasShot {
			rr.ShotURL = console.PathShot + digest
		}
		data.Renders = append(data.Renders, rr)
	}
	clicks, _, _, err := s.searchClicks(c, url.Values{})
	if err != nil {
		return data, err
	}
	for _, e := range clicks {
		if e.URL == raw || e.URL == canon {
			data.Clicks = append(data.Clicks, e)
		}
	}
	return data, nil
}

// consoleShot is GET /console/shot/DIGEST: a render's screenshot, for
// readers (no MAC: the session is the credential).
func (s *Server) consoleShot(ctx *fasthttp.RequestCtx, digest string) error {
	if len(digest) != 32 || strings.Trim(digest, "0123456789abcdef") != "" {
		return errNotFound
	}
	c, cancel := rctx(ctx)
	defer cancel()
	b, err := s.cfg.Redis.Get(c, keyShot+digest).Bytes()
	if err != nil {
		return errNotFound
	}
	ctx.Response.Header.Set("Cache-Control", "private, no-store")
	ctx.SetContentType("image/jpeg")
	ctx.SetBody(b)
	return nil
}

func (s *Server) consoleOverrides(ctx *fasthttp.RequestCtx, _ string) error {
	var data console.Overrides
	for _, o := range s.ov.list() {
		data.Rows = append(data.Rows, console.OverrideRow{List: o.List, Kind: o.Kind, Value: o.Value, Note: o.Note, By: o.By, Created: o.Created})
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageOverrides, data))
}

func (s *Server) consoleReports(ctx *fasthttp.RequestCtx, _ string) error {
	status := string(ctx.QueryArgs().Peek("status"))
	if status != "new" && status != "reviewed" {
		status = ""
	}
	c, cancel := rctx(ctx)
	defer cancel()
	rows, err := s.reportRows(c, status, 200)
	if err != nil {
		return err
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageReports, console.Reports{Status: status, Rows: rows}))
}

// reportRows reads the users' reports (keyReports) with their reviews
// (keyReviews), newest first.
func (s *Server) reportRows(c context.Context, status string, n int64) ([]console.ReportRow, error) {
	raw, err := s.cfg.Redis.LRange(c, keyReports, 0, 999).Result()
	if err != nil {
		return nil, apiUnavailable("reports unavailable", err)
	}
	reviews, err := s.cfg.Redis.HGetAll(c, keyReviews).Result()
	if err != nil {
		return nil, apiUnavailable("reports unavailable", err)
	}
	var out []console.ReportRow
	for _, r := range raw {
		var rep struct {
			ClickID   string    `json:"click_id"`
			URL       string    `json:"url"`
			Recipient string    `json:"recipient"`
			Time      time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(r), &rep) != nil {
			continue
		}
		row := console.ReportRow{ID: rep.ClickID, ClickID: rep.ClickID, Time: rep.Time, URL: rep.URL, Recipient: rep.Recipient, Status: "new"}
		if rv, ok := reviews[rep.ClickID]; ok {
			var x reportReview
			if json.Unmarshal([]byte(rv), &x) == nil {
				row.Status, row.Outcome, row.Note, row.ReviewedBy, row.Reviewed = "reviewed", x.Outcome, x.Note, x.By, x.Time
			}
		}
		if status != "" && row.Status != status {
			continue
		}
		out = append(out, row)
		if int64(len(out)) == n {
			break
		}
	}
	return out, nil
}

type reportReview struct {
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by"`
	Time    time.Time `json:"time"`
}

func (s *Server) consoleAudit(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	es, next, err := s.audit.List(c, string(ctx.QueryArgs().Peek("before")), 100)
	if err != nil {
		return apiBadRequest(err)
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageAudit, console.Audit{Entries: es, Next: next}))
}

// ---- changes (analysts) ----

// consoleAddOverride is POST /console/overrides: list, kind, value, note
// (the reason, required) and expires (a duration, optional).
func (s *Server) consoleAddOverride(ctx *fasthttp.RequestCtx, _ string) error {
	ov := api.Override{List: form(ctx, "list"), Kind: form(ctx, "kind"), Value: form(ctx, "value"), Note: form(ctx, "note"), By: principal(ctx).Actor()}
	var problems []error
	if ov.Note == "" {
		problems = append(problems, errors.New("a reason is required"))
	}
	var ttl time.Duration
	if e := form(ctx, "expires"); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Errorf("expiry %q is not a positive duration", e))
		}
		ttl = d
	}
	if err := normalizeOverride(&ov); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return apiBadRequest(err)
	}
	ov.Created = s.cfg.Now().UTC()
	detail := map[string]string{"list": ov.List, "kind": ov.Kind}
	if ttl > 0 {
		detail["expires"] = ov.Created.Add(ttl).Format(time.RFC3339)
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditOverrideAdd, Target: overrideField(ov), Reason: ov.Note, Detail: detail}); err != nil {
		return err
	}
	c, cancel := rctx(ctx)
	defer cancel()
	if err := s.ov.add(c, ov); err != nil {
		return apiUnavailable("override not saved: storage unavailable", err)
	}
	if ov.Kind == api.KindURL {
		s.store.forget(c, urlDigest(ov.Value))
	}
	s.log.Info("override added", zap.String("list", ov.List), zap.String("kind", ov.Kind), zap.String("value", ov.Value), zap.String("by", ov.By))
	return seeOther(ctx, console.PathOverrides+"?done=override")
}

func (s *Server) consoleRemoveOverride(ctx *fasthttp.RequestCtx, _ string) error {
	ov := api.Override{List: form(ctx, "list"), Kind: form(ctx, "kind"), Value: form(ctx, "value")}
	if err := normalizeOverride(&ov); err != nil {
		return apiBadRequest(err)
	}
	c, cancel := rctx(ctx)
	defer cancel()
	found, err := s.ov.remove(c, ov)
	switch {
	case err != nil:
		return apiUnavailable("override not removed: storage unavailable", err)
	case !found:
		return errNotFound
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditOverrideDel, Target: overrideField(ov)}); err != nil {
		s.log.Error("override removed without an audit entry", zap.String("value", ov.Value))
	}
	return seeOther(ctx, console.PathOverrides+"?done=override_removed")
}

// consoleRescan is POST /console/rescan: the URL's cached verdict is
// dropped everywhere, so the next click renders it again.
func (s *Server) consoleRescan(ctx *fasthttp.RequestCtx, _ string) error {
	raw := form(ctx, "url")
	u, err := parseDest(raw)
	if err != nil || raw == "" {
		return apiBadRequest(fmt.Errorf("%q is not an http(s) URL", raw))
	}
	canon := canonicalURL(raw, u)
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditRescan, Target: canon}); err != nil {
		return err
	}
	c, cancel := rctx(ctx)
	defer cancel()
	s.store.forget(c, urlDigest(canon))
	return seeOther(ctx, console.PathURL+"?"+url.Values{"u": {canon}, "done": {"rescan"}}.Encode())
}

// consoleReview is POST /console/reports/review: id, outcome, note.
func (s *Server) consoleReview(ctx *fasthttp.RequestCtx, _ string) error {
	id, outcome, note := form(ctx, "id"), form(ctx, "outcome"), form(ctx, "note")
	if id == "" || !slices.Contains(console.Outcomes, outcome) || len(note) > 500 {
		return apiBadRequest(fmt.Errorf("a review needs a report ID and one of the outcomes %s, and a note of at most 500 bytes", strings.Join(console.Outcomes, ", ")))
	}
	rv := reportReview{Outcome: outcome, Note: note, By: principal(ctx).Actor(), Time: s.cfg.Now().UTC()}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditReportReview, Target: id, Reason: outcome, Detail: map[string]string{"note": note}}); err != nil {
		return err
	}
	b, _ := json.Marshal(rv)
	c, cancel := rctx(ctx)
	defer cancel()
	if err := s.cfg.Redis.HSet(c, keyReviews, id, b).Err(); err != nil {
		return apiUnavailable("review not saved", err)
	}
	return seeOther(ctx, console.PathReports+"?done=review")
}

// ---- users and tokens (admins) ----

func (s *Server) consoleUsers(ctx *fasthttp.RequestCtx, _ string) error {
	return s.usersPage(ctx, "", "")
}

func (s *Server) usersPage(ctx *fasthttp.RequestCtx, secret, name string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	us, err := s.access.Users(c)
	if err != nil {
		return apiUnavailable("user store unavailable", err)
	}
	ts, err := s.access.Tokens(c)
	if err != nil {
		return apiUnavailable("token store unavailable", err)
	}
	data := console.Users{NewSecret: secret, NewSecretName: name, Roles: access.Roles, Scopes: access.Scopes}
	for _, u := range us {
		data.Users = append(data.Users, console.UserRow{Email: u.Email, Role: u.Role, Created: u.Created, Disabled: u.Disabled})
	}
	for _, t := range ts {
		data.Tokens = append(data.Tokens, console.TokenRow{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, CreatedBy: t.CreatedBy, Created: t.Created, Expires: t.Expires})
	}
	return s.consolePage(ctx, fasthttp.StatusOK, s.view(ctx, console.PageUsers, data))
}

// storeErr maps an access.Store error: the caller's mistake is a 400
// with its text, anything else a 503.
func storeErr(err error) error {
	for _, e := range []error{access.ErrExists, access.ErrNotFound, access.ErrWeak, access.ErrBadRole, access.ErrBadScope, access.ErrBadEmail, access.ErrNeedsName, access.ErrRoleXScope} {
		if errors.Is(err, e) {
			return apiBadRequest(err)
		}
	}
	return apiUnavailable("user store unavailable", err)
}

func (s *Server) consoleCreateUser(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	u, err := s.access.CreateUser(c, form(ctx, "email"), form(ctx, "role"), string(ctx.PostArgs().Peek("password")))
	if err != nil {
		return storeErr(err)
	}
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserCreate, Target: u.Email, Detail: map[string]string{"role": u.Role}})
	return seeOther(ctx, console.PathUsers+"?done=user")
}

func (s *Server) consoleUpdateUser(ctx *fasthttp.RequestCtx, _ string) error {
	email := strings.ToLower(form(ctx, "email"))
	if email == principal(ctx).Name {
		return apiBadRequest(errors.New("you cannot change your own role or disable yourself"))
	}
	c, cancel := rctx(ctx)
	defer cancel()
	u, err := s.access.UpdateUser(c, email, form(ctx, "role"), "", form(ctx, "disabled") != "")
	if err != nil {
		return storeErr(err)
	}
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserUpdate, Target: u.Email, Detail: map[string]string{"role": u.Role, "disabled": fmt.Sprint(u.Disabled)}})
	return seeOther(ctx, console.PathUsers+"?done=user")
}

func (s *Server) consoleDeleteUser(ctx *fasthttp.RequestCtx, _ string) error {
	email := strings.ToLower(form(ctx, "email"))
	if email == principal(ctx).Name {
		return apiBadRequest(errors.New("you cannot delete yourself"))
	}
	c, cancel := rctx(ctx)
	defer cancel()
	if err := s.access.DeleteUser(c, email); err != nil {
		return storeErr(err)
	}
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserDelete, Target: email})
	return seeOther(ctx, console.PathUsers+"?done=user_deleted")
}

// consoleCreateToken is POST /console/tokens: name, grant ("role:R" or
// "scope:S"), expires. The answer shows the secret, once.
func (s *Server) consoleCreateToken(ctx *fasthttp.RequestCtx, _ string) error {
	t := access.Token{Name: form(ctx, "name"), CreatedBy: principal(ctx).Actor()}
	kind, v, _ := strings.Cut(form(ctx, "grant"), ":")
	switch kind {
	case "role":
		t.Role = v
	case "scope":
		t.Scope = v
	}
	if e := form(ctx, "expires"); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d <= 0 {
			return apiBadRequest(fmt.Errorf("expiry %q is not a positive duration", e))
		}
		t.Expires = s.cfg.Now().Add(d).UTC()
	}
	c, cancel := rctx(ctx)
	defer cancel()
	secret, t, err := s.access.CreateToken(c, t)
	if err != nil {
		return storeErr(err)
	}
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditTokenCreate, Target: t.ID, Detail: map[string]string{"name": t.Name, "grant": cmp.Or(t.Role, "scope:"+t.Scope)}})
	return s.usersPage(ctx, secret, t.Name)
}

func (s *Server) consoleRevokeToken(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	t, err := s.access.RevokeToken(c, form(ctx, "id"))
	if err != nil {
		return storeErr(err)
	}
	s.recordAudit(ctx, api.AuditEntry{Action: api.AuditTokenRevoke, Target: t.ID, Detail: map[string]string{"name": t.Name}})
	return seeOther(ctx, console.PathUsers+"?done=token_revoked")
}
