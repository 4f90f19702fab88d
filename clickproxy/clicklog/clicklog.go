package clicklog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

// Event is one click. Its JSON is the API's ClickEvent, defined in the
// leaf package clickproxy/api so that the SOC console and the extension
// read the same type: field names are snake_case and stable.
type Event = api.ClickEvent

// Config configures a Log. The zero value of each field means its default.
type Config struct {
	Redis  redis.UniversalClient // may be nil: then only the JSON lines
	Stream string                // Redis stream key; default "kensa:clicks"
	MaxLen int64                 // the storage bound: XTRIM MAXLEN ~; default 1_000_000
	// Retention is how long events are kept in the stream and its indexes
	// (XTRIM MINID ~ on every write); default 30 days, negative: by
	// MaxLen only. MaxLen still bounds storage: if clicks outnumber it
	// within Retention, the oldest go first (Oldest says how far back
	// the stream reaches; the archives keep every line).
	Retention time.Duration
	Buffer    int // in-memory buffer of events waiting for Redis; default 100_000
	// Lines receives the JSON-line click stream: one line per event, in
	// internal/logging's JSON format ("level" "info", "msg" "click", the
	// event's fields beside them), one Write call per line, serialised by
	// the Log; nil = none. Each line is the same bytes as the event's
	// Redis entry, encoded once.
	Lines      io.Writer
	ErrLog     *zap.Logger           // for operational errors (Redis down, buffer full); nil = nop
	Registerer prometheus.Registerer // may be nil
}

// Defaults.
const (
	DefaultStream = "kensa:clicks"
	DefaultMaxLen = 1_000_000
	DefaultBuffer = 100_000
	// DefaultRetention is the default Config.Retention.
	DefaultRetention = 30 * 24 * time.Hour
)

const (
	// maxBatch bounds the events of one addScript call (index.go): at
	// most a few milliseconds of Redis's time, and Lua's unpack takes up
	// to 8000 values (two per event in an index set).
	maxBatch    = 256
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 2 * time.Second
	logInterval = time.Second // at most one "buffer full" or "redis down" line per interval
)

// Errors.
var (
	// ErrNoRedis is returned by Recent when the Log has no Redis client.
	ErrNoRedis = errors.New("clicklog: no redis configured")
	// ErrNotFlushed is wrapped by Close when events were left unwritten.
	ErrNotFlushed = errors.New("clicklog: events not written to redis")
	// ErrMalformed is wrapped by Recent when stream entries could not be
	// read as events; the readable ones are still returned.
	ErrMalformed = errors.New("clicklog: malformed stream entry")
)

// Log records click events. Its methods are safe for concurrent use.
type Log struct {
	rdb       redis.UniversalClient
	stream    string
	maxLen    int64
	retention time.Duration // 0: none
	buffer    int64
	lines     io.Writer // Config.Lines
	linesMu   sync.Mutex
	errLog    *zap.Logger
	now       func() time.Time

	emitted  atomic.Int64
	written  atomic.Int64
	dropped  atomic.Int64
	buffered atomic.Int64 // events reserved in the buffer: queued or in the writer's batch

	budget int       // entries a Search reads at most: scanBudget; tests lower it
	args   batchArgs // the writer goroutine's: addScript's arguments

	queue   chan queued // never full: buffered bounds it
	dropLog limiter

	closed    atomic.Bool
	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	closeCtx  context.Context
	done      chan struct{} // closed when the writer has stopped
}

// Stats are running counts. When no Emit or Redis write is in flight,
// Emitted == Written + Dropped + Buffered; without Redis only Emitted moves.
type Stats struct{ Emitted, Written, Dropped, Buffered int64 } // Buffered = currently waiting

// New returns a Log and starts its Redis writer (if cfg.Redis is set). It
// does not contact Redis: a Redis that is down at start is handled like one
// that goes away later.
func New(cfg Config) (*Log, error) { return newLog(cfg, time.Now) }

