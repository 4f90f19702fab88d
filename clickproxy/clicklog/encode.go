package clicklog

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// linePrefix starts a line of the JSON-line click stream: what zap's
// production JSON encoder writes before a message's fields ("level",
// "msg"; no time key, the event carries "@timestamp"), so that the lines
// read as internal/logging's do. TestLineMatchesZap checks it.
const linePrefix = `{"level":"info","msg":"click",`

// encodeLine encodes an event once, as its line of the JSON-line stream:
// linePrefix, the fields, "}\n". lineEntry turns the same memory into the
// Redis entry.
func encodeLine(e *Event) []byte {
	// The keys and fixed-size values of a click are about 480 bytes: one
	// allocation, rarely grown.
	n := len(linePrefix) + 520 + len(e.URL) + len(e.Host) + len(e.Domain) + len(e.UserAgent) + len(e.Recipient) + len(e.ScannerWhy)
	return append(appendEvent(append(make([]byte, 0, n), linePrefix...), e), "}\n"...)
}

// lineEntry is the Redis entry within a line from encodeLine: the event's
// fields as one JSON object and the newline. It overwrites the end of the
// line's prefix: call it once the line has been written.
func lineEntry(line []byte) []byte {
	start := len(linePrefix) - 1
	line[start] = '{'
	return line[start:]
}

// appendEvent appends an Event's fields, comma-separated, under the same
// names and omitempty rules as its JSON, so that a line decodes into the
// same Event as the Redis entry. Time is RFC3339Nano text ("@timestamp");
// Emit has set ECS, Schema and Outcome.
//
// Hand-written rather than zap's JSON encoder over a field marshaller,
// which was a sixth of a cached click's CPU in kensa serve (an interface
// call and the key's escaping per field). It writes byte for byte what
// that encoder wrote (appendJSONString has its escaping):
// TestLineMatchesZap and FuzzAppendEvent compare the two.
func appendEvent(b []byte, e *Event) []byte {
	b = append(b, `"@timestamp":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = appendField(b, `","kensa.click_id":`, e.ClickID)
	b = appendField(b, `,"event.action":`, e.Action)
	b = appendField(b, `,"event.outcome":`, e.Outcome)
	if e.Recipient != "" {
		b = appendField(b, `,"user.email":`, e.Recipient)
	}
	if e.Message != "" {
		b = appendField(b, `,"kensa.message_digest":`, e.Message)
	}
	if e.MessageID != "" {
		b = appendField(b, `,"email.message_id":`, e.MessageID)
	}
	b = appendField(b, `,"url.full":`, e.URL)
	b = appendField(b, `,"url.domain":`, e.Host)
	if e.Domain != "" {
		b = appendField(b, `,"url.registered_domain":`, e.Domain)
	}
	if e.URLDigest != "" {
		b = appendField(b, `,"kensa.url_digest":`, e.URLDigest)
	}
	b = appendField(b, `,"kensa.verdict":`, e.Verdict)
	if len(e.Reasons) > 0 {
		b = appendStrings(append(b, `,"rule.name":`...), e.Reasons)
	}
	if e.Proceeded {
		b = append(b, `,"kensa.proceeded":true`...)
	}
	b = appendField(b, `,"kensa.verdict_source":`, e.Source)
	b = append(b, `,"kensa.latency_ms":`...)
	switch f := e.LatencyMS; {
	case math.IsNaN(f):
		b = append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		b = append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		b = append(b, `"-Inf"`...)
	default:
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	b = appendField(b, `,"source.ip":`, e.ClientIP)
	b = appendField(b, `,"user_agent.original":`, e.UserAgent)
	if e.Scanner {
		b = append(b, `,"kensa.scanner":true`...)
	}
	if e.ScannerWhy != "" {
		b = appendField(b, `,"kensa.scanner_why":`, e.ScannerWhy)
	}
	if e.Error != "" {
		b = appendField(b, `,"error.code":`, e.Error)
	}
	if len(e.Clipped) > 0 {
		b = appendStrings(append(b, `,"kensa.clipped":`...), e.Clipped)
	}
	if e.Suppressed != 0 {
		b = strconv.AppendInt(append(b, `,"kensa.suppressed":`...), e.Suppressed, 10)
	}
	if e.ECS != "" {
		b = appendField(b, `,"ecs.version":`, e.ECS)
	}
	if e.Schema != 0 {
		b = strconv.AppendInt(append(b, `,"kensa.schema_version":`...), int64(e.Schema), 10)
	}
	return b
}

// appendField appends key (with its quotes, colon and the comma before it)
// and s as a JSON string.
func appendField(b []byte, key, s string) []byte {
	return appendJSONString(append(b, key...), s)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s quoted as zap's JSON encoder does
// (zapcore's safeAppendStringLike): `\` and `"` escaped, \n \r \t,
// other bytes below 0x20 as \u00XX, invalid UTF-8 as \ufffd, everything
// else as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(append(b, s[last:i]...), `\ufffd`...)
			i++
			last = i
			continue
		}
		if c >= 0x20 && c != '\\' && c != '"' {
			i++
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		last = i
	}
	return append(append(b, s[last:]...), '"')
}
