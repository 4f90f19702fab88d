// Package ratelimit limits requests per client network, so that one client
// (a bot replaying forged links, a scanner hammering the API) cannot take
// the click proxy's time from everyone else.
//
// Each client network (an IPv4 address, an IPv6 /64, which is what one
// subscriber usually gets) has a token bucket from golang.org/x/time/rate.
// Buckets live in a bounded LRU (hashicorp/golang-lru), so a flood of
// spoofed or rotating addresses costs a fixed amount of memory: an evicted
// network starts again with a full bucket, which is the safe direction for
// real users. Only the keying and the bounded table are written here.
package ratelimit

import (
	"net/netip"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Config is one limit.
type Config struct {
	// Rate is the sustained requests per second per client network.
	Rate float64
	// Burst is how many requests a client may make at once.
	Burst int
	// Clients bounds the table of client networks; default 65536.
	Clients int
}

// buckets is the bounded table of token buckets both limiters share,
// keyed by client network (Limiter) or by any string (Keyed).
type buckets[K comparable] struct {
	cfg   Config
	table *lru.Cache[K, *rate.Limiter]
}

// newBuckets fills in Config's defaults; ok is false for Rate <= 0 (no
// limit).
func newBuckets[K comparable](cfg Config) (b buckets[K], ok bool) {
	if cfg.Rate <= 0 {
		return b, false
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 1 << 16
	}
	t, _ := lru.New[K, *rate.Limiter](cfg.Clients) // size > 0
	return buckets[K]{cfg: cfg, table: t}, true
}

func (b *buckets[K]) allow(key K, now time.Time) bool {
	l, ok := b.table.Get(key)
	if !ok {
		l = rate.NewLimiter(rate.Limit(b.cfg.Rate), b.cfg.Burst)
		if prev, found, _ := b.table.PeekOrAdd(key, l); found {
			l = prev
		}
	}
	return l.AllowN(now, 1)
}

func (b *buckets[K]) retryAfter() time.Duration {
	return time.Duration(float64(time.Second) / b.cfg.Rate)
}

// Limiter is safe for concurrent use. A nil *Limiter allows everything.
type Limiter struct{ buckets[netip.Prefix] }

// New returns a limiter; Rate <= 0 means no limit (nil).
func New(cfg Config) *Limiter {
	b, ok := newBuckets[netip.Prefix](cfg)
	if !ok {
		return nil
	}
	return &Limiter{b}
}

// Network is the client network an address is limited as: the IPv4
// address itself, or the IPv6 /64.
func Network(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Allow reports whether ip may make a request now, and spends a token if so.
func (l *Limiter) Allow(ip netip.Addr, now time.Time) bool {
	if l == nil || !ip.IsValid() {
		return true
	}
	return l.allow(Network(ip), now)
}

// RetryAfter is how long a refused client should wait for one token, for the
// Retry-After header.
func (l *Limiter) RetryAfter() time.Duration {
	if l == nil {
		return 0
	}
	return l.retryAfter()
}

// Keyed limits requests per key (an API token's ID, a console user, an
// email address being signed in to) instead of per client network, with
// the same bounded table. A nil *Keyed allows everything.
type Keyed struct{ buckets[string] }

// NewKeyed returns a per-key limiter; Rate <= 0 means no limit (nil).
func NewKeyed(cfg Config) *Keyed {
	b, ok := newBuckets[string](cfg)
	if !ok {
		return nil
	}
	return &Keyed{b}
}

// Allow reports whether key may make a request now, and spends a token if so.
func (l *Keyed) Allow(key string, now time.Time) bool {
	if l == nil {
		return true
	}
	return l.allow(key, now)
}

// RetryAfter is how long a refused key should wait for one token.
func (l *Keyed) RetryAfter() time.Duration {
	if l == nil {
		return 0
	}
	return l.retryAfter()
}