func newLog(cfg Config, now func() time.Time) (*Log, error) {
	var errs []error
	if cfg.MaxLen < 0 {
		errs = append(errs, fmt.Errorf("clicklog: MaxLen %d is negative", cfg.MaxLen))
	}
	if cfg.Buffer < 0 {
		errs = append(errs, fmt.Errorf("clicklog: Buffer %d is negative", cfg.Buffer))
	}
	if _, cluster := cfg.Redis.(*redis.ClusterClient); cluster && cfg.Stream != "" && cfg.Stream != DefaultStream {
		// The index and counter keys are in the default stream's hash slot.
		errs = append(errs, fmt.Errorf("clicklog: on a Redis Cluster the stream is %s, not %s", DefaultStream, cfg.Stream))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Log{
		rdb:       cfg.Redis,
		stream:    cmp.Or(cfg.Stream, DefaultStream),
		maxLen:    cmp.Or(cfg.MaxLen, DefaultMaxLen),
		retention: max(cmp.Or(cfg.Retention, DefaultRetention), 0),
		budget:    scanBudget,
		buffer:    int64(cmp.Or(cfg.Buffer, DefaultBuffer)),
		lines:     cfg.Lines,
		errLog:    cfg.ErrLog,
		now:       now,
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
	}
	if l.errLog == nil {
		l.errLog = zap.NewNop()
	}
	if cfg.Registerer != nil {
		if err := l.register(cfg.Registerer); err != nil {
			return nil, err
		}
	}
	if l.rdb == nil {
		close(l.done)
		return l, nil
	}
	l.queue = make(chan queued, l.buffer)
	go l.run()
	return l, nil
}

// Emit records an event. It never blocks on Redis and never fails: the event
// is written to Lines at once, and queued for Redis. If the queue is full
// the event is counted as dropped (for Redis; it was still written to
// Lines), logged on ErrLog (at most once a second, with the running count)
// and visible in metrics. A zero e.Time is set to the current time. Emit
// does not keep e or its Reasons slice.
func (l *Log) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.ECS, e.Schema = api.ECSVersion, api.SchemaVersion
	e.Outcome = api.OutcomeOf(e.Action, e.Proceeded)
	// QUIRK: encoding/json refuses NaN and ±Inf; a latency that is not a
	// number carries no information, and the event must still be written.
	if math.IsNaN(e.LatencyMS) || math.IsInf(e.LatencyMS, 0) {
		e.LatencyMS = 0
	}
	clip(&e)
	l.emitted.Add(1)
	if l.lines == nil && l.rdb == nil {
		return
	}
	// One encoding for both: the line, and within it the entry.
	line := encodeLine(&e)
	if l.lines != nil {
		l.writeLine(line)
	}
	if l.rdb == nil {
		return
	}
	if l.closed.Load() {
		l.drop("clicklog: closed; click event not queued for redis (it was logged)")
		return
	}
	if !l.reserve() {
		l.drop("clicklog: buffer full; click event not queued for redis (it was logged)")
		return
	}
	// never blocks: at most l.buffer reservations exist
	q := queued{json: lineEntry(line), ms: e.Time.UnixMilli(), index: indexValues(&e), domain: e.Domain}
	if e.Suppressed == 0 {
		q.action = e.Action
	}
	l.queue <- q
}

// writeLine writes one line to Lines. A failed write is counted in no
// metric: the writer (a file, stdout) reports its own trouble, and the
// Redis stream still gets the event.
func (l *Log) writeLine(line []byte) {
	l.linesMu.Lock()
	l.lines.Write(line)
	l.linesMu.Unlock()
}

// reserve takes a place in the buffer, if there is one.
func (l *Log) reserve() bool {
	for {
		n := l.buffered.Load()
		if n >= l.buffer {
			return false
		}
		if l.buffered.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (l *Log) drop(msg string) {
	n := l.dropped.Add(1)
	if l.dropLog.allow(l.now(), logInterval) {
		l.errLog.Warn(msg, zap.Int64("dropped_total", n), zap.Int64("buffer", l.buffer), zap.String("stream", l.stream))
	}
}

// Close flushes what it can to Redis within ctx and stops the writer. If
// events are left, it returns an error wrapping ErrNotFlushed (and the
// ctx error, if the deadline passed) that says how many; Stats().Buffered
// has the same count. Close returns by ctx's deadline even when a Redis
// call hangs; that call's outcome may still change Stats afterwards.
// Events emitted after Close are still written to Lines but are counted
// as dropped for Redis. Close may be called more than once.
func (l *Log) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		l.closeCtx = ctx
		l.closed.Store(true)
		close(l.closing)
	})
	var ctxErr error
	select {
	case <-l.done:
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	if l.rdb == nil {
		return nil
	}
	left := l.buffered.Load()
	if left == 0 {
		return nil
	}
	err := fmt.Errorf("%w: %d left in memory", ErrNotFlushed, left)
	if ctxErr != nil {
		err = fmt.Errorf("%w: %w", err, ctxErr)
	}
	l.errLog.Error("clicklog: closed with click events not written to redis", zap.Int64("left", left), zap.Error(ctxErr))
	return err
}

