package clickproxy

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// What the SOC learns about a URL over time: its render history, when it
// became known as malicious (a condemnation), and the clicks let through
// before (the retro-hunt). Re-scan and the scheduled re-check are the
// ways a verdict changes other than a click's render.

var (
	errNoSuchURL   = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "Kensa knows nothing of this URL (no render, verdict or click kept)", err: errors.New("no such URL")}
	errNoSuchShot  = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such screenshot (renders keep theirs as long as the verdict)", err: errors.New("no such screenshot")}
	errRescanBusy  = &httpError{status: fasthttp.StatusServiceUnavailable, code: api.CodeUnavailable, msg: "the sandbox is saturated; re-scan later", err: sandbox.ErrSaturated}
	errRetroSince  = apiBadRequest(errors.New("since must be an RFC 3339 time"))
	maxCondemned   = int64(200) // condemnations a retro-hunt looks at, newest first
	maxRetroClicks = 5_000      // clicks read per condemned subject
)

// storedRender is a render history entry: the API's Render and its URL.
type storedRender struct {
	api.Render
	URL string `json:"url"`
}

// recordRender is herd.onRender: it appends the render to the URL's
// history, keeps its screenshot, and condemns the URL when the verdict is
// malicious (or lifts the URL's condemnation when an analyst's re-scan
// finds it clean).
func (s *Server) recordRender(ctx context.Context, digest, dest string, c *cached, rep *capture.Report, shot []byte, req sandbox.Request, trig trigger) {
	r := storedRender{URL: dest, Render: api.Render{
		ID: newClickID(), Time: c.Verdict.JudgedAt.UTC(), Verdict: c.Verdict.Level, Reasons: c.Verdict.Reasons,
		Chain: c.Chain, UserAgent: req.UserAgent, Trigger: trig.kind, By: trig.by,
	}}
	if rep != nil {
		r.FinalURL = rep.FinalURL
		if rep.UserAgent != "" {
			r.UserAgent = rep.UserAgent
		}
	}
	ttl := s.store.ttls.of(c.Verdict.Level, 0)
	if len(shot) > 0 {
		r.Screenshot = api.PathURLs + digest + "/renders/" + r.ID + "/screenshot"
	}
	b, _ := json.Marshal(r)
	_, err := s.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(shot) > 0 {
			p.Set(ctx, keyRenderShot+digest+":"+r.ID, shot, ttl)
		}
		p.LPush(ctx, keyRenders+digest, b)
		p.LTrim(ctx, keyRenders+digest, 0, maxRenders-1)
		p.Expire(ctx, keyRenders+digest, renderHistoryTTL)
		return nil
	})
	if err != nil {
		s.log.Warn("render history not saved", zap.String("url_digest", digest), zap.Error(err))
	}
	switch {
	case c.Verdict.Level == verdict.Malicious:
		via := trig.kind
		if via == api.TriggerClick {
			via = "render"
		}
		var codes []string
		for _, rs := range c.Verdict.Reasons {
			codes = append(codes, string(rs.Code))
		}
		s.condemn(ctx, "url:"+digest, dest, api.Condemnation{Time: r.Time, Via: via, By: trig.by, Reason: strings.Join(codes, ",")})
	case c.Verdict.Level == verdict.Clean && trig.kind == api.TriggerRescan:
		s.absolve(ctx, "url:"+digest)
	}
}

// condemnation is what keyCondemnInf keeps.
type condemnation struct {
	api.Condemnation
	Subject string `json:"subject"` // url:DIGEST, host:HOST, domain:DOMAIN
	URL     string `json:"url,omitempty"`
}

// condemn records that subject is known to be malicious from c.Time, if
// it was not already (the first time stays), and runs the retro-hunt for
// it: the hits are counted and logged.
func (s *Server) condemn(ctx context.Context, subject, url string, c api.Condemnation) {
	info := condemnation{Condemnation: c, Subject: subject, URL: url}
	b, _ := json.Marshal(info)
	added, err := s.cfg.Redis.ZAddNX(ctx, keyCondemned, redis.Z{Score: float64(c.Time.UnixMilli()), Member: subject}).Result()
	if err != nil {
		s.log.Warn("condemnation not saved", zap.String("subject", subject), zap.Error(err))
		return
	}
	if added == 0 {
		return // known already: the first time it became known stays
	}
	s.cfg.Redis.HSet(ctx, keyCondemnInf, subject, b)
	s.cfg.Redis.ZRemRangeByScore(ctx, keyCondemned, "-inf", "("+strconv.FormatInt(s.cfg.Now().Add(-s.cfg.Retention).UnixMilli(), 10))
	hits, err := s.retroFor(ctx, info, maxRetroClicks)
	if err != nil {
		s.log.Warn("retro-hunt failed", zap.String("subject", subject), zap.Error(err))
		return
	}
	s.m.retroHits.Add(float64(len(hits)))
	if len(hits) > 0 {
		s.log.Warn("retro-hunt: clicks were let through on a URL now known to be malicious",
			zap.String("subject", subject), zap.String("via", c.Via), zap.Int("clicks", len(hits)))
	}
}

