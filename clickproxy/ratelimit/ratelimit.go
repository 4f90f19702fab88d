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

// Limiter is safe for concurrent use. A nil *Limiter allows everything.
type Limiter struct {
	cfg   Config
	table *lru.Cache[netip.Prefix, *rate.Limiter]
}

// New returns a limiter; Rate <= 0 means no limit (nil).
func New(cfg Config) *Limiter {
	if cfg.Rate <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 1 << 16
	}
	t, _ := lru.New[netip.Prefix, *rate.Limiter](cfg.Clients) // size > 0
	return &Limiter{cfg: cfg, table: t}
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
	key := Network(ip)
	b, ok := l.table.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)
		if prev, found, _ := l.table.PeekOrAdd(key, b); found {
			b = prev
		}
	}
	return b.AllowN(now, 1)
}

// RetryAfter is how long a refused client should wait for one token, for the
// Retry-After header.
func (l *Limiter) RetryAfter() time.Duration {
	if l == nil {
		return 0
	}
	return time.Duration(float64(time.Second) / l.cfg.Rate)
}

// Keyed limits requests per key (an API token's digest, never the token
// itself) rather than per client network: many users behind one NAT share
// an address but not a token. Same buckets, same bounded table.
type Keyed struct {
	cfg   Config
	table *lru.Cache[string, *rate.Limiter]
}

// NewKeyed returns a per-key limiter; Rate <= 0 means no limit (nil).
// Config.Clients bounds the table of keys.
func NewKeyed(cfg Config) *Keyed {
	if cfg.Rate <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 1 << 16
	}
	t, _ := lru.New[string, *rate.Limiter](cfg.Clients) // size > 0
	return &Keyed{cfg: cfg, table: t}
}

// Allow reports whether key may make a request now, and spends a token if so.
func (l *Keyed) Allow(key string, now time.Time) bool {
	if l == nil {
		return true
	}
	b, ok := l.table.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)
		if prev, found, _ := l.table.PeekOrAdd(key, b); found {
			b = prev
		}
	}
	return b.AllowN(now, 1)
}

// RetryAfter is how long a refused key should wait for one token.
func (l *Keyed) RetryAfter() time.Duration {
	if l == nil {
		return 0
	}
	return time.Duration(float64(time.Second) / l.cfg.Rate)
}
