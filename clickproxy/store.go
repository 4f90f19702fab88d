package clickproxy

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
)

// cached is what is kept per destination: the verdict and what the pages
// show about it.
type cached struct {
	Verdict verdict.Verdict `json:"verdict"`
	Chain   []string        `json:"chain,omitempty"`
	HasShot bool            `json:"has_shot,omitempty"`
	Expires time.Time       `json:"expires"`
}

// TTLs are how long a verdict is trusted, in memory and in Redis, by
// level. A clean verdict is trusted for a random time from Clean up to
// CleanMax (Config.Rand picks it; CleanMax not above Clean: exactly
// Clean); the first click after it re-renders the destination, as a first
// click does.
type TTLs struct {
	Clean, CleanMax, Suspicious, Malicious, Unknown time.Duration
}

// DefaultTTLs are the lifetimes of verdicts; docs/click-proxy.md and
// docs/redis.md ("TTLs") describe them. A clean page can turn bad, and
// one that shows the sandbox something harmless on its first request
// and a phishing page afterwards must not pass for long (issue 16): a
// clean verdict is re-checked after 5 to 20 minutes, at a random time so
// that a site cannot tell when the next render comes. A failed check is
// retried soon.
var DefaultTTLs = TTLs{
	Clean: 5 * time.Minute, CleanMax: 20 * time.Minute,
	Suspicious: 6 * time.Hour, Malicious: 7 * 24 * time.Hour, Unknown: 2 * time.Minute,
}

// of is a verdict's lifetime; rnd, in [0, 1), places a clean verdict's
// in [Clean, CleanMax).
func (t TTLs) of(l verdict.Level, rnd float64) time.Duration {
	switch l {
	case verdict.Clean:
		if t.CleanMax <= t.Clean || rnd < 0 || rnd >= 1 {
			return t.Clean
		}
		return t.Clean + time.Duration(rnd*float64(t.CleanMax-t.Clean))
	case verdict.Suspicious:
		return t.Suspicious
	case verdict.Malicious:
		return t.Malicious
	}
	return t.Unknown
}

// store is the two-level verdict cache: an in-process LRU in front of
// Redis. Verdicts and screenshots are kept by key (verdictKey: the
// destination's digest and a device class); a domain's history counts
// destinations (the digest alone). Redis errors are returned so callers can count them; a failing
// Redis never stops clicks (the render path still works).
type store struct {
	mem  *lru.Cache[string, *cached]
	rdb  redis.UniversalClient
	ttls TTLs
	now  func() time.Time // Config.Now
	rand func() float64   // Config.Rand
}

func newStore(rdb redis.UniversalClient, size int, ttls TTLs, now func() time.Time, rand func() float64) (*store, error) {
	mem, err := lru.New[string, *cached](size)
	if err != nil {
		return nil, err
	}
	return &store{mem: mem, rdb: rdb, ttls: ttls, now: now, rand: rand}, nil
}

// getMem returns a live in-process entry of a key (verdictKey).
func (s *store) getMem(key string, now time.Time) (*cached, bool) {
	c, ok := s.mem.Get(key)
	if !ok {
		return nil, false
	}
	if now.After(c.Expires) {
		s.mem.Remove(key)
		return nil, false
	}
	return c, true
}

