package clicklog

import (
	"io"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewZap returns the dedicated click-stream logger writing JSON lines to w
// (no sampling, no caller/stack), for callers that want one. Each line
// carries "level" and "msg" ("click") of internal/logging's JSON format and
// the event's own fields beside them; its "@timestamp" is the click's time
// (the event's own field, so the logger writes none). Writes to w are
// serialised.
func NewZap(w io.Writer) *zap.Logger {
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = zapcore.OmitKey // the event carries "@timestamp"
	ec.CallerKey = zapcore.OmitKey
	ec.StacktraceKey = zapcore.OmitKey
	ec.FunctionKey = zapcore.OmitKey
	// No sampler: every click is a line, although every line has the same message.
	core := zapcore.NewCore(zapcore.NewJSONEncoder(ec), zapcore.Lock(zapcore.AddSync(w)), zapcore.DebugLevel)
	return zap.New(core)
}

// payloadEncoder writes an event's fields alone, as one JSON object: the
// Redis stream entry. It is zap's JSON encoder over eventFields rather than
// encoding/json, whose reflection cost half of Emit on the click path;
// TestRecentRoundTrip checks that the result decodes into the same Event.
var payloadEncoder = zapcore.NewJSONEncoder(zapcore.EncoderConfig{
	MessageKey: zapcore.OmitKey, LevelKey: zapcore.OmitKey, TimeKey: zapcore.OmitKey, NameKey: zapcore.OmitKey,
	CallerKey: zapcore.OmitKey, FunctionKey: zapcore.OmitKey, StacktraceKey: zapcore.OmitKey,
	LineEnding: "", EncodeDuration: zapcore.StringDurationEncoder,
})

func encodeEvent(e Event) ([]byte, error) {
	buf, err := payloadEncoder.EncodeEntry(zapcore.Entry{}, []zapcore.Field{zap.Inline(eventFields(e))})
	if err != nil {
		return nil, err
	}
	b := append([]byte(nil), buf.Bytes()...)
	buf.Free()
	return b, nil
}

// eventFields writes an Event's fields into a zap line under the same names
// and omitempty rules as its JSON, so that a line of the zap stream decodes
// into the same Event as the Redis entry. Time is written as RFC3339Nano
// text ("@timestamp") whatever the logger's time encoder is; Emit has set
// ECS, Schema and Outcome.
type eventFields Event

func (e eventFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
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
