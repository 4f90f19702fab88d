package clickproxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// MACs of the pages' own URLs, each with its own key derived from the
// keyring (New). The IDs and digests they cover are shown on pages or
// guessable, so they must not be enough to reach anything alone.

// clickMAC authorises a follow-up or a report for one click. The click
// ID alone is shown on pages and quoted to the SOC, so it must not be
// enough to reach someone else's destination.
func (s *Server) clickMAC(id string) string {
	m := hmac.New(sha256.New, s.clickKey)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s *Server) clickMACValid(id, mac string) bool {
	return subtle.ConstantTimeCompare([]byte(mac), []byte(s.clickMAC(id))) == 1
}

// shotMAC keeps screenshots from being enumerated by key (verdictKey).
func (s *Server) shotMAC(digest string) string {
	m := hmac.New(sha256.New, s.shotKey)
	m.Write([]byte(digest))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func (s *Server) shotMACValid(digest, mac string) bool {
	return subtle.ConstantTimeCompare([]byte(mac), []byte(s.shotMAC(digest))) == 1
}