// absolve lifts a condemnation (an analyst's clean re-scan, an allow
// override of the same subject).
func (s *Server) absolve(ctx context.Context, subject string) {
	s.cfg.Redis.ZRem(ctx, keyCondemned, subject)
	s.cfg.Redis.HDel(ctx, keyCondemnInf, subject)
}

// overrideSubject is the condemnation subject of an override.
func overrideSubject(ov api.Override) (subject, url string) {
	if ov.Kind == api.KindURL {
		if u, err := parseDest(ov.Value); err == nil {
			canon := canonicalURL(ov.Value, u)
			return "url:" + urlDigest(canon), canon
		}
	}
	return ov.Kind + ":" + ov.Value, ""
}

// retroFor finds the let-through clicks (redirected, or "continue
// anyway"; not security scanners) on a condemned subject, newest first.
func (s *Server) retroFor(ctx context.Context, c condemnation, max int) ([]api.RetroHit, error) {
	kind, value, _ := strings.Cut(c.Subject, ":")
	no := false
	q := api.ClickQuery{Scanner: &no}
	switch kind {
	case "url":
		q.URLDigest = value
	case "host":
		q.Domain = registrable(value)
	case "domain":
		q.Domain = value
	default:
		return nil, nil
	}
	var hits []api.RetroHit
	q.Limit = api.MaxClicks
	for {
		p, err := s.cfg.Events.Search(ctx, q)
		if err != nil {
			return hits, err
		}
		for _, e := range p.Events {
			if kind == "host" && e.Host != value {
				continue
			}
			if e.Action == "redirect" || e.Proceeded {
				hits = append(hits, api.RetroHit{Click: e, Condemned: c.Condemnation})
				if len(hits) >= max {
					return hits, nil
				}
			}
		}
		if p.Next == "" {
			return hits, nil
		}
		q.Cursor = p.Next
	}
}

// retroHunt is every hit of the condemnations since a time, newest
// condemnation first, at most api.MaxRetroHits.
func (s *Server) retroHunt(ctx context.Context, since time.Time) ([]api.RetroHit, error) {
	zs, err := s.cfg.Redis.ZRevRangeByScore(ctx, keyCondemned, &redis.ZRangeBy{
		Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf", Count: maxCondemned,
	}).Result()
	if err != nil || len(zs) == 0 {
		return []api.RetroHit{}, err
	}
	infos, err := s.cfg.Redis.HMGet(ctx, keyCondemnInf, zs...).Result()
	if err != nil {
		return nil, err
	}
	hits := []api.RetroHit{}
	for _, v := range infos {
		str, _ := v.(string)
		var c condemnation
		if json.Unmarshal([]byte(str), &c) != nil {
			continue
		}
		h, err := s.retroFor(ctx, c, api.MaxRetroHits-len(hits))
		if err != nil {
			return nil, err
		}
		hits = append(hits, h...)
		if len(hits) >= api.MaxRetroHits {
			break
		}
	}
	return hits, nil
}

// getRetroHunt is GET /api/v1/retrohunt?since=.
func (s *Server) getRetroHunt(ctx *fasthttp.RequestCtx, _ string) error {
	since := s.cfg.Now().Add(-s.cfg.Retention)
	if v := string(ctx.QueryArgs().Peek("since")); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return errRetroSince
		}
		since = t
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), 4*redisAPITimeout)
	defer cancel()
	hits, err := s.retroHunt(rctx, since)
	if err != nil {
		return apiUnavailable("retro-hunt unavailable", err)
	}
	writeJSON(ctx, api.RetroHuntList{Hits: hits})
	return nil
}

