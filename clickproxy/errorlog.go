package clickproxy

import (
	"net/netip"
	"sync"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/ratelimit"
)

// A flood of forged or unsigned links must not fill the click stream
// (1,000,000 events by default) and push real clicks out of it. Such a link
// names no real click, so its events are sampled: per client network
// (ratelimit.Network) and minute, the first errorEventsPerMinute are
// logged one by one, the others only counted (kensa_click_events_suppressed_total),
// and one aggregate event per network and minute says how many were left
// out. Clicks on links with a valid signature are never sampled.
const (
	errorEventsPerMinute = 20
	// errorNetworks bounds the networks tracked in a minute; the networks
	// beyond share one entry (client_ip "other" in its aggregate), so that a
	// flood from rotating addresses costs fixed memory.
	errorNetworks = 4096
)

// errorSampler decides which unverified-link events are logged. The zero
// value is ready.
type errorSampler struct {
	mu     sync.Mutex
	minute time.Time // the minute nets counts
	nets   map[netip.Prefix]*errorWindow
}

type errorWindow struct{ logged, suppressed int64 }

// allow says whether an event from ip at now is logged, and returns the
// aggregate events of the minutes that ended before now.
func (s *errorSampler) allow(ip netip.Addr, now time.Time) (bool, []clicklog.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ended := s.rollLocked(now)
	key := netip.Prefix{} // unknown address, or beyond errorNetworks: "other"
	if ip.IsValid() {
		key = ratelimit.Network(ip)
	}
	w := s.nets[key]
	if w == nil {
		if len(s.nets) >= errorNetworks {
			key = netip.Prefix{}
			w = s.nets[key]
		}
		if w == nil {
			w = &errorWindow{}
			s.nets[key] = w
		}
	}
	if w.logged < errorEventsPerMinute {
		w.logged++
		return true, ended
	}
	w.suppressed++
	return false, ended
}

// roll returns the aggregate events of the minutes that ended before now;
// the Server calls it every few seconds, so that an aggregate does not wait
// for the network's next event.
func (s *errorSampler) roll(now time.Time) []clicklog.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rollLocked(now)
}

func (s *errorSampler) rollLocked(now time.Time) []clicklog.Event {
	m := now.Truncate(time.Minute)
	if s.nets != nil && !m.After(s.minute) {
		return nil
	}
	var out []clicklog.Event
	for k, w := range s.nets {
		if w.suppressed == 0 {
			continue
		}
		ip := "other"
		if k.IsValid() {
			ip = k.String()
		}
		out = append(out, clicklog.Event{
			ClickID: newClickID(), Time: s.minute, Action: "error", Source: "none", Error: "suppressed",
			ClientIP: ip, Suppressed: w.suppressed,
		})
	}
	s.minute, s.nets = m, map[netip.Prefix]*errorWindow{}
	return out
}

// unverified says whether an error code is one of a link whose signature
// could not be verified (forged, damaged, unknown key) or of an unsigned
// link: the events that are sampled.
func unverified(code string) bool {
	switch code {
	case "malformed", "version", "bad-signature", "unknown-key", "unsigned":
		return true
	}
	return false
}

// emitError logs an error event, sampled when its link is unverified.
func (s *Server) emitError(ev clicklog.Event, ip netip.Addr) {
	if unverified(ev.Error) {
		ok, ended := s.errs.allow(ip, s.cfg.Now())
		for _, a := range ended {
			s.cfg.Events.Emit(a)
		}
		if !ok {
			s.m.suppressed.Inc()
			return
		}
	}
	s.cfg.Events.Emit(ev)
}

// flushErrors logs the aggregates of ended minutes; at shutdown (final),
// of the current one too.
func (s *Server) flushErrors(final bool) {
	now := s.cfg.Now()
	if final {
		now = now.Add(time.Minute)
	}
	for _, a := range s.errs.roll(now) {
		s.cfg.Events.Emit(a)
	}
}
