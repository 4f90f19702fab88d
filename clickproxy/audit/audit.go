package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

// Key is the audit stream (docs/redis.md).
const Key = "kensa:v1:audit"

// MaxLen is the default bound of the stream (approximate, XADD MAXLEN ~).
const MaxLen = 1_000_000

// Bounds of List's page size.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// ErrBadCursor is List's error for a before= that is not a stream ID.
var ErrBadCursor = errors.New("audit: bad cursor")

// Log writes and reads the audit stream. Safe for concurrent use.
type Log struct {
	rdb    redis.UniversalClient
	maxLen int64
	now    func() time.Time
}

// New returns the audit log on rdb. now is the clock (nil: time.Now).
func New(rdb redis.UniversalClient, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{rdb: rdb, maxLen: MaxLen, now: now}
}

// Record appends e, with Time set to now (unless set) and Outcome to
// "success" (unless set), and returns the stored entry with its ID.
func (l *Log) Record(ctx context.Context, e api.AuditEntry) (api.AuditEntry, error) {
	if e.Action == "" || e.Actor == "" {
		return e, errors.New("audit: an entry needs an actor and an action")
	}
	if e.Time.IsZero() {
		e.Time = l.now().UTC()
	}
	if e.Outcome == "" {
		e.Outcome = "success"
	}
	e.ID = ""
	b, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	id, err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: Key, MaxLen: l.maxLen, Approx: true, Values: []any{"e", b}}).Result()
	if err != nil {
		return e, fmt.Errorf("audit: not recorded: %w", err)
	}
	e.ID = id
	return e, nil
}

// List returns up to n entries older than the entry before (empty: the
// newest), newest first, and the cursor of the next page ("" at the end).
func (l *Log) List(ctx context.Context, before string, n int) ([]api.AuditEntry, string, error) {
	if n <= 0 || n > MaxPage {
		n = DefaultPage
	}
	end := "+"
	if before != "" {
		if !validID(before) {
			return nil, "", ErrBadCursor
		}
		end = "(" + before
	}
	msgs, err := l.rdb.XRevRangeN(ctx, Key, end, "-", int64(n)+1).Result()
	if err != nil {
		return nil, "", fmt.Errorf("audit: %w", err)
	}
	next := ""
	if len(msgs) > n {
		msgs = msgs[:n]
		next = msgs[n-1].ID
	}
	out := make([]api.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		var e api.AuditEntry
		s, _ := m.Values["e"].(string)
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			// Never hide an entry: show what is there.
			e = api.AuditEntry{Action: "unreadable", Detail: map[string]string{"raw": s}}
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, next, nil
}

// validID reports whether s is a stream ID, MS-SEQ.
func validID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return false
	}
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return err1 == nil && err2 == nil
}
