package clicklog

import "unicode/utf8"

// The most an event stores of each string field, in bytes, so that a
// forged link or a giant header cannot make an event of kilobytes (a 1M
// event stream of gigabytes). Emit cuts a longer value at a UTF-8 boundary
// and names the field in Event.Clipped.
const (
	MaxURL       = 2048 // url
	MaxUserAgent = 512  // user_agent
	MaxField     = 256  // every other string: click_id, recipient, host, client_ip, scanner_why, ...
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
	cut(&e.ClickID, MaxField, "click_id")
	cut(&e.Recipient, MaxField, "recipient")
	cut(&e.Message, MaxField, "message")
	cut(&e.URL, MaxURL, "url")
	cut(&e.Host, MaxField, "host")
	cut(&e.Verdict, MaxField, "verdict")
	cut(&e.Action, MaxField, "action")
	cut(&e.Source, MaxField, "source")
	cut(&e.ClientIP, MaxField, "client_ip")
	cut(&e.UserAgent, MaxUserAgent, "user_agent")
	cut(&e.ScannerWhy, MaxField, "scanner_why")
	cut(&e.Error, MaxField, "error")
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
		clipped = append(clipped, "reasons")
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
