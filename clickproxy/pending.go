package clickproxy

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/sandbox"
)

// pendingClick is a click that has not reached its final answer yet: it
// got the "checking" page, or a warning with "continue anyway". It is kept
// in memory and in Redis (keyPending, pendingTTL), so the follow-up may
// reach another replica.
type pendingClick struct {
	ClickID    string `json:"click_id"`
	Dest       string `json:"dest"`
	Normalized string `json:"normalized"` // normalizeURL: for URL overrides
	Canonical  string `json:"canonical"`  // canonicalURL: rendered, and cached under Digest
	Digest     string `json:"digest"`
	// Device is the clicker's device class (sandbox.DeviceOf the
	// User-Agent): with Digest, the key the verdict is cached under
	// (cacheKey). Empty in a record of a release without it.
	Device      string    `json:"device,omitempty"`
	Host        string    `json:"host"`
	Registrable string    `json:"registrable"`
	Recipient   string    `json:"recipient,omitempty"`
	Message     string    `json:"message,omitempty"`
	ShownDomain string    `json:"shown_domain,omitempty"`
	UserAgent   string    `json:"user_agent"`
	Language    string    `json:"language"`
	ClientIP    string    `json:"client_ip"`
	Scanner     bool      `json:"scanner,omitempty"`
	ScannerWhy  string    `json:"scanner_why,omitempty"`
	Started     time.Time `json:"started"`

	// PasswordForm: the link carries linktoken.FlagPasswordForm (mailsigns.go).
	PasswordForm bool `json:"password_form,omitempty"`
}

// registrable is the click's registrable domain, worked out only when
// needed (a domain override exists, or the verdict is not cached): the
// Public Suffix List lookup was 8% of a cached click.
func (p *pendingClick) registrable() string {
	p.setRegistrable()
	return p.Registrable
}

func (p *pendingClick) setRegistrable() {
	if p.Registrable == "" {
		p.Registrable = registrable(p.Host)
	}
}

// cacheKey is the key the click's verdict is cached under: the
// destination's digest and the clicker's device class (verdictKey).
func (p *pendingClick) cacheKey() string {
	if !sandbox.Device(p.Device).Valid() {
		p.Device = string(sandbox.DeviceOf(p.UserAgent))
	}
	return verdictKey(p.Digest, sandbox.Device(p.Device))
}

// pendingMaxHeader bounds the request headers a pending click keeps, so
// that big headers cannot fill memory and Redis.
const pendingMaxHeader = 512

func (s *Server) savePending(ctx context.Context, p *pendingClick) {
	p.setRegistrable() // set before the record is shared: loadPending hands out copies
	p.UserAgent, p.Language = clip(p.UserAgent, pendingMaxHeader), clip(p.Language, pendingMaxHeader)
	s.pending.Add(p.ClickID, p)
	b, _ := json.Marshal(p)
	rctx, cancel := context.WithTimeout(ctx, redisClickTimeout)
	defer cancel()
	if err := s.cfg.Redis.Set(rctx, tagged(keyPending, p.ClickID), b, pendingTTL(s.cfg.ProceedTTL)).Err(); err != nil {
		s.m.redisErrors.Inc()
	}
}

// loadPending returns a copy of a pending click, from memory or Redis.
func (s *Server) loadPending(ctx context.Context, id string) (*pendingClick, bool) {
	if len(id) != 16 {
		return nil, false
	}
	if p, ok := s.pending.Get(id); ok {
		if s.cfg.Now().After(p.Started.Add(pendingTTL(s.cfg.ProceedTTL))) {
			s.pending.Remove(id)
			return nil, false
		}
		cp := *p
		return &cp, true
	}
	rctx, cancel := context.WithTimeout(ctx, redisClickTimeout)
	defer cancel()
	b, err := s.cfg.Redis.Get(rctx, tagged(keyPending, id)).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			s.m.redisErrors.Inc()
		}
		return nil, false
	}
	var p pendingClick
	if json.Unmarshal(b, &p) != nil {
		return nil, false
	}
	s.pending.Add(id, &p)
	cp := p
	return &cp, true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
