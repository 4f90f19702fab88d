package clicklog

import "unicode/utf8"

// The most an event stores of each string field, in bytes, so that a
// forged link or a giant header cannot make an event of kilobytes (a 1M
// event stream of gigabytes). Emit cuts a longer value at a UTF-8 boundary
// and names the field in Event.Clipped.
const (
	MaxURL       = 2048 // url.full
	MaxUserAgent = 512  // user_agent.original
	MaxField     = 256  // every other string: kensa.click_id, user.email, url.domain, source.ip, ...
	MaxReasons   = 20   // reason codes kept, each at most MaxField
)

// clip cuts e's strings to their maximum. It never writes into the
// arrays of e.Reasons or e.Clipped, which belong to the caller.
func clip(e *Event) {
	var clipped []string
	cut := func(p *string, n int, name string) {
		if len(*p) > n {
			*p = truncate(*p, n)
			clipped = append(clipped, name)
		}
	}
	cut(&e.ClickID, MaxField, "kensa.click_id")
	cut(&e.Recipient, MaxField, "user.email")
	cut(&e.Message, MaxField, "kensa.message_digest")
	cut(&e.URL, MaxURL, "url.full")
	cut(&e.Host, MaxField, "url.domain")
	cut(&e.Domain, MaxField, "url.registered_domain")
	cut(&e.URLDigest, MaxField, "kensa.url_digest")
	cut(&e.Verdict, MaxField, "kensa.verdict")
	cut(&e.Action, MaxField, "event.action")
	cut(&e.Source, MaxField, "kensa.verdict_source")
	cut(&e.ClientIP, MaxField, "source.ip")
	cut(&e.UserAgent, MaxUserAgent, "user_agent.original")
	cut(&e.ScannerWhy, MaxField, "kensa.scanner_why")
	cut(&e.Error, MaxField, "error.code")
	long := len(e.Reasons) > MaxReasons
	for _, r := range e.Reasons {
		long = long || len(r) > MaxField
	}
	if long {
		rs := make([]string, 0, min(len(e.Reasons), MaxReasons))
		for _, r := range e.Reasons[:min(len(e.Reasons), MaxReasons)] {
			rs = append(rs, truncate(r, MaxField))
		}
		e.Reasons = rs
		clipped = append(clipped, "rule.name")
	}
	if clipped != nil {
		e.Clipped = append(append([]string(nil), e.Clipped...), clipped...)
	}
}

// truncate cuts s to at most n bytes, not inside a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
