package clicklog

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The encoding the click log used before appendEvent, kept as the oracle
// of TestLineMatchesZap and FuzzAppendEvent: zap's JSON encoder over
// eventFields. Lines and entries must stay byte for byte what it wrote.

// zapPayloadEncoder writes an event's fields alone, as one JSON object,
// with a newline: the Redis entry as it was written.
var zapPayloadEncoder = zapcore.NewJSONEncoder(zapcore.EncoderConfig{
	MessageKey: zapcore.OmitKey, LevelKey: zapcore.OmitKey, TimeKey: zapcore.OmitKey, NameKey: zapcore.OmitKey,
	CallerKey: zapcore.OmitKey, FunctionKey: zapcore.OmitKey, StacktraceKey: zapcore.OmitKey,
	LineEnding: "\n", EncodeDuration: zapcore.StringDurationEncoder,
})

func zapEntry(e *Event) string {
	buf, err := zapPayloadEncoder.EncodeEntry(zapcore.Entry{}, []zapcore.Field{zap.Inline((*eventFields)(e))})
	if err != nil {
		panic(err)
	}
	defer buf.Free()
	return buf.String()
}

// eventFields writes an Event's fields with zap's JSON encoder under the
// same names and omitempty rules as its JSON. Time is written as
// RFC3339Nano text ("@timestamp"); Emit has set ECS, Schema and Outcome.
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

// FuzzAppendEvent: for any strings, numbers and flags, an event's Redis
// entry (and so its line) is byte for byte what zap's encoder wrote, and
// decodes into the same event.
func FuzzAppendEvent(f *testing.F) {
	f.Add("taro@example.co.jp", "https://login.example-bank.test/signin?x=1&y=<2>", "Mozilla/5.0 \"quoted\" ユーザー", "redirect", 12.5, int64(0), true)
	f.Add("", "http://a/\x00\x1f\t\r\n\\", "\xff\xfe bad utf-8 \xc3", "", -0.0, int64(3), false)
	f.Add("\u2028\u2029", "https://例え.jp/パス", "\x7f", "warn", 1e21, int64(-1), true)
	f.Fuzz(func(t *testing.T, rcpt, url, ua, action string, lat float64, supp int64, flag bool) {
		e := sample("c")
		e.Recipient, e.URL, e.UserAgent, e.Action, e.LatencyMS, e.Suppressed, e.Scanner, e.Proceeded = rcpt, url, ua, action, lat, supp, flag, !flag
		e.Reasons = []string{action, ua}
		e.Clipped = nil
		if flag {
			e.Clipped = []string{url}
		}
		e.ScannerWhy, e.Host = ua, rcpt
		e.Outcome = api.OutcomeOf(e.Action, e.Proceeded)
		got := string(lineEntry(encodeLine(&e)))
		if want := zapEntry(&e); got != want {
			t.Fatalf("entry\n got %q\nwant %q", got, want)
		}
		if math.IsNaN(lat) || math.IsInf(lat, 0) {
			return // Emit never writes them (it sets 0); zap's spelling is kept all the same
		}
		d, err := Decode([]byte(got))
		if err != nil {
			t.Fatalf("%q does not decode: %v", got, err)
		}
		if d.ClickID != e.ClickID || utf8.ValidString(action) && d.Action != action || d.LatencyMS != lat || len(d.Reasons) != 2 {
			t.Fatalf("decoded %+v from %q", d, got)
		}
	})
}
