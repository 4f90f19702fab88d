package clickproxy

import (
	"net/url"
	"strings"
	"sync"

	"github.com/kensa-mail/kensa/sandbox"
)

// memo remembers a pure function's answers by key, for what every click
// computes again from the same few inputs: a campaign's clicks come from
// a few hundred browsers and go to a few links. It holds at most max
// entries and forgets them all when full, so odd inputs cannot grow it.
// A map under a read lock, not a sync.Map: a string key in an interface
// would cost an allocation on every lookup.
type memo[V any] struct {
	mu  sync.RWMutex
	m   map[string]V
	max int
}

func newMemo[V any](max int) *memo[V] { return &memo[V]{m: map[string]V{}, max: max} }

// get returns f(key), computed once per key while remembered.
func (c *memo[V]) get(key string, f func(string) V) V {
	if v, ok := c.load(key); ok {
		return v
	}
	v := f(key)
	c.store(key, v)
	return v
}

func (c *memo[V]) load(key string) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *memo[V]) store(key string, v V) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
}

func (c *memo[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// uaInfo is what a click's User-Agent says: the scanner fragment it
// contains ("" for none) and the device class it is rendered as.
type uaInfo struct {
	scannerWhy string
	device     sandbox.Device
}

func newUAInfo(userAgent string) uaInfo {
	return uaInfo{scannerWhy: scannerAgent(userAgent), device: sandbox.DeviceOf(userAgent)}
}

// uaMemoMax bounds the User-Agents remembered: lower-casing and searching
// every User-Agent twice was 10% of a cached click's CPU.
const uaMemoMax = 4096

// destKey is what a click derives from its destination: the override key
// (normalizeURL), the cache key and rendered URL (canonicalURL), its
// digest, the host and its registrable domain. A verified link's
// destination gives the same every time.
type destKey struct {
	normalized, canonical, digest, host, registrable string
}

func newDestKey(dest string, u *url.URL) destKey {
	k := destKey{normalized: normalizeURL(u), canonical: canonicalURL(dest, u), host: canonicalHost(u.Hostname())}
	k.digest, k.registrable = urlDigest(k.canonical), registrable(k.host)
	return k
}

// Destinations remembered (destKey), and the longest one: a few thousand
// links of up to 1 KB, a few megabytes at most. Longer destinations are
// derived on every click.
const (
	destMemoMax   = 4096
	destMemoBytes = 1024
)

// destKeyOf is dest's destKey, and its parsed URL when it had to be parsed
// (nil when remembered: parseDest gives it again on the paths that need
// it). The error is parseDest's.
func (s *Server) destKeyOf(dest string) (destKey, *url.URL, error) {
	if len(dest) <= destMemoBytes {
		if k, ok := s.dests.load(dest); ok {
			return k, nil, nil
		}
	}
	u, err := parseDest(dest)
	if err != nil {
		return destKey{}, nil, err
	}
	k := newDestKey(dest, u)
	if len(dest) <= destMemoBytes {
		s.dests.store(strings.Clone(dest), k) // not a slice of a longer string it would keep
	}
	return k, u, nil
}
