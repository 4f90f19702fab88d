package clicklog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// patience bounds every wait for the writer. It is a hang guard, not a
// timing assertion: on a loaded machine things may be slow, never wrong.
const patience = 60 * time.Second

func newClient(t testing.TB, s *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// newTestLog returns a Log that is closed when the test ends.
func newTestLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	if cfg.Retention == 0 {
		cfg.Retention = 20 * 365 * 24 * time.Hour // sample's events are from 2025
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		l.Close(ctx)
	})
	return l
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitWritten(t *testing.T, l *Log, n int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d events written", n), func() bool { return l.Stats().Written >= n })
}

// streamClickIDs reads the whole stream and counts each click ID.
func streamClickIDs(t *testing.T, c *redis.Client, stream string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	start := "-"
	for {
		msgs, err := c.XRangeN(context.Background(), stream, start, "+", 5000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			var e Event
			if err := json.Unmarshal([]byte(m.Values["event"].(string)), &e); err != nil {
				t.Fatalf("entry %s: %v", m.ID, err)
			}
			ids[e.ClickID]++
		}
		if len(msgs) < 5000 {
			return ids
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// zapLines decodes a zap click stream, failing on lines that are not clicks.
func zapLines(t *testing.T, b []byte) []Event {
	t.Helper()
	var events []Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			Event
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("zap line %q: %v", sc.Text(), err)
		}
		if line.Msg != "click" {
			t.Fatalf("zap line %q: message %q, want click", sc.Text(), line.Msg)
		}
		events = append(events, line.Event)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// metric returns the value of a metric gathered from reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func checkConsistent(t *testing.T, st Stats) {
	t.Helper()
	if st.Emitted != st.Written+st.Dropped+st.Buffered {
		t.Errorf("stats %+v: Emitted != Written + Dropped + Buffered", st)
	}
}

// sample is an event with every field set, so that round trips check them all.
func sample(id string) Event {
	return Event{
		ClickID:    id,
		Time:       time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC),
		Recipient:  "hanako@example.co.jp",
		Message:    "9f86d081884c7d65",
		URL:        "https://login.example-bank.test/signin?x=1&y=<2>",
		Host:       "login.example-bank.test",
		Verdict:    "malicious",
		Reasons:    []string{"credential_form", "lookalike_domain"},
		Action:     "proceed",
		Proceeded:  true,
		Source:     "redis",
		LatencyMS:  12.5,
		ClientIP:   "203.0.113.7",
		UserAgent:  "Mozilla/5.0 \"quoted\" ユーザー",
		Scanner:    true,
		ScannerWhy: "head_request",
		Error:      "expired",
		Clipped:    []string{"url.full"},
		Suppressed: 3,
	}
}

// sameEvent compares events, times by instant.
func sameEvent(t *testing.T, what string, got, want Event) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Errorf("%s: time %v, want %v", what, got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// 20,000 events from 8 goroutines arrive in the stream exactly once, and the
// zap stream has one line for each although all lines have the same message.
func TestEveryEventOnce(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	var zbuf bytes.Buffer
	reg := prometheus.NewRegistry()
	l := newTestLog(t, Config{Redis: c, Lines: &zbuf, Registerer: reg})

	const workers, per = 8, 2500
	const total = workers * per
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				e := sample(fmt.Sprintf("w%d-%d", w, i))
				e.Time = time.Time{} // Emit sets it
				l.Emit(e)
			}
		})
	}
	wg.Wait()
	waitWritten(t, l, total)

	st := l.Stats()
	if st != (Stats{Emitted: total, Written: total}) {
		t.Errorf("stats %+v, want %d emitted and written", st, total)
	}
	if n := c.XLen(context.Background(), DefaultStream).Val(); n != total {
		t.Errorf("XLEN %d, want %d", n, total)
	}
	ids := streamClickIDs(t, c, DefaultStream)
	if len(ids) != total {
		t.Errorf("%d unique click IDs in the stream, want %d", len(ids), total)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("click %s written %d times", id, n)
		}
	}

	// Every line has message "click" (zapLines checks), so a sampling
	// logger would keep only about 100 a second of them.
	lines := zapLines(t, zbuf.Bytes())
	if len(lines) != total {
		t.Errorf("zap stream has %d lines, want %d", len(lines), total)
	}
	seen := map[string]bool{}
	for _, e := range lines {
		if e.Time.IsZero() {
			t.Errorf("zap line for %s has no time", e.ClickID)
		}
		seen[e.ClickID] = true
	}
	if len(seen) != total {
		t.Errorf("zap stream has %d unique click IDs, want %d", len(seen), total)
	}

	for name, want := range map[string]float64{
		"kensa_click_events_total":         total,
		"kensa_click_events_written_total": total,
		"kensa_click_events_dropped_total": 0,
		"kensa_click_events_buffered":      0,
	} {
		if got := metric(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// A line is what zap's production JSON logger wrote for the event before
// the line and the Redis entry were encoded once for both (the format
// internal/logging's readers know), byte for byte; the Redis entry is the
// same fields as one object. Identical events are each a line: nothing
// samples them.
func TestLineMatchesZap(t *testing.T) {
	var want bytes.Buffer
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey, ec.CallerKey, ec.StacktraceKey, ec.FunctionKey = zapcore.OmitKey, zapcore.OmitKey, zapcore.OmitKey, zapcore.OmitKey
	zl := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(ec), zapcore.AddSync(&want), zapcore.DebugLevel))
	s := redistest.Start(t)
	c := newClient(t, s)
	var got bytes.Buffer
	l := newTestLog(t, Config{Redis: c, Lines: &got})
	var sent []Event
	for i := range 4 {
		e := sample(fmt.Sprintf("c%d", i))
		switch i {
		case 1: // omitempty fields left out
			e.Recipient, e.Message, e.Reasons, e.Proceeded, e.Scanner, e.ScannerWhy, e.Error, e.Clipped, e.Suppressed = "", "", nil, false, false, "", "", nil, 0
		case 3:
			e = sample("c2") // the same event again
		}
		l.Emit(e)
		e.ECS, e.Schema, e.Outcome = api.ECSVersion, api.SchemaVersion, api.OutcomeOf(e.Action, e.Proceeded)
		zl.Info("click", zap.Inline((*eventFields)(&e)))
		sent = append(sent, e)
	}
	if got.String() != want.String() {
		t.Errorf("lines:\n%s\nzap would write:\n%s", got.String(), want.String())
	}
	waitWritten(t, l, int64(len(sent)))
	msgs, err := c.XRange(context.Background(), DefaultStream, "-", "+").Result()
	if err != nil || len(msgs) != len(sent) {
		t.Fatalf("XRANGE = %d entries, %v", len(msgs), err)
	}
	lines := strings.SplitAfter(want.String(), "\n")
	for i, m := range msgs {
		entry := m.Values["event"].(string)
		if wantEntry := "{" + strings.TrimPrefix(lines[i], linePrefix); entry != wantEntry {
			t.Errorf("entry %d:\n got %s\nwant %s", i, entry, wantEntry)
		}
	}
}

