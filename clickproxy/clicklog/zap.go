package clicklog

import (
	"io"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewZap returns the dedicated click-stream logger writing JSON lines to w
// (time in RFC3339Nano, no sampling, no caller/stack), for callers that want
// one. Each line carries the keys of internal/logging's JSON format
// ("@timestamp", "level", "msg") and the event's own fields beside them.
// Writes to w are serialised.
func NewZap(w io.Writer) *zap.Logger {
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "@timestamp"
	ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
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
// text whatever the logger's time encoder is.
type eventFields Event

func (e eventFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("click_id", e.ClickID)
	enc.AddString("time", e.Time.Format(time.RFC3339Nano))
	if e.Recipient != "" {
		enc.AddString("recipient", e.Recipient)
	}
	if e.Message != "" {
		enc.AddString("message", e.Message)
	}
	enc.AddString("url", e.URL)
	enc.AddString("host", e.Host)
	enc.AddString("verdict", e.Verdict)
	if len(e.Reasons) > 0 {
		if err := enc.AddArray("reasons", stringArray(e.Reasons)); err != nil {
			return err
		}
	}
	enc.AddString("action", e.Action)
	if e.Proceeded {
		enc.AddBool("proceeded", true)
	}
	enc.AddString("source", e.Source)
	enc.AddFloat64("latency_ms", e.LatencyMS)
	enc.AddString("client_ip", e.ClientIP)
	enc.AddString("user_agent", e.UserAgent)
	if e.Scanner {
		enc.AddBool("scanner", true)
	}
	if e.ScannerWhy != "" {
		enc.AddString("scanner_why", e.ScannerWhy)
	}
	if e.Error != "" {
		enc.AddString("error", e.Error)
	}
	if len(e.Clipped) > 0 {
		if err := enc.AddArray("clipped", stringArray(e.Clipped)); err != nil {
			return err
		}
	}
	if e.Suppressed != 0 {
		enc.AddInt64("suppressed", e.Suppressed)
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
