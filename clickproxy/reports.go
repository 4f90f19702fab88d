package clickproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// Users' "report this link": recorded in the SOC's inbox (keyReport,
// keyReportsAll, keyReportsNew), counted, and optionally posted to a
// webhook; analysts review them through the API.

var (
	errNoSuchReport = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such report", err: errors.New("no such report")}
	errBadReportCur = apiBadRequest(errors.New("cursor is not one this list returned"))
)

// ReportConfig configures the report webhook.
type ReportConfig struct {
	// Webhook, if set, receives each new report as a POST of its JSON
	// (api.Report). Only this URL is ever called, and redirects are not
	// followed: the webhook cannot be turned into a request to anywhere
	// else. https, or http to a loopback address.
	Webhook string
	// Timeout bounds one delivery; default 5 s.
	Timeout time.Duration
}

// DefaultReportConfig are the defaults of ReportConfig.
var DefaultReportConfig = ReportConfig{Timeout: 5 * time.Second}

// Validate checks the webhook URL and timeout.
func (c ReportConfig) Validate() error {
	if c.Webhook == "" {
		return nil
	}
	u, err := url.Parse(c.Webhook)
	switch {
	case err != nil || u.Host == "" || u.User != nil:
		return fmt.Errorf("report webhook %q: not an absolute URL without credentials", c.Webhook)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("report webhook %q: must be https (http only to a loopback address)", c.Webhook)
	}
	if c.Timeout < 0 || c.Timeout > time.Minute {
		return fmt.Errorf("report webhook timeout %v: want 0 to 1m", c.Timeout)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// reportSink delivers reports to the webhook, one at a time from a
// bounded queue: a slow or dead webhook never holds a user's request.
type reportSink struct {
	cfg    ReportConfig
	client *http.Client
	queue  chan []byte
	log    *zap.Logger
	m      *metrics
}

func newReportSink(cfg ReportConfig, log *zap.Logger, m *metrics) *reportSink {
	return &reportSink{
		cfg: cfg, log: log, m: m, queue: make(chan []byte, 1000),
		client: &http.Client{
			Timeout: cfg.Timeout,
			// Only the configured URL: never where an answer points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (r *reportSink) send(b []byte) {
	if r.cfg.Webhook == "" {
		return
	}
	select {
	case r.queue <- b:
	default:
		r.m.webhook.WithLabelValues("dropped").Inc()
		r.log.Warn("report webhook queue full; report not posted (it is in the inbox)")
	}
}

func (r *reportSink) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-r.queue:
			r.post(ctx, b)
		}
	}
}

func (r *reportSink) post(ctx context.Context, b []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Webhook, bytes.NewReader(b))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kensa-report-webhook")
	resp, err := r.client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	if err != nil {
		r.m.webhook.WithLabelValues("failed").Inc()
		// Not the URL: it may carry a secret.
		r.log.Warn("report webhook failed (the report is in the inbox)", zap.Error(errors.Unwrap(err)), zap.String("err", shortErr(err)))
		return
	}
	r.m.webhook.WithLabelValues("ok").Inc()
}

// shortErr is an error's text without a URL that may hold a secret.
func shortErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// report is POST /report?c=CLICKID&s=MAC: "report this link" from a
// warning or block page. A report is recorded for a click kept as
// pending, with its MAC; the page says whether it was.
func (s *Server) report(ctx *fasthttp.RequestCtx, _ string) error {
	id := string(ctx.QueryArgs().Peek("c"))
	lang := pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language")))
	recorded := false
	if s.clickMACValid(id, string(ctx.QueryArgs().Peek("s"))) {
		if p, ok := s.loadPending(requestContext(ctx), id); ok {
			rctx, cancel := context.WithTimeout(requestContext(ctx), redisPageTimeout)
			err := s.saveReport(rctx, p)
			cancel()
			if err != nil {
				s.log.Warn("report not recorded", zap.String("click_id", id), zap.Error(err))
			} else {
				recorded = true
				s.log.Info("link reported by user", zap.String("click_id", id), zap.String("host", p.Host))
			}
		}
	}
	if recorded {
		s.m.reports.WithLabelValues("recorded").Inc()
	} else {
		s.m.reports.WithLabelValues("not-recorded").Inc()
	}
	s.render(ctx, fasthttp.StatusOK, pages.Page{Kind: pages.KindReported, Lang: lang, ClickID: id, Recorded: recorded})
	return nil
}