// Redis dies while events flow and comes back: everything emitted after it
// died is in the new stream, once, and nothing was dropped.
func TestRedisDownAndBack(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	errLog, errs := observer.New(zap.InfoLevel)
	l := newTestLog(t, Config{Redis: c, ErrLog: zap.New(errLog)})

	// An emitter that runs throughout, numbering its events.
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			l.Emit(Event{ClickID: fmt.Sprint(seq.Add(1)), URL: "https://example.com/", Action: "redirect"})
			time.Sleep(50 * time.Microsecond)
		}
	})
	waitWritten(t, l, 500) // the writer is busy and its connections warm

	s.Stop()
	firstAfterStop := seq.Load() + 1 // events from here on were emitted with Redis gone
	// Wait until the writer has given up on a pipeline (go-redis retries
	// first) and events pile up behind it.
	waitFor(t, "a failed write", func() bool { return errs.FilterMessageSnippet("redis write failed").Len() > 0 })
	waitFor(t, "events to wait in memory", func() bool { return l.Stats().Buffered > 500 })
	s.Restart() // an empty Redis: the events written before Stop are gone with it
	waitFor(t, "the first write after restart", func() bool { return c.XLen(context.Background(), DefaultStream).Val() > 0 })
	close(stop)
	wg.Wait()
	last := seq.Load()

	waitFor(t, "the buffer to drain", func() bool { return l.Stats().Buffered == 0 })
	st := l.Stats()
	if st.Written != st.Emitted || st.Dropped != 0 || st.Emitted != last {
		t.Errorf("stats %+v, want all %d emitted written, none dropped", st, last)
	}
	ids := streamClickIDs(t, c, DefaultStream)
	for i := firstAfterStop; i <= last; i++ {
		if n := ids[fmt.Sprint(i)]; n != 1 {
			t.Errorf("event %d (emitted after Redis stopped) is in the stream %d times", i, n)
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("click %s written %d times", id, n)
		}
	}
	t.Logf("emitted %d, %d after Stop; %d in the restarted stream", last, last-firstAfterStop+1, len(ids))
	if errs.FilterMessageSnippet("resumed").Len() == 0 {
		t.Error("no 'redis writes resumed' line on ErrLog")
	}
}

