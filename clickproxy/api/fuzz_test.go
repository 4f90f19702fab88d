package api

import (
	"net/url"
	"reflect"
	"testing"
)

// ParseClickQuery never panics, and what it accepts survives a round trip
// through Values unchanged.
func FuzzParseClickQuery(f *testing.F) {
	for _, s := range []string{
		"", "recipient=Taro@Example.co.jp&from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z",
		"message=%3Ca@b%3E&proceeded=true&scanner=0", "message=00112233AABBCCDD&order=oldest&limit=1000",
		"url=/login&host=ACCOUNT&domain=account-check.top.&verdict=MALICIOUS&action=block",
		"url_digest=00112233445566778899aabbccddeeff&cursor=c1.abc", "n=5", "limit=0", "limit=1&limit=2",
		"from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", "color=red", "%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseClickQuery(v)
		if err != nil {
			return
		}
		if q.Limit < 0 || q.Limit > MaxClicks || len(q.Cursor) > MaxCursor {
			t.Fatalf("%q: out of bounds: %+v", raw, q)
		}
		q2, err := ParseClickQuery(q.Values())
		if err != nil {
			t.Fatalf("%q: %+v re-parsed with %v", raw, q, err)
		}
		if !q.From.Equal(q2.From) || !q.To.Equal(q2.To) {
			t.Fatalf("%q: times changed", raw)
		}
		q.From, q.To = q2.From, q2.To
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("%q:\n %+v\n %+v", raw, q, q2)
		}
	})
}