// urlRoute is GET /api/v1/urls/DIGEST, /api/v1/urls/?url=URL and
// /api/v1/urls/DIGEST/renders/ID/screenshot.
func (s *Server) urlRoute(ctx *fasthttp.RequestCtx, tail string) error {
	if tail == "" {
		raw := string(ctx.QueryArgs().Peek("url"))
		u, err := parseDest(strings.TrimSpace(raw))
		if err != nil {
			return apiBadRequest(errors.New("url must be an absolute http(s) URL"))
		}
		return s.urlPage(ctx, urlDigest(canonicalURL(strings.TrimSpace(raw), u)))
	}
	digest, rest, _ := strings.Cut(tail, "/")
	if !isHexN(digest, 32) {
		return apiBadRequest(errors.New("not a URL digest (32 hex digits)"))
	}
	if rest == "" {
		return s.urlPage(ctx, digest)
	}
	id, ok := strings.CutPrefix(rest, "renders/")
	id, ok2 := strings.CutSuffix(id, "/screenshot")
	if !ok || !ok2 || !isHexN(id, 16) {
		return errAPIRouteNotFound
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	b, err := s.cfg.Redis.Get(rctx, keyRenderShot+digest+":"+id).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return errNoSuchShot
	case err != nil:
		return apiUnavailable("screenshots unavailable", err)
	}
	ctx.SetContentType("image/jpeg")
	ctx.Response.Header.Set("Cache-Control", "private, max-age=300")
	ctx.SetBody(b)
	return nil
}