// getRedis reads a key's (verdictKey) verdict from Redis and fills the
// in-process cache.
func (s *store) getRedis(ctx context.Context, key string, now time.Time) (*cached, error) {
	b, err := s.rdb.Get(ctx, tagged(keyVerdict, key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c cached
	if err := json.Unmarshal(b, &c); err != nil || now.After(c.Expires) {
		return nil, nil
	}
	s.mem.Add(key, &c)
	return &c, nil
}

// put stores a verdict under key (verdictKey) in both levels, the
// screenshot beside it, and publishes that it landed (waking other
// replicas' waiters).
func (s *store) put(ctx context.Context, key string, c *cached, shot []byte, regDomain string) error {
	digest := keyDigest(key)
	ttl := s.ttls.of(c.Verdict.Level, s.rand())
	now := s.now()
	c.Expires = c.Verdict.JudgedAt.Add(ttl)
	if c.Expires.Before(now) {
		c.Expires = now.Add(ttl)
	}
	c.HasShot = len(shot) > 0
	b, err := json.Marshal(c)
	if err != nil {
		s.mem.Add(key, c)
		return err
	}
	// The verdict and its screenshot in one transaction (one hash slot:
	// tagged by digest); the domain's history and the notice to waiting
	// replicas after it, in a plain pipeline, which a Redis Cluster client
	// sends to each key's own shard.
	if _, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, tagged(keyVerdict, key), b, ttl)
		if len(shot) > 0 {
			p.Set(ctx, tagged(keyShot, key), shot, ttl)
		}
		return nil
	}); err != nil {
		s.mem.Add(key, c)
		return err
	}
	// Into memory once Redis has the screenshot too: whoever sees the
	// verdict here (a hover check, a click) can fetch its screenshot.
	s.mem.Add(key, c)
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		switch {
		case regDomain == "":
		case c.Verdict.Level == verdict.Clean:
			p.PFAdd(ctx, tagged(keyCleanHist, regDomain), digest)
			p.Expire(ctx, tagged(keyCleanHist, regDomain), historyTTL)
		default:
			p.Set(ctx, tagged(keyBadHist, regDomain), string(c.Verdict.Level), historyTTL)
		}
		p.Publish(ctx, tagged(keyDone, key), "1")
		return nil
	})
	return err
}

// worstRedis is the worst of a destination's verdicts cached in Redis for
// the device classes (the SOC's view of "the verdict now"), or nil.
func (s *store) worstRedis(ctx context.Context, digest string, now time.Time) *cached {
	var worst *cached
	for _, d := range sandbox.Devices {
		c, err := s.getRedis(ctx, verdictKey(digest, d), now)
		if err != nil || c == nil {
			continue
		}
		if worst == nil || (c.Verdict.Level != worst.Verdict.Level && verdict.Worst(c.Verdict.Level, worst.Verdict.Level) == c.Verdict.Level) {
			worst = c
		}
	}
	return worst
}

// forget drops a destination's verdicts, for every device class,
// everywhere (an override changed).
func (s *store) forget(ctx context.Context, digest string) {
	// One DEL per key: each device's key is in its own hash slot, which a
	// Redis Cluster client sends to that key's shard (a plain pipeline).
	p := s.rdb.Pipeline()
	for _, d := range sandbox.Devices {
		k := verdictKey(digest, d)
		s.mem.Remove(k)
		p.Del(ctx, tagged(keyVerdict, k))
	}
	p.Exec(ctx)
}

// history is how many different URLs of the domain were judged clean by a
// render in the last 30 days, how many were let through by the one-time
// shortcut unrendered (recordSkip), and whether any was judged anything
// else (suspicious, malicious, or could not be checked). Redis errors
// count as a bad history: the one-time shortcut is taken only when the
// record is known.
func (s *store) history(ctx context.Context, regDomain string) (clean, skipped int64, bad bool) {
	p := s.rdb.Pipeline()
	cleanCmd := p.PFCount(ctx, tagged(keyCleanHist, regDomain))
	skipCmd := p.PFCount(ctx, tagged(keySkipHist, regDomain))
	badCmd := p.Exists(ctx, tagged(keyBadHist, regDomain))
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, true
	}
	return cleanCmd.Val(), skipCmd.Val(), badCmd.Val() > 0
}

// recordSkip records that the one-time shortcut let a URL of the domain
// through unrendered. It is kept apart from the clean URLs, so it never
// counts toward OneTimeCleanHistory.
func (s *store) recordSkip(ctx context.Context, regDomain, digest string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.PFAdd(ctx, tagged(keySkipHist, regDomain), digest)
		p.Expire(ctx, tagged(keySkipHist, regDomain), historyTTL)
		return nil
	})
	return err
}
