package clicklog

import (
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// payloadEncoder writes an event's fields alone, as one JSON object: the
// Redis stream entry. It is zap's JSON encoder over eventFields rather than
// encoding/json, whose reflection cost half of Emit on the click path;
// TestRecentRoundTrip checks that the result decodes into the same Event.
var payloadEncoder = zapcore.NewJSONEncoder(zapcore.EncoderConfig{
	MessageKey: zapcore.OmitKey, LevelKey: zapcore.OmitKey, TimeKey: zapcore.OmitKey, NameKey: zapcore.OmitKey,
	CallerKey: zapcore.OmitKey, FunctionKey: zapcore.OmitKey, StacktraceKey: zapcore.OmitKey,
	LineEnding: "\n", EncodeDuration: zapcore.StringDurationEncoder, // the line's end; Redis entries have always kept it too
})

// linePrefix starts a line of the JSON-line click stream: what zap's
// production JSON encoder writes before a message's fields ("level",
// "msg"; no time key, the event carries "@timestamp"), so that the lines
// read as internal/logging's do. TestLineMatchesZap checks it.
const linePrefix = `{"level":"info","msg":"click",`

// encodeLine encodes an event once, as its line of the JSON-line stream:
// linePrefix, then the fields as payloadEncoder writes them after their
// "{" (ending in "}\n"). lineEntry turns the same memory into the Redis
// entry.
func encodeLine(e *Event) ([]byte, error) {
	buf, err := payloadEncoder.EncodeEntry(zapcore.Entry{}, []zapcore.Field{zap.Inline((*eventFields)(e))})
	if err != nil {
		return nil, err
	}
	defer buf.Free()
	fields := buf.Bytes() // {"@timestamp":...}\n
	line := make([]byte, 0, len(linePrefix)-1+len(fields))
	return append(append(line, linePrefix...), fields[1:]...), nil
}

// lineEntry is the Redis entry within a line from encodeLine: the event's
// fields as one JSON object, as payloadEncoder wrote them. It overwrites
// the end of the line's prefix: call it once the line has been written.
func lineEntry(line []byte) []byte {
	start := len(linePrefix) - 1
	line[start] = '{'
	return line[start:]
}

// eventFields writes an Event's fields with zap's JSON encoder under the
// same names and omitempty rules as its JSON, so that a line of the
// JSON-line stream decodes into the same Event as the Redis entry. Time is written as RFC3339Nano
// text ("@timestamp") whatever the logger's time encoder is; Emit has set
// ECS, Schema and Outcome.
type eventFields Event

func (e *eventFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("@timestamp", e.Time.Format(time.RFC3339Nano))
	enc.AddString("kensa.click_id", e.ClickID)
	enc.AddString("event.action", e.Action)
	enc.AddString("event.outcome", e.Outcome)
	if e.Recipient != "" {
		enc.AddString("user.email", e.Recipient)
	}
	if e.Message != "" {
		enc.AddString("kensa.message_digest", e.Message)
	}
	if e.MessageID != "" {
		enc.AddString("email.message_id", e.MessageID)
	}
	enc.AddString("url.full", e.URL)
	enc.AddString("url.domain", e.Host)
	if e.Domain != "" {
		enc.AddString("url.registered_domain", e.Domain)
	}
	if e.URLDigest != "" {
		enc.AddString("kensa.url_digest", e.URLDigest)
	}
	enc.AddString("kensa.verdict", e.Verdict)
	if len(e.Reasons) > 0 {
		if err := enc.AddArray("rule.name", stringArray(e.Reasons)); err != nil {
			return err
		}
	}
	if e.Proceeded {
		enc.AddBool("kensa.proceeded", true)
	}
	enc.AddString("kensa.verdict_source", e.Source)
	enc.AddFloat64("kensa.latency_ms", e.LatencyMS)
	enc.AddString("source.ip", e.ClientIP)
	enc.AddString("user_agent.original", e.UserAgent)
	if e.Scanner {
		enc.AddBool("kensa.scanner", true)
	}
	if e.ScannerWhy != "" {
		enc.AddString("kensa.scanner_why", e.ScannerWhy)
	}
	if e.Error != "" {
		enc.AddString("error.code", e.Error)
	}
	if len(e.Clipped) > 0 {
		if err := enc.AddArray("kensa.clipped", stringArray(e.Clipped)); err != nil {
			return err
		}
	}
	if e.Suppressed != 0 {
		enc.AddInt64("kensa.suppressed", e.Suppressed)
	}
	if e.ECS != "" {
		enc.AddString("ecs.version", e.ECS)
	}
	if e.Schema != 0 {
		enc.AddInt("kensa.schema_version", e.Schema)
	}
	return nil
}

type stringArray []string

func (a stringArray) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, s := range a {
		enc.AppendString(s)
	}
	return nil
}
