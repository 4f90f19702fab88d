package clickproxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	clicks        counterVec // by action
	verdictSource counterVec // memory, redis, render, override, one-time
	renderSeconds prometheus.Histogram
	herdWaiters   prometheus.Gauge
	redisErrors   prometheus.Counter
	errors        *prometheus.CounterVec // by code, from fail (errors.go)
	rateLimited   *prometheus.CounterVec // by limit: clicks, api, login, principal
	suppressed    prometheus.Counter     // unverified-link events not logged one by one (errorlog.go)
	saturated     prometheus.Counter     // renders refused by a saturated sandbox
	exported      prometheus.Counter     // click events written by the export
	reports       *prometheus.CounterVec // users' "report this link", by result: recorded|not-recorded
	reportsNew    prometheus.Gauge       // reports waiting for an analyst (as this replica last saw)
	webhook       *prometheus.CounterVec // report webhook deliveries, by result: ok|failed|dropped
	retroHits     prometheus.Counter     // let-through clicks found on URLs condemned later
	rechecks      *prometheus.CounterVec // scheduled re-checks of clicked clean URLs, by resulting level
	hoverChecks   *prometheus.CounterVec // the extension's checks, by status: done, checking
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		clicks: newCounterVec(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_clicks_total", Help: "Clicks answered, by action (redirect, warn, block, checking, error).",
		}, []string{"action"})),
		verdictSource: newCounterVec(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_verdict_source_total", Help: "Where click verdicts came from: memory, redis (cache hits), render, override, one-time.",
		}, []string{"source"})),
		renderSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kensa_render_seconds", Help: "Sandbox render time per destination (both renders).",
			Buckets: []float64{0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 21},
		}),
		herdWaiters: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kensa_herd_waiters", Help: "Clicks waiting for a render in progress.",
		}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_redis_errors_total", Help: "Redis operations of the click path that failed (the click was still answered).",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_http_errors_total", Help: "Requests answered with an error (page or API), by code: a link error (malformed, bad-signature, unknown-key, ...), not-found, unauthorized, unavailable, internal...",
		}, []string{"code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_rate_limited_total", Help: "Requests refused with 429 because the client network was over its limit, by limit (clicks, api, login, principal: a token or signed-in user, check: the extension's checks per API token).",
		}, []string{"limit"}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_click_events_suppressed_total", Help: "Click events of forged or unsigned links not logged one by one (past 20 per client network and minute); each minute's count is in an aggregate event.",
		}),
		saturated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_render_saturated_total", Help: "Renders refused because the sandbox had too many waiting (sandbox/fair); each gave an unknown verdict (sandbox-busy), not cached.",
		}),
		exported: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_click_events_exported_total", Help: "Click events written by GET /api/v1/clicks/export.",
		}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_link_reports_total", Help: `Users' "report this link", by result: recorded (in the SOC inbox) or not-recorded (expired click, bad MAC, Redis down).`,
		}, []string{"result"}),
		reportsNew: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kensa_link_reports_waiting", Help: "Reports waiting for an analyst's review, as last counted by this replica.",
		}),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_report_webhook_total", Help: "Report webhook deliveries, by result: ok, failed (error or non-2xx answer), dropped (queue full).",
		}, []string{"result"}),
		retroHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_retrohunt_hits_total", Help: "Clicks that were let through on a URL condemned later, found when it was condemned.",
		}),
		rechecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_recheck_total", Help: "Scheduled re-checks of recently clicked clean URLs, by the verdict they gave.",
		}, []string{"level"}),
		hoverChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_hover_checks_total", Help: "The browser extension's hover checks (GET /api/v1/check; not clicks), by status: done (a verdict), checking (a render started or under way).",
		}, []string{"status"}),
	}
	if reg != nil {
		reg.MustRegister(m.clicks.CounterVec, m.verdictSource.CounterVec, m.renderSeconds, m.herdWaiters, m.redisErrors, m.errors, m.rateLimited, m.suppressed, m.saturated,
			m.exported, m.reports, m.reportsNew, m.webhook, m.retroHits, m.rechecks, m.hoverChecks)
	}
	return m
}

// counterVec is a CounterVec with one label whose children the click path
// finds without hashing the label value and locking the vector on every
// click (WithLabelValues): each child is looked up there once and then
// remembered. The values are the click path's constants (actions,
// sources), so the memo stays small.
type counterVec struct {
	*prometheus.CounterVec
	children *memo[prometheus.Counter]
}

func newCounterVec(v *prometheus.CounterVec) counterVec {
	return counterVec{CounterVec: v, children: newMemo[prometheus.Counter](64)}
}

// with is WithLabelValues(value).
func (c counterVec) with(value string) prometheus.Counter {
	if x, ok := c.children.load(value); ok {
		return x
	}
	x := c.WithLabelValues(value)
	c.children.store(value, x)
	return x
}
