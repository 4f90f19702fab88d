package clickproxy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// A proceed token is the "continue anyway" button of a warning page. It
// is tied to one click and one destination digest and expires soon, so it
// cannot be reused as a redirect to anywhere else:
//
//	base64url(exp(8) | digest(16) | clickID) "." base64url(HMAC-SHA-256(key, that)[:16])
//
// The destination itself is not in the token: the proceed handler reads it
// from the click's pending record, and checks the digest.
type proceedSigner struct {
	key []byte
	ttl time.Duration
}

var errProceed = errors.New("invalid or expired continue link")

func (p proceedSigner) sign(clickID string, digest [16]byte, now time.Time) string {
	body := make([]byte, 24, 24+len(clickID))
	binary.BigEndian.PutUint64(body, uint64(now.Add(p.ttl).Unix()))
	copy(body[8:], digest[:])
	body = append(body, clickID...)
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// open verifies a token (constant-time) and returns its click ID and digest.
func (p proceedSigner) open(tok string, now time.Time) (clickID string, digest [16]byte, err error) {
	b64, t64, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 512 {
		return "", digest, errProceed
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	tag, err2 := base64.RawURLEncoding.DecodeString(t64)
	if err1 != nil || err2 != nil || len(body) < 24 || len(tag) != 16 {
		return "", digest, errProceed
	}
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil)[:16], tag) {
		return "", digest, errProceed
	}
	if now.Unix() > int64(binary.BigEndian.Uint64(body)) {
		return "", digest, errProceed
	}
	copy(digest[:], body[8:24])
	return string(body[24:]), digest, nil
}

// proceedClick is GET /p/TOKEN, "continue anyway". The verdict may have
// changed since the warning (an override, a re-check): it is looked up
// again, and a block now wins.
func (s *Server) proceedClick(ctx *fasthttp.RequestCtx, tok string) error {
	now := s.cfg.Now()
	id, digest, err := s.proceed.open(tok, now)
	var p *pendingClick
	ok := false
	if err == nil {
		p, ok = s.loadPending(requestContext(ctx), id)
	}
	if !ok || p.Digest != hex.EncodeToString(digest[:]) {
		return errProceedGone
	}
	c := s.currentVerdict(requestContext(ctx), p, now)
	v, action, proceed := s.shownAction(c.Verdict, p)
	if action == "block" || action == "warn" && !proceed {
		s.act(ctx, p, c, "memory")
		return nil
	}
	ctx.Response.Header.Set("Location", p.Dest)
	ctx.SetStatusCode(fasthttp.StatusSeeOther)
	s.emit(ctx, p, "redirect", "proceed", &v, true)
	return nil
}

// currentVerdict is the verdict for a pending click now: an override,
// else the cache (memory, then Redis). What is not known now (expired, or
// Redis unreachable) is unknown, not the old warning.
func (s *Server) currentVerdict(ctx context.Context, p *pendingClick, now time.Time) *cached {
	if ov, has := s.ov.match(p.Normalized, p.Host, p.registrable); has {
		return &cached{Verdict: overrideVerdict(ov, p.Dest, now)}
	}
	if c, found := s.store.getMem(p.cacheKey(), now); found {
		return c
	}
	rctx, cancel := context.WithTimeout(ctx, redisClickTimeout)
	defer cancel()
	if c, err := s.store.getRedis(rctx, p.cacheKey(), now); err == nil && c != nil {
		return c
	}
	return &cached{Verdict: verdict.Verdict{Level: verdict.Unknown, URL: p.Dest, JudgedAt: now}}
}