// saveReport records a new report (one per click: a second press of the
// button is the same report).
func (s *Server) saveReport(ctx context.Context, p *pendingClick) error {
	now := s.cfg.Now().UTC()
	r := api.Report{
		ID: p.ClickID, Time: now, ClickID: p.ClickID, URL: p.Dest, URLDigest: p.Digest, Host: p.Host,
		Recipient: p.Recipient, Status: api.ReportNew,
	}
	if c, ok := s.store.getMem(p.cacheKey(), now); ok {
		r.Verdict = string(c.Verdict.Level)
	} else if c, err := s.store.getRedis(ctx, p.cacheKey(), now); err == nil && c != nil {
		r.Verdict = string(c.Verdict.Level)
	}
	b, _ := json.Marshal(r)
	added, err := s.cfg.Redis.HSetNX(ctx, keyReport, r.ID, b).Result()
	if err != nil || !added {
		return err
	}
	_, err = s.cfg.Redis.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.ZAdd(ctx, keyReportsAll, redis.Z{Score: float64(now.UnixMilli()), Member: r.ID})
		pl.ZAdd(ctx, keyReportsNew, redis.Z{Score: float64(now.UnixMilli()), Member: r.ID})
		return nil
	})
	if err != nil {
		return err
	}
	s.trimReports(ctx)
	s.reports.send(b)
	return nil
}

// trimReports keeps the newest maxReports.
func (s *Server) trimReports(ctx context.Context) {
	n, err := s.cfg.Redis.ZCard(ctx, keyReportsAll).Result()
	if err != nil || n <= maxReports {
		return
	}
	old, err := s.cfg.Redis.ZPopMin(ctx, keyReportsAll, n-maxReports).Result()
	if err != nil {
		return
	}
	for _, z := range old {
		id, _ := z.Member.(string)
		s.cfg.Redis.HDel(ctx, keyReport, id)
		s.cfg.Redis.ZRem(ctx, keyReportsNew, id)
	}
}

// listReports is GET /api/v1/reports?status=new|reviewed&cursor=&limit=,
// newest first.
func (s *Server) listReports(ctx *fasthttp.RequestCtx, _ string) error {
	a := ctx.QueryArgs()
	status := string(a.Peek("status"))
	key := keyReportsAll
	switch status {
	case "", api.ReportReviewed:
	case api.ReportNew:
		key = keyReportsNew
	default:
		return apiBadRequest(errors.New("status must be new or reviewed"))
	}
	limit := 100
	if v := a.Peek("limit"); len(v) > 0 {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 || n > 1000 {
			return apiBadRequest(errors.New("limit must be 1 to 1000"))
		}
		limit = n
	}
	max := "+inf"
	if c := string(a.Peek("cursor")); c != "" {
		// The cursor is the score (ms) of the last report shown; reports
		// of the same millisecond are told apart by ID order below.
		ms, err := strconv.ParseInt(c, 10, 64)
		if err != nil || ms < 0 {
			return errBadReportCur
		}
		max = "(" + strconv.FormatInt(ms, 10)
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	out := api.ReportList{Reports: []api.Report{}}
	var last float64 // the score of the last report listed
	for {
		zs, err := s.cfg.Redis.ZRevRangeByScoreWithScores(rctx, key, &redis.ZRangeBy{Min: "-inf", Max: max, Count: int64(limit + 1)}).Result()
		if err != nil {
			return apiUnavailable("reports unavailable", err)
		}
		if len(zs) == 0 {
			break
		}
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i], _ = z.Member.(string)
		}
		vals, err := s.cfg.Redis.HMGet(rctx, keyReport, ids...).Result()
		if err != nil {
			return apiUnavailable("reports unavailable", err)
		}
		for i, v := range vals {
			score := zs[i].Score
			str, _ := v.(string)
			var r api.Report
			if json.Unmarshal([]byte(str), &r) != nil {
				continue
			}
			if status == api.ReportReviewed && r.Status != api.ReportReviewed {
				continue
			}
			if len(out.Reports) == limit {
				out.Next = strconv.FormatInt(int64(last), 10)
				writeJSON(ctx, out)
				return nil
			}
			out.Reports = append(out.Reports, r)
			last = score
		}
		if len(zs) <= limit {
			break
		}
		max = "(" + strconv.FormatInt(int64(zs[len(zs)-1].Score), 10)
	}
	writeJSON(ctx, out)
	return nil
}