func isHexN(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// urlPage answers a URL's page.
func (s *Server) urlPage(ctx *fasthttp.RequestCtx, digest string) error {
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	raw, err := s.cfg.Redis.LRange(rctx, keyRenders+digest, 0, -1).Result()
	if err != nil {
		return apiUnavailable("render history unavailable", err)
	}
	page := api.URLPage{URLDigest: digest, Renders: []api.Render{}, Clicks: []api.ClickEvent{}}
	for _, r := range raw {
		var sr storedRender
		if json.Unmarshal([]byte(r), &sr) != nil {
			continue
		}
		page.URL = cmp.Or(page.URL, sr.URL)
		page.Renders = append(page.Renders, sr.Render)
	}
	clicks, err := s.cfg.Events.Search(rctx, api.ClickQuery{URLDigest: digest})
	if err != nil {
		return apiUnavailable("click log unavailable", err)
	}
	if clicks.Events != nil {
		page.Clicks, page.Next = clicks.Events, clicks.Next
		page.URL = cmp.Or(page.URL, clicks.Events[0].URL)
	}
	if c := s.store.worstRedis(rctx, digest, s.cfg.Now()); c != nil {
		v := c.Verdict
		page.Verdict = &v
		page.URL = cmp.Or(page.URL, v.URL)
	}
	if page.URL == "" {
		return errNoSuchURL
	}
	if u, err := parseDest(page.URL); err == nil {
		page.Host = canonicalHost(u.Hostname())
		page.Domain = registrable(page.Host)
		if ov, ok := s.ov.match(normalizeURL(u), page.Host, func() string { return page.Domain }); ok {
			page.Override = &ov
		}
	}
	if str, err := s.cfg.Redis.HGet(rctx, keyCondemnInf, "url:"+digest).Result(); err == nil {
		var c condemnation
		if json.Unmarshal([]byte(str), &c) == nil {
			page.Condemned = &c.Condemnation
		}
	}
	writeJSON(ctx, page)
	return nil
}

// rescan renders a URL now, whatever the cache holds, and puts the new
// verdict everywhere: Redis, this replica's memory, and (chanVerdict)
// every other replica's.
func (s *Server) rescan(ctx context.Context, raw string, trig trigger) (string, api.Render, error) {
	u, err := parseDest(raw)
	if err != nil {
		return "", api.Render{}, apiBadRequest(errors.New("url must be an absolute http(s) URL"))
	}
	canon := canonicalURL(raw, u)
	digest := urlDigest(canon)
	host := canonicalHost(u.Hostname())
	reg := registrable(host)
	// Render as the browser of the last render, if any: what people use.
	ua := ""
	if last, err := s.cfg.Redis.LIndex(ctx, keyRenders+digest, 0).Result(); err == nil {
		var sr storedRender
		if json.Unmarshal([]byte(last), &sr) == nil {
			ua = sr.UserAgent
		}
	}
	id := newClickID()
	s.log.Info("re-scan", zap.String("click_id", id), zap.String("trigger", trig.kind), zap.String("host", host))
	// Every device class's verdict goes (they may be stale); the render
	// stores the one of the browser it renders as, and the other classes
	// render again on their next click.
	s.store.forget(ctx, digest)
	o := s.herd.render(ctx, verdictKey(digest, sandbox.DeviceOf(ua)), canon, reg, sandbox.Request{URL: canon, UserAgent: ua, FairKey: cmp.Or(reg, host)}, id, trig)
	if len(o.c.Verdict.Reasons) > 0 && o.c.Verdict.Reasons[0].Code == verdict.CodeSandboxBusy {
		return digest, api.Render{}, errRescanBusy
	}
	s.cfg.Redis.Publish(ctx, chanVerdict, digest)
	r := api.Render{Time: o.c.Verdict.JudgedAt, Verdict: o.c.Verdict.Level, Reasons: o.c.Verdict.Reasons, Chain: o.c.Chain, Trigger: trig.kind, By: trig.by}
	if last, err := s.cfg.Redis.LIndex(ctx, keyRenders+digest, 0).Result(); err == nil {
		var sr storedRender
		if json.Unmarshal([]byte(last), &sr) == nil && sr.Trigger == trig.kind {
			r = sr.Render
		}
	}
	return digest, r, nil
}

// postRescan is POST /api/v1/rescan.
func (s *Server) postRescan(ctx *fasthttp.RequestCtx, _ string) error {
	var req api.RescanRequest
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil {
		return apiBadRequest(errors.New("body is not JSON: " + err.Error()))
	}
	if len(req.Reason) > 500 {
		return apiBadRequest(errors.New("reason longer than 500 bytes"))
	}
	by := principal(ctx).Actor()
	// The render is bounded by the render timeout, not the API's.
	rctx, cancel := context.WithTimeout(requestContext(ctx), s.cfg.RenderTimeout+15*time.Second)
	defer cancel()
	digest, r, err := s.rescan(rctx, strings.TrimSpace(req.URL), trigger{kind: api.TriggerRescan, by: by})
	if err != nil {
		return err
	}
	if err := s.recordAudit(ctx, api.AuditEntry{
		Action: api.AuditRescan, Target: strings.TrimSpace(req.URL), Reason: req.Reason,
		Detail: map[string]string{"url_digest": digest, "verdict": string(r.Verdict)},
	}); err != nil {
		return err
	}
	res := api.RescanResult{URLDigest: digest, Render: r}
	if r.Verdict == verdict.Malicious {
		if hits, err := s.retroFor(rctx, condemnation{Subject: "url:" + digest}, api.MaxRetroHits); err == nil {
			res.RetroHits = len(hits)
		}
	}
	writeJSON(ctx, res)
	return nil
}

// Recheck configures the scheduled re-check of recently clicked clean
// URLs: a page that turns bad after its clean verdict is caught, and the
// clicks let through before appear in the retro-hunt.
type Recheck struct {
	// Every is how often one replica re-checks; default 1 h; negative:
	// never.
	Every time.Duration
	// Window is how far back clicks count as recent; default 24 h.
	Window time.Duration
	// Max bounds the URLs re-rendered per round; default 50.
	Max int
}

// DefaultRecheck are the defaults of Recheck.
var DefaultRecheck = Recheck{Every: time.Hour, Window: 24 * time.Hour, Max: 50}

// recheckLoop runs recheckOnce every Recheck.Every until ctx ends.
func (s *Server) recheckLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Recheck.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// One replica per round: the lock lasts the interval.
		got, err := s.cfg.Redis.SetNX(ctx, keyRecheckRun, s.herd.instance, s.cfg.Recheck.Every).Result()
		if err != nil || !got {
			continue
		}
		n, err := s.recheckOnce(ctx)
		s.log.Info("scheduled re-check", zap.Int("urls", n), zap.Error(err))
	}
}

