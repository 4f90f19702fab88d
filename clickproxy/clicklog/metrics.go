package clicklog

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// register exports the Stats counters. The metrics read the same counters as
// Stats, so the two never disagree.
func (l *Log) register(r prometheus.Registerer) error {
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "kensa_click_events_total",
			Help: "Click events emitted (each was written to the JSON-line click stream).",
		}, func() float64 { return float64(l.emitted.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "kensa_click_events_written_total",
			Help: "Click events written to the Redis stream.",
		}, func() float64 { return float64(l.written.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "kensa_click_events_dropped_total",
			Help: "Click events not queued for Redis because the buffer was full (or the log was closed); they were still written to the JSON-line click stream.",
		}, func() float64 { return float64(l.dropped.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kensa_click_events_buffered",
			Help: "Click events waiting in memory to be written to Redis.",
		}, func() float64 { return float64(l.buffered.Load()) }),
	}
	for i, c := range cs {
		if err := r.Register(c); err != nil {
			for _, done := range cs[:i] {
				r.Unregister(done)
			}
			return fmt.Errorf("clicklog: registering metrics: %w", err)
		}
	}
	return nil
}
