package clickproxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
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
