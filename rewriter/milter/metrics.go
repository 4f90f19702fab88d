package milter

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kensa-mail/kensa/rewriter"
)

// Metrics are the milter's Prometheus metrics.
type Metrics struct {
	messages  *prometheus.CounterVec
	linkCount prometheus.Counter
	fallbacks *prometheus.CounterVec
	duration  prometheus.Histogram
}

// NewMetrics registers the milter's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_milter_messages_total",
			Help: "Messages seen by the milter, by outcome (rewritten, unchanged, passed_through) and pass-through reason.",
		}, []string{"outcome", "reason"}),
		linkCount: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_milter_links_rewritten_total",
			Help: "Links replaced by Kensa links.",
		}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_milter_fallbacks_total",
			Help: "Places where a message or part could not be read faithfully and links were found best effort (or tagged or held, per on_unparsable), by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kensa_milter_processing_seconds",
			Help:    "Time the milter spent on a message at end of DATA.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	reg.MustRegister(m.messages, m.linkCount, m.fallbacks, m.duration)
	for _, r := range []string{rewriter.FallbackUnparsable, rewriter.FallbackTooComplex, rewriter.FallbackBadPartHeader, rewriter.FallbackBadMultipart,
		rewriter.FallbackUnknownCharset, rewriter.FallbackUTF16, rewriter.FallbackUndecodable} {
		m.fallbacks.WithLabelValues(r)
	}
	// Every outcome exists from the start, so dashboards see zeros.
	for _, o := range [][2]string{{"rewritten", ""}, {"unchanged", ""}, {"passed_through", "too-large"}, {"passed_through", "internal-error"}, {"passed_through", "unparsable"}, {"passed_through", "dkim-skip"}} {
		m.messages.WithLabelValues(o[0], o[1])
	}
	return m
}

func (m *Metrics) observe(outcome, reason string, d time.Duration) {
	if m == nil {
		return
	}
	m.messages.WithLabelValues(outcome, reason).Inc()
	m.duration.Observe(d.Seconds())
}

func (m *Metrics) fallback(reason string) {
	if m == nil {
		return
	}
	m.fallbacks.WithLabelValues(reason).Inc()
}

func (m *Metrics) links(n int) {
	if m == nil {
		return
	}
	m.linkCount.Add(float64(n))
}