// Stats returns the running counts. The four loads are not one atomic
// snapshot while Emit calls are in flight.
func (l *Log) Stats() Stats {
	return Stats{
		Emitted:  l.emitted.Load(),
		Written:  l.written.Load(),
		Dropped:  l.dropped.Load(),
		Buffered: l.buffered.Load(),
	}
}

// Recent reads the newest events back from the Redis stream (newest first),
// for the API and tests. It reads at most n entries. Entries that are not
// events are skipped and reported with an error wrapping ErrMalformed,
// returned together with the events that could be read.
func (l *Log) Recent(ctx context.Context, n int64) ([]Event, error) {
	if l.rdb == nil {
		return nil, ErrNoRedis
	}
	if n <= 0 {
		return nil, nil
	}
	msgs, err := l.rdb.XRevRangeN(ctx, l.stream, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("clicklog: reading %s: %w", l.stream, err)
	}
	events := make([]Event, 0, len(msgs))
	var bad []string
	for _, m := range msgs {
		s, _ := m.Values["event"].(string)
		e, err := Decode([]byte(s))
		if err != nil {
			bad = append(bad, m.ID)
			continue
		}
		events = append(events, e)
	}
	if len(bad) > 0 {
		return events, fmt.Errorf("%w: %d in %s (ids %v)", ErrMalformed, len(bad), l.stream, bad)
	}
	return events, nil
}

// Decode reads an event as the stream and the JSON-line log hold it:
// schema version 2 (ECS names), or version 1 (the snake_case names the
// click log wrote before; converted, so that nothing written before the
// change is lost to readers).
func Decode(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, err
	}
	if e.Schema >= 2 {
		return e, nil
	}
	var v1 struct {
		ClickID    string    `json:"click_id"`
		Time       time.Time `json:"time"`
		Recipient  string    `json:"recipient"`
		Message    string    `json:"message"`
		URL        string    `json:"url"`
		Host       string    `json:"host"`
		Verdict    string    `json:"verdict"`
		Reasons    []string  `json:"reasons"`
		Action     string    `json:"action"`
		Proceeded  bool      `json:"proceeded"`
		Source     string    `json:"source"`
		LatencyMS  float64   `json:"latency_ms"`
		ClientIP   string    `json:"client_ip"`
		UserAgent  string    `json:"user_agent"`
		Scanner    bool      `json:"scanner"`
		ScannerWhy string    `json:"scanner_why"`
		Error      string    `json:"error"`
		Clipped    []string  `json:"clipped"`
		Suppressed int64     `json:"suppressed"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		return Event{}, err
	}
	if v1.ClickID == "" && e.ClickID == "" {
		return Event{}, errors.New("clicklog: not a click event")
	}
	if e.ClickID != "" { // version 2 without its version field
		return e, nil
	}
	return Event{
		ClickID: v1.ClickID, Time: v1.Time, Recipient: v1.Recipient, Message: v1.Message, URL: v1.URL, Host: v1.Host,
		Verdict: v1.Verdict, Reasons: v1.Reasons, Action: v1.Action, Outcome: api.OutcomeOf(v1.Action, v1.Proceeded),
		Proceeded: v1.Proceeded, Source: v1.Source, LatencyMS: v1.LatencyMS, ClientIP: v1.ClientIP, UserAgent: v1.UserAgent,
		Scanner: v1.Scanner, ScannerWhy: v1.ScannerWhy, Error: v1.Error, Clipped: v1.Clipped, Suppressed: v1.Suppressed,
		Schema: 1,
	}, nil
}

// limiter allows one action per interval, across goroutines.
type limiter struct{ last atomic.Int64 } // unix nanoseconds of the last allowed action

func (r *limiter) allow(now time.Time, every time.Duration) bool {
	t := now.UnixNano()
	last := r.last.Load()
	if last != 0 && t-last < int64(every) {
		return false
	}
	return r.last.CompareAndSwap(last, t)
}