// fakeClock is a settable clock for the rate limit.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// A tiny buffer with Redis down: the overflow is dropped, counted, logged
// once a second and exported; what was buffered is written when Redis returns.
func TestBufferFull(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	s.Stop()
	errCore, errs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	var zbuf bytes.Buffer
	clock := &fakeClock{}
	clock.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	l, err := newLog(Config{Redis: c, Buffer: 10, Lines: &zbuf, ErrLog: zap.New(errCore), Registerer: reg}, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())

	const total = 1000
	for i := range total {
		l.Emit(Event{ClickID: fmt.Sprint(i)})
	}
	st := l.Stats()
	// With Redis gone nothing is written, so the buffer holds exactly 10.
	if want := (Stats{Emitted: total, Buffered: 10, Dropped: total - 10}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	checkConsistent(t, st)
	if got := metric(t, reg, "kensa_click_events_dropped_total"); got != float64(st.Dropped) {
		t.Errorf("dropped metric %v, Stats().Dropped %d", got, st.Dropped)
	}
	if got := metric(t, reg, "kensa_click_events_buffered"); got != float64(st.Buffered) {
		t.Errorf("buffered metric %v, Stats().Buffered %d", got, st.Buffered)
	}
	if n := len(zapLines(t, zbuf.Bytes())); n != total {
		t.Errorf("zap stream has %d lines, want %d: dropped events must still be logged", n, total)
	}
	full := errs.FilterMessageSnippet("buffer full")
	if full.Len() != 1 { // the clock did not move: one line for 990 drops
		t.Fatalf("%d 'buffer full' lines in the same second, want 1", full.Len())
	}

	clock.advance(time.Second)
	l.Emit(Event{ClickID: "one more"})
	full = errs.FilterMessageSnippet("buffer full")
	if full.Len() != 2 {
		t.Fatalf("%d 'buffer full' lines after a second, want 2", full.Len())
	}
	if got := full.All()[1].ContextMap()["dropped_total"]; got != int64(total-10+1) {
		t.Errorf("second 'buffer full' line has dropped_total %v, want the running count %d", got, total-10+1)
	}

	s.Restart()
	waitWritten(t, l, 10)
	st = l.Stats()
	if want := (Stats{Emitted: total + 1, Written: 10, Dropped: total - 10 + 1}); st != want {
		t.Errorf("after restart: stats %+v, want %+v", st, want)
	}
	checkConsistent(t, st)
	ids := streamClickIDs(t, c, DefaultStream)
	for i := range 10 { // the first ten found room
		if ids[fmt.Sprint(i)] != 1 {
			t.Errorf("buffered event %d not in the stream once: %v", i, ids)
		}
	}
}

// MaxLen bounds the stream, approximately (MAXLEN ~ trims whole nodes).
func TestMaxLen(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	const maxLen, total = 1000, 5000
	l := newTestLog(t, Config{Redis: c, Stream: "test:clicks", MaxLen: maxLen})
	for i := range total {
		l.Emit(sample(fmt.Sprint(i)))
	}
	waitWritten(t, l, total)
	n := c.XLen(context.Background(), "test:clicks").Val()
	if n < maxLen || n >= 2*maxLen {
		t.Errorf("XLEN %d after %d events, want about %d", n, total, maxLen)
	}
	newest, err := l.Recent(context.Background(), 1)
	if err != nil || len(newest) != 1 || newest[0].ClickID != fmt.Sprint(total-1) {
		t.Errorf("Recent(1) = %v, %v; want the last event", newest, err)
	}
}

// Recent returns the newest events first, and events round-trip through the
// Redis stream and through the zap stream unchanged.
func TestRecentRoundTrip(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	var zbuf bytes.Buffer
	l := newTestLog(t, Config{Redis: c, Lines: &zbuf})
	ctx := context.Background()

	if got, err := l.Recent(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("Recent on no stream = %v, %v; want none", got, err)
	}

	var sent []Event
	for i := range 5 {
		e := sample(fmt.Sprintf("c%d", i))
		e.Time = e.Time.Add(time.Duration(i) * time.Second)
		if i == 4 { // the zero values that omitempty leaves out
			e.Recipient, e.Message, e.Reasons, e.Proceeded, e.Scanner, e.ScannerWhy, e.Error = "", "", nil, false, false, "", ""
			e.Clipped, e.Suppressed = nil, 0
			e.Verdict = "" // not judged: bad link
		}
		// Set by Emit.
		e.ECS, e.Schema, e.Outcome = api.ECSVersion, api.SchemaVersion, api.OutcomeOf(e.Action, e.Proceeded)
		sent = append(sent, e)
		l.Emit(e)
	}
	waitWritten(t, l, 5)

	got, err := l.Recent(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Recent(3) returned %d events", len(got))
	}
	for i, e := range got {
		sameEvent(t, fmt.Sprintf("Recent(3)[%d]", i), e, sent[4-i])
	}
	if all, err := l.Recent(ctx, 100); err != nil || len(all) != 5 {
		t.Errorf("Recent(100) = %d events, %v; want 5", len(all), err)
	}

	lines := zapLines(t, zbuf.Bytes())
	if len(lines) != len(sent) {
		t.Fatalf("zap stream has %d lines, want %d", len(lines), len(sent))
	}
	for i, e := range lines {
		sameEvent(t, fmt.Sprintf("zap line %d", i), e, sent[i])
	}

	// A foreign entry is skipped and reported; the events still come back.
	c.XAdd(ctx, &redis.XAddArgs{Stream: DefaultStream, Values: []any{"something", "else"}})
	got, err = l.Recent(ctx, 2)
	if !errors.Is(err, ErrMalformed) || len(got) != 1 || got[0].ClickID != "c4" {
		t.Errorf("Recent over a foreign entry = %v, %v; want c4 and ErrMalformed", got, err)
	}
}

// The JSON names are a contract with the SOC console and the SIEM export.
func TestJSONNames(t *testing.T) {
	e := sample("x")
	e.MessageID, e.Domain, e.URLDigest, e.ECS, e.Schema = "<a@b>", "example-bank.test", "00112233445566778899aabbccddeeff", api.ECSVersion, api.SchemaVersion
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(m))
	want := strings.Fields("@timestamp ecs.version email.message_id error.code event.action event.outcome kensa.click_id kensa.clipped kensa.latency_ms " +
		"kensa.message_digest kensa.proceeded kensa.scanner kensa.scanner_why kensa.schema_version kensa.suppressed kensa.url_digest kensa.verdict " +
		"kensa.verdict_source rule.name source.ip url.domain url.full url.registered_domain user.email user_agent.original")
	if !slices.Equal(got, want) {
		t.Errorf("JSON keys\n got %v\nwant %v", got, want)
	}
}