// reviewReport is POST /api/v1/reports/ID with an api.ReportReview.
func (s *Server) reviewReport(ctx *fasthttp.RequestCtx, id string) error {
	if !isHexN(id, 16) {
		return errNoSuchReport
	}
	var rv api.ReportReview
	if err := json.Unmarshal(ctx.PostBody(), &rv); err != nil {
		return apiBadRequest(errors.New("body is not JSON: " + err.Error()))
	}
	var errs []error
	if rv.Status == "" {
		rv.Status = api.ReportReviewed
	}
	if rv.Status != api.ReportReviewed && rv.Status != api.ReportNew {
		errs = append(errs, errors.New("status must be reviewed or new"))
	}
	switch rv.Outcome {
	case api.ReportMalicious, api.ReportSuspicious, api.ReportBenign, api.ReportSpam:
	case "":
		if rv.Status == api.ReportReviewed {
			errs = append(errs, errors.New("a review needs an outcome: malicious, suspicious, benign or spam"))
		}
	default:
		errs = append(errs, fmt.Errorf("outcome must be malicious, suspicious, benign or spam, not %q", rv.Outcome))
	}
	if len(rv.Note) > 2000 {
		errs = append(errs, errors.New("note longer than 2000 bytes"))
	}
	if err := errors.Join(errs...); err != nil {
		return apiBadRequest(err)
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	str, err := s.cfg.Redis.HGet(rctx, keyReport, id).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return errNoSuchReport
	case err != nil:
		return apiUnavailable("reports unavailable", err)
	}
	var r api.Report
	if err := json.Unmarshal([]byte(str), &r); err != nil {
		return fmt.Errorf("report %s unreadable: %w", id, err)
	}
	r.Status, r.Outcome, r.Note = rv.Status, rv.Outcome, rv.Note
	r.ReviewedBy, r.ReviewedAt = principal(ctx).Actor(), s.cfg.Now().UTC()
	if err := s.recordAudit(ctx, api.AuditEntry{
		Action: api.AuditReportReview, Target: id, Reason: rv.Outcome,
		Detail: map[string]string{"status": rv.Status, "note": rv.Note, "url": r.URL},
	}); err != nil {
		return err
	}
	b, _ := json.Marshal(r)
	_, err = s.cfg.Redis.TxPipelined(rctx, func(p redis.Pipeliner) error {
		p.HSet(rctx, keyReport, id, b)
		if r.Status == api.ReportNew {
			p.ZAdd(rctx, keyReportsNew, redis.Z{Score: float64(r.Time.UnixMilli()), Member: id})
		} else {
			p.ZRem(rctx, keyReportsNew, id)
		}
		return nil
	})
	if err != nil {
		return apiUnavailable("review not saved: storage unavailable", err)
	}
	if n, err := s.cfg.Redis.ZCard(rctx, keyReportsNew).Result(); err == nil {
		s.m.reportsNew.Set(float64(n))
	}
	writeJSON(ctx, r)
	return nil
}

// keyReportsV1 is the list the click proxy kept reports in before the
// inbox (JSON: click_id, url, recipient, time), newest first.
const keyReportsV1 = "kensa:v1:reports"

// migrateReports moves the reports of the old list into the inbox, as
// new, and deletes the list: nothing users reported before the inbox
// existed is lost. Safe to run on every replica at once (HSETNX).
func (s *Server) migrateReports(ctx context.Context) {
	old, err := s.cfg.Redis.LRange(ctx, keyReportsV1, 0, -1).Result()
	if err != nil || len(old) == 0 {
		return
	}
	moved := 0
	for _, o := range old {
		var v1 struct {
			ClickID   string    `json:"click_id"`
			URL       string    `json:"url"`
			Recipient string    `json:"recipient"`
			Time      time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(o), &v1) != nil || !isHexN(v1.ClickID, 16) {
			continue
		}
		r := api.Report{ID: v1.ClickID, Time: v1.Time.UTC(), ClickID: v1.ClickID, URL: v1.URL, Recipient: v1.Recipient, Status: api.ReportNew}
		if u, err := parseDest(v1.URL); err == nil {
			r.Host = canonicalHost(u.Hostname())
			r.URLDigest = urlDigest(canonicalURL(v1.URL, u))
		}
		b, _ := json.Marshal(r)
		if ok, err := s.cfg.Redis.HSetNX(ctx, keyReport, r.ID, b).Result(); err != nil {
			return // try again at the next start; the list is still there
		} else if ok {
			z := redis.Z{Score: float64(r.Time.UnixMilli()), Member: r.ID}
			s.cfg.Redis.ZAdd(ctx, keyReportsAll, z)
			s.cfg.Redis.ZAdd(ctx, keyReportsNew, z)
			moved++
		}
	}
	s.cfg.Redis.Del(ctx, keyReportsV1)
	s.log.Info("reports moved from the old list into the inbox", zap.Int("moved", moved), zap.Int("listed", len(old)))
}