// recheckOnce re-renders up to Recheck.Max distinct URLs that were
// clicked and redirected as clean within Recheck.Window, were not
// re-checked within it and have no other verdict cached now, newest
// click first. It returns how many it
// rendered.
func (s *Server) recheckOnce(ctx context.Context) (int, error) {
	no := false
	q := api.ClickQuery{From: s.cfg.Now().Add(-s.cfg.Recheck.Window), Action: "redirect", Verdict: string(verdict.Clean), Scanner: &no, Limit: api.MaxClicks}
	seen := map[string]bool{}
	var todo []api.ClickEvent
	for len(todo) < s.cfg.Recheck.Max {
		p, err := s.cfg.Events.Search(ctx, q)
		if err != nil {
			return 0, err
		}
		for _, e := range p.Events {
			if e.URLDigest == "" || seen[e.URLDigest] || e.Source == "override" {
				continue
			}
			seen[e.URLDigest] = true
			// Known bad already (a re-scan, another render): nothing to learn.
			if c := s.store.worstRedis(ctx, e.URLDigest, s.cfg.Now()); c != nil && c.Verdict.Level != verdict.Clean {
				continue
			}
			ok, err := s.cfg.Redis.SetNX(ctx, keyRechecked+e.URLDigest, "1", s.cfg.Recheck.Window).Result()
			if err != nil {
				return 0, err
			}
			if ok {
				todo = append(todo, e)
			}
			if len(todo) == s.cfg.Recheck.Max {
				break
			}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	n := 0
	for _, e := range todo {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		_, r, err := s.rescan(ctx, e.URL, trigger{kind: api.TriggerRecheck, by: "scheduler"})
		if err != nil {
			s.log.Debug("re-check skipped", zap.String("url_digest", e.URLDigest), zap.Error(err))
			continue
		}
		s.m.rechecks.WithLabelValues(string(r.Verdict)).Inc()
		n++
	}
	return n, nil
}

// watchVerdicts drops from memory the verdicts another replica changed
// (a re-scan), until ctx ends.
func (s *Server) watchVerdicts(ctx context.Context) {
	sub := s.cfg.Redis.Subscribe(ctx, chanVerdict)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-sub.Channel():
			if !ok {
				return
			}
			if isHexN(m.Payload, 32) {
				for _, d := range sandbox.Devices {
					s.store.mem.Remove(verdictKey(m.Payload, d))
				}
			}
		}
	}
}

// RecordMessage stores what the rewriter knows of a rewritten message
// (its Message-ID and recipients under the digest its links carry) for
// ttl, so that a click joins to its mail (GET /api/v1/clicks?message=,
// GET /api/v1/messages). The rewriter (kensa rewrite, the milter) calls it
// when it has Redis.
func RecordMessage(ctx context.Context, rdb redis.UniversalClient, mi api.MessageInfo, ttl time.Duration) error {
	if !api.IsDigest(mi.Digest) {
		return fmt.Errorf("clickproxy: message digest %q is not 16 hex digits", mi.Digest)
	}
	mi.Digest = strings.ToLower(mi.Digest)
	b, _ := json.Marshal(mi)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, keyMsg+mi.Digest, b, ttl)
		if mi.MessageID != "" {
			p.Set(ctx, keyMsgID+normalizeMessageID(mi.MessageID), mi.Digest, ttl)
		}
		return nil
	})
	return err
}

// getSummary is GET /api/v1/summary: the console's home page. The clicks
// are counted per whole hour (the 25 hours that hold the last 24) and the
// top domains over the UTC days those hours touch.
func (s *Server) getSummary(ctx *fasthttp.RequestCtx, _ string) error {
	now := s.cfg.Now()
	since := now.Add(-24 * time.Hour)
	rctx, cancel := context.WithTimeout(requestContext(ctx), 4*redisAPITimeout)
	defer cancel()
	hours, doms, err := s.cfg.Events.Counts(rctx, since, now, 10)
	if err != nil {
		return apiUnavailable("click counts unavailable", err)
	}
	sum := api.Summary{Since: since.UTC(), ByAction: map[string]int64{}, Hours: hours, TopDomains: doms}
	if sum.TopDomains == nil {
		sum.TopDomains = []api.DomainCount{}
	}
	for _, h := range hours {
		for a, n := range h.ByAction {
			sum.ByAction[a] += n
		}
	}
	hits, err := s.retroHunt(rctx, now.Add(-s.cfg.Retention))
	if err != nil {
		return apiUnavailable("retro-hunt unavailable", err)
	}
	sum.RetroHunt = len(hits)
	if sum.ReportsNew, err = s.cfg.Redis.ZCard(rctx, keyReportsNew).Result(); err != nil {
		return apiUnavailable("reports unavailable", err)
	}
	s.m.reportsNew.Set(float64(sum.ReportsNew))
	writeJSON(ctx, sum)
	return nil
}