// Close with Redis down returns by its deadline and says what was left.
func TestCloseRedisDown(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	s.Stop()
	l, err := New(Config{Redis: c})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		l.Emit(Event{ClickID: fmt.Sprint(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- l.Close(ctx) }()
	select {
	case err = <-errc:
	case <-time.After(patience):
		t.Fatal("Close did not return")
	}
	if !errors.Is(err, ErrNotFlushed) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "100 left") {
		t.Errorf("Close = %v; want ErrNotFlushed, the deadline and 100 left", err)
	}
	if st := l.Stats(); st != (Stats{Emitted: 100, Buffered: 100}) {
		t.Errorf("stats after Close %+v, want 100 emitted and buffered", st)
	}

	// After Close, events are still logged but not queued.
	l.Emit(Event{ClickID: "late"})
	if st := l.Stats(); st.Dropped != 1 || st.Buffered != 100 {
		t.Errorf("stats after a late Emit %+v, want it dropped", st)
	}
}

// Close with Redis up writes everything queued before returning.
func TestCloseFlushes(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	l, err := New(Config{Redis: c})
	if err != nil {
		t.Fatal(err)
	}
	const total = 3000
	for i := range total {
		l.Emit(Event{ClickID: fmt.Sprint(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st != (Stats{Emitted: total, Written: total}) {
		t.Errorf("stats after Close %+v", st)
	}
	if n := c.XLen(ctx, DefaultStream).Val(); n != total {
		t.Errorf("XLEN %d, want %d", n, total)
	}
	if err := l.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Without Redis, only the zap stream is written.
func TestNoRedis(t *testing.T) {
	var zbuf bytes.Buffer
	l := newTestLog(t, Config{Lines: &zbuf})
	l.Emit(sample("a"))
	if st := l.Stats(); st != (Stats{Emitted: 1}) {
		t.Errorf("stats %+v", st)
	}
	if n := len(zapLines(t, zbuf.Bytes())); n != 1 {
		t.Errorf("%d zap lines", n)
	}
	if _, err := l.Recent(context.Background(), 1); !errors.Is(err, ErrNoRedis) {
		t.Errorf("Recent = %v, want ErrNoRedis", err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("Close = %v", err)
	}
}

func TestConfig(t *testing.T) {
	_, err := New(Config{MaxLen: -1, Buffer: -1})
	if err == nil || !strings.Contains(err.Error(), "MaxLen") || !strings.Contains(err.Error(), "Buffer") {
		t.Errorf("New with two bad fields = %v, want both reported", err)
	}
	reg := prometheus.NewRegistry()
	newTestLog(t, Config{Registerer: reg})
	if _, err := New(Config{Registerer: reg}); err == nil {
		t.Error("registering the metrics twice succeeded")
	}
}

// A NaN latency must not cost the event its Redis entry.
func TestNaNLatency(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	var zbuf bytes.Buffer
	l := newTestLog(t, Config{Redis: c, Lines: &zbuf})
	e := sample("nan")
	e.LatencyMS = zeroFloat() / zeroFloat()
	l.Emit(e)
	waitWritten(t, l, 1)
	if st := l.Stats(); st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	zapLines(t, zbuf.Bytes()) // still valid JSON
}

func zeroFloat() float64 { return 0 }

// Redis answering with an error (here: the key is not a stream) is retried
// like Redis being away, and nothing is lost or written twice.
func TestCommandErrorRetried(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	if err := c.Set(ctx, DefaultStream, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	errCore, errs := observer.New(zap.InfoLevel)
	l := newTestLog(t, Config{Redis: c, ErrLog: zap.New(errCore)})
	const total = 300
	for i := range total {
		l.Emit(Event{ClickID: fmt.Sprint(i)})
	}
	waitFor(t, "a failed write", func() bool { return errs.FilterMessageSnippet("redis write failed").Len() > 0 })
	if st := l.Stats(); st.Written != 0 || st.Buffered != total {
		t.Fatalf("stats %+v while every XADD fails", st)
	}
	if err := c.Del(ctx, DefaultStream).Err(); err != nil {
		t.Fatal(err)
	}
	waitWritten(t, l, total)
	ids := streamClickIDs(t, c, DefaultStream)
	if len(ids) != total {
		t.Errorf("%d click IDs in the stream, want %d", len(ids), total)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("click %s written %d times", id, n)
		}
	}
	checkConsistent(t, l.Stats())
}

// TestClip: an event of a forged 7 KB link is stored with every string at
// its maximum, cut at a UTF-8 boundary, and the clipped fields named; the
// caller's slices are left alone.
func TestClip(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	var zbuf bytes.Buffer
	l := newTestLog(t, Config{Redis: c, Lines: &zbuf})
	e := sample("clip")
	e.Clipped = nil
	e.URL = "https://evil.example/" + strings.Repeat("é", 3500)
	e.UserAgent = strings.Repeat("A", 7000)
	e.Host = strings.Repeat("h", 300)
	reasons := make([]string, 30)
	for i := range reasons {
		reasons[i] = "reason"
	}
	e.Reasons = reasons
	l.Emit(e)
	waitWritten(t, l, 1)
	got, err := l.Recent(context.Background(), 1)
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	g := got[0]
	if len(g.URL) > MaxURL || len(g.URL) < MaxURL-1 || !utf8.ValidString(g.URL) || !strings.HasPrefix(e.URL, g.URL) {
		t.Errorf("url: %d bytes, valid UTF-8 %v", len(g.URL), utf8.ValidString(g.URL))
	}
	if len(g.UserAgent) != MaxUserAgent || len(g.Host) != MaxField || len(g.Reasons) != MaxReasons {
		t.Errorf("user_agent %d, host %d, reasons %d", len(g.UserAgent), len(g.Host), len(g.Reasons))
	}
	if want := []string{"url.full", "url.domain", "user_agent.original", "rule.name"}; !slices.Equal(g.Clipped, want) {
		t.Errorf("clipped %v, want %v", g.Clipped, want)
	}
	if b, _ := json.Marshal(g); len(b) > 4000 {
		t.Errorf("stored event of %d bytes", len(b))
	}
	if len(reasons) != 30 || e.Clipped != nil {
		t.Errorf("the caller's event changed")
	}
	if lines := zapLines(t, zbuf.Bytes()); len(lines) != 1 || len(lines[0].UserAgent) != MaxUserAgent {
		t.Errorf("the JSON line stream is not clipped")
	}
}

// Entries written before the ECS names (schema version 1) still read back,
// converted; a version 2 entry reads as written.
func TestDecodeV1(t *testing.T) {
	v1 := `{"click_id":"2646155a046b83db","time":"2026-11-30T03:10:34.633Z","recipient":"taro@example.co.jp","message":"9f86d081884c7d65",` +
		`"url":"http://a.example/login","host":"a.example","verdict":"clean","action":"redirect","source":"render","latency_ms":3.5,` +
		`"client_ip":"192.0.2.10","user_agent":"UA","reasons":["x"],"proceeded":true}`
	e, err := Decode([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{ClickID: "2646155a046b83db", Time: time.Date(2026, 11, 30, 3, 10, 34, 633e6, time.UTC), Recipient: "taro@example.co.jp",
		Message: "9f86d081884c7d65", URL: "http://a.example/login", Host: "a.example", Verdict: "clean", Action: "redirect", Outcome: "success",
		Source: "render", LatencyMS: 3.5, ClientIP: "192.0.2.10", UserAgent: "UA", Reasons: []string{"x"}, Proceeded: true, Schema: 1}
	sameEvent(t, "v1", e, want)
	b, _ := json.Marshal(want)
	if e2, err := Decode(b); err != nil || e2.ClickID != want.ClickID || e2.URL != want.URL {
		t.Errorf("v2 round trip: %+v %v", e2, err)
	}
	for _, bad := range []string{`{}`, `[]`, `{"something":"else"}`, `not json`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) = nil error", bad)
		}
	}
}

// The batch script (index.go) writes what one script per event used to:
// each event once, in every index set it belongs to with its own time as
// the score, and the hour and day counters, whatever the batches were.
// Times go backwards now and then (another replica's clock, a buffer that
// waited out an outage): such an event gets an ID Redis picks and is still
// indexed at its own time.
func TestBatchIndexesAndCounters(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	base := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC) // across midnights
	evs := searchEvents(base, 600)
	for i := range evs {
		if i%50 == 7 {
			evs[i].Time = base.Add(-time.Duration(i) * time.Second) // older than the stream's last
		}
		if i%9 == 0 {
			evs[i].Suppressed = 2 // an aggregate event: indexed, not counted
		}
	}
	l, err := newLog(Config{Redis: c}, func() time.Time { return base.Add(24 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(ctx) })
	for i, e := range evs {
		l.Emit(e)
		if i%100 == 0 {
			waitWritten(t, l, int64(i+1)) // batches of every size
		}
	}
	waitWritten(t, l, int64(len(evs)))

	ids := map[string]string{} // click ID -> stream ID
	msgs, err := c.XRange(ctx, DefaultStream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		e, err := Decode([]byte(m.Values["event"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := ids[e.ClickID]; dup {
			t.Errorf("%s twice in the stream", e.ClickID)
		}
		ids[e.ClickID] = m.ID
	}
	if len(ids) != len(evs) {
		t.Fatalf("%d events in the stream, want %d", len(ids), len(evs))
	}
	wantSets := map[string]map[string]float64{} // index set -> stream ID -> score
	hours := map[string]map[string]int64{}
	days := map[string]map[string]float64{}
	for _, e := range evs {
		for j, v := range indexValues(&e) {
			if v == "" {
				continue
			}
			k := indexPrefixes[j] + v
			if wantSets[k] == nil {
				wantSets[k] = map[string]float64{}
			}
			wantSets[k][ids[e.ClickID]] = float64(e.Time.UnixMilli())
		}
		if e.Suppressed != 0 {
			continue
		}
		h, d := StatsHour+e.Time.UTC().Format("2006010215"), StatsDay+e.Time.UTC().Format("20060102")
		if hours[h] == nil {
			hours[h] = map[string]int64{}
		}
		hours[h][e.Action]++
		if days[d] == nil {
			days[d] = map[string]float64{}
		}
		days[d][e.Domain]++
	}
	for k, want := range wantSets {
		zs, err := c.ZRangeWithScores(ctx, k, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, z := range zs {
			got[z.Member.(string)] = z.Score
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: %d members, want %d (or scores differ)", k, len(got), len(want))
		}
		if ttl := c.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s: TTL %v", k, ttl)
		}
	}
	for k, want := range hours {
		got := map[string]int64{}
		for a, v := range c.HGetAll(ctx, k).Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			got[a] = n
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
		if ttl := c.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s: TTL %v", k, ttl)
		}
	}
	for k, want := range days {
		got := map[string]float64{}
		for _, z := range c.ZRangeWithScores(ctx, k, 0, -1).Val() {
			got[z.Member.(string)] = z.Score
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if len(days) < 2 {
		t.Errorf("%d day sets: the events should span days", len(days))
	}
}

// An index set that cannot be written (a key of another type) does not make
// the writer send events that are in the stream again: they are written
// once, the other indexes too, and the error is logged.
func TestIndexErrorNotRetried(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	e := sample("x")
	e.Suppressed = 0
	if err := c.Set(ctx, IndexRecipient+e.Recipient, "not a set", 0).Err(); err != nil {
		t.Fatal(err)
	}
	errCore, errs := observer.New(zap.InfoLevel)
	l := newTestLog(t, Config{Redis: c, ErrLog: zap.New(errCore)})
	const total = 50
	for i := range total {
		e.ClickID = fmt.Sprint(i)
		l.Emit(e)
	}
	waitWritten(t, l, total)
	waitFor(t, "the index error on ErrLog", func() bool { return errs.FilterMessageSnippet("index entries").Len() > 0 })
	ids := streamClickIDs(t, c, DefaultStream)
	for i := range total {
		if n := ids[fmt.Sprint(i)]; n != 1 {
			t.Errorf("click %d in the stream %d times", i, n)
		}
	}
	if n := indexIDs(t, c, IndexMessage+e.Message); n != total {
		t.Errorf("message index has %d entries, want %d", n, total)
	}
	checkConsistent(t, l.Stats())
}

// An index set is trimmed and given its TTL on the Log's first write to it,
// then at most once every tendEvery: a TTL lost in between (PERSIST here)
// comes back with the first write after it.
func TestIndexTended(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	base := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	now := base
	l, err := newLog(Config{Redis: c}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(ctx) })
	e := sample("x")
	key := IndexRecipient + e.Recipient
	written := int64(0)
	emitAt := func(d time.Duration) {
		now = base.Add(d)
		e.ClickID, e.Time = fmt.Sprint(d), now
		l.Emit(e)
		written++
		waitWritten(t, l, written)
	}
	emitAt(0)
	if ttl := c.TTL(ctx, key).Val(); ttl <= 0 {
		t.Fatalf("TTL %v after the first write", ttl)
	}
	if err := c.Persist(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	emitAt(tendEvery / 2)
	if ttl := c.TTL(ctx, key).Val(); ttl > 0 {
		t.Errorf("TTL %v renewed within tendEvery", ttl)
	}
	emitAt(tendEvery + time.Second)
	if ttl := c.TTL(ctx, key).Val(); ttl <= 0 {
		t.Errorf("TTL %v after tendEvery", ttl)
	}
	if n := indexIDs(t, c, key); n != 3 {
		t.Errorf("%d entries in %s, want 3", n, key)
	}
}
