package clicklog

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

// Search bounds. A search reads at most scanBudget stream entries or
// index members per call, so its cost is bounded whatever it asks; when
// the budget runs out before the page is full it returns what it found and
// a cursor to go on from (a page may then be short, or even empty, and
// still have a next page).
const (
	scanBudget  = 1_000
	streamBatch = 500
	indexBatch  = 200
	// lateSlack widens a stream scan's upper ID bound: an event written
	// late (after a Redis outage, or from a replica whose clock is behind)
	// has an ID later than its time.
	lateSlack = 5 * time.Minute
)

// ErrBadCursor is returned for a cursor that is not one Search made for
// the same query.
var ErrBadCursor = errors.New("clicklog: bad cursor")

// ErrBadQuery is returned for a query Search cannot run (a Message that
// is not a digest: resolve Message-IDs first).
var ErrBadQuery = errors.New("clicklog: bad query")

// Page is one page of a search.
type Page struct {
	Events []Event
	Next   string // cursor of the next page; empty: the end
}

// cursor is a position in a search: the last entry looked at (its stream
// ID and its index score, the event's time in ms) and a hash of the query
// it belongs to.
type cursor struct {
	ID    string
	Score int64
	Hash  uint32
}

const cursorPrefix = "c1."

func (c cursor) String() string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(c.ID+"|"+strconv.FormatInt(c.Score, 10)+"|"+strconv.FormatUint(uint64(c.Hash), 16)))
}

// parseCursor reads a cursor made by String. Hand-written: three fields,
// each checked (the fuzz target FuzzParseCursor holds it to that).
func parseCursor(s string) (cursor, error) {
	b64, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok || len(s) > api.MaxCursor {
		return cursor{}, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 3 || !validID(f[0]) {
		return cursor{}, ErrBadCursor
	}
	score, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	h, err := strconv.ParseUint(f[2], 16, 32)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	return cursor{ID: f[0], Score: score, Hash: uint32(h)}, nil
}

// validID reports whether s is a stream ID: MS-SEQ, both decimal.
func validID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	return ok && canonicalUint(ms) && canonicalUint(seq)
}

// canonicalUint: a decimal uint64 without sign or leading zeros.
func canonicalUint(s string) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && s == strconv.FormatUint(n, 10)
}

// queryHash ties a cursor to the filters of its query.
func queryHash(q api.ClickQuery) uint32 {
	q.Cursor, q.Limit = "", 0
	h := fnv.New32a()
	h.Write([]byte(q.Values().Encode()))
	return h.Sum32()
}

// Matches reports whether e passes every filter of q.
func Matches(e *Event, q *api.ClickQuery) bool {
	switch {
	case !q.From.IsZero() && e.Time.Before(q.From),
		!q.To.IsZero() && !e.Time.Before(q.To),
		q.Recipient != "" && !strings.EqualFold(e.Recipient, q.Recipient),
		q.Message != "" && !strings.EqualFold(e.Message, q.Message),
		q.URL != "" && !containsFold(e.URL, q.URL),
		q.Host != "" && !containsFold(e.Host, q.Host),
		q.Domain != "" && !strings.EqualFold(e.Domain, q.Domain),
		q.URLDigest != "" && e.URLDigest != q.URLDigest,
		q.Verdict != "" && e.Verdict != q.Verdict,
		q.Action != "" && e.Action != q.Action,
		q.Proceeded != nil && e.Proceeded != *q.Proceeded,
		q.Scanner != nil && e.Scanner != *q.Scanner:
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// indexFor picks the most selective index q can use, or "".
func indexFor(q *api.ClickQuery) string {
	switch {
	case q.URLDigest != "":
		return IndexURL + q.URLDigest
	case q.Message != "":
		return IndexMessage + strings.ToLower(q.Message)
	case q.Recipient != "":
		return IndexRecipient + strings.ToLower(q.Recipient)
	case q.Domain != "":
		return IndexDomain + strings.ToLower(q.Domain)
	}
	return ""
}

// Search finds the events that match q, newest first (q.Oldest: oldest
// first), at most q.Limit (default api.DefaultClicks) a page. A search
// by URL digest, message digest, recipient or registrable domain reads
// that index; any other reads the stream over the time range. Either way
// one call reads at most scanBudget entries.
func (l *Log) Search(ctx context.Context, q api.ClickQuery) (Page, error) {
	if l.rdb == nil {
		return Page{}, ErrNoRedis
	}
	if q.Message != "" && !api.IsDigest(q.Message) {
		return Page{}, fmt.Errorf("%w: message %q is not a digest", ErrBadQuery, q.Message)
	}
	limit := q.Limit
	if limit <= 0 || limit > api.MaxClicks {
		limit = api.DefaultClicks
	}
	h := queryHash(q)
	var at *cursor
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil || c.Hash != h {
			return Page{}, ErrBadCursor
		}
		at = &c
	}
	if key := indexFor(&q); key != "" {
		return l.searchIndex(ctx, key, q, limit, at, h)
	}
	return l.searchStream(ctx, q, limit, at, h)
}

// searchStream scans the stream between the time range's IDs.
func (l *Log) searchStream(ctx context.Context, q api.ClickQuery, limit int, at *cursor, h uint32) (Page, error) {
	lo, hi := "-", "+"
	if !q.From.IsZero() {
		lo = streamID(q.From)
	}
	if !q.To.IsZero() {
		hi = strconv.FormatInt(q.To.Add(lateSlack).UnixMilli(), 10)
	}
	if at != nil {
		if q.Oldest {
			lo = "(" + at.ID
		} else {
			hi = "(" + at.ID
		}
	}
	var page Page
	scanned := 0
	for scanned < l.budget {
		var msgs []redis.XMessage
		var err error
		if q.Oldest {
			msgs, err = l.rdb.XRangeN(ctx, l.stream, lo, hi, streamBatch).Result()
		} else {
			msgs, err = l.rdb.XRevRangeN(ctx, l.stream, hi, lo, streamBatch).Result()
		}
		if err != nil {
			return Page{}, fmt.Errorf("clicklog: reading %s: %w", l.stream, err)
		}
		for i, m := range msgs {
			scanned++
			e, ok := decodeEntry(m)
			if ok && Matches(&e, &q) {
				page.Events = append(page.Events, e)
			}
			full := len(page.Events) == limit
			if full || scanned == l.budget {
				if full && i == len(msgs)-1 && len(msgs) < streamBatch {
					return page, nil // the last entry there is
				}
				page.Next = cursor{ID: m.ID, Score: e.Time.UnixMilli(), Hash: h}.String()
				return page, nil
			}
		}
		if len(msgs) < streamBatch {
			return page, nil
		}
		last := msgs[len(msgs)-1].ID
		if q.Oldest {
			lo = "(" + last
		} else {
			hi = "(" + last
		}
	}
	return page, nil
}

// searchIndex reads an index set by score (event time), then the entries
// it names.
func (l *Log) searchIndex(ctx context.Context, key string, q api.ClickQuery, limit int, at *cursor, h uint32) (Page, error) {
	lo, hi := "-inf", "+inf"
	if !q.From.IsZero() {
		lo = strconv.FormatInt(q.From.UnixMilli(), 10)
	}
	if !q.To.IsZero() {
		hi = "(" + strconv.FormatInt(q.To.UnixMilli(), 10)
	}
	// skipping: resuming at the cursor's score, the entries up to and
	// including the cursor's are passed over. The set's order (score,
	// then member as bytes, then a member's IDs in its order) is the same
	// on every read, so the entries before the cursor's are those a page
	// already looked at.
	skipping := at != nil
	if at != nil {
		if q.Oldest {
			lo = strconv.FormatInt(at.Score, 10)
		} else {
			hi = strconv.FormatInt(at.Score, 10)
		}
	}
	var page Page
	var queue []indexEntry // read from the set, not yet looked at
	scanned, offset, more := 0, int64(0), true
	for scanned < l.budget {
		if len(queue) == 0 {
			if !more {
				return page, nil
			}
			by := &redis.ZRangeBy{Min: lo, Max: hi, Offset: offset, Count: indexBatch}
			var zs []redis.Z
			var err error
			if q.Oldest {
				zs, err = l.rdb.ZRangeByScoreWithScores(ctx, key, by).Result()
			} else {
				zs, err = l.rdb.ZRevRangeByScoreWithScores(ctx, key, by).Result()
			}
			if err != nil {
				return Page{}, fmt.Errorf("clicklog: reading %s: %w", key, err)
			}
			offset += int64(len(zs))
			more = len(zs) == indexBatch
			for _, z := range zs {
				member, _ := z.Member.(string)
				sc := int64(z.Score)
				for _, id := range splitMember(member, !q.Oldest) {
					if skipping {
						if sc == at.Score {
							skipping = id != at.ID
							continue
						}
						skipping = false
					}
					queue = append(queue, indexEntry{id, sc})
				}
			}
			continue
		}
		// At most a batch of entries fetched at once, and never more than
		// the budget allows.
		n := min(len(queue), indexBatch, l.budget-scanned)
		look := queue[:n]
		queue = queue[n:]
		ids := make([]string, n)
		for i := range look {
			ids[i] = look[i].id
		}
		events, err := l.fetch(ctx, ids)
		if err != nil {
			return Page{}, err
		}
		for i, x := range look {
			scanned++
			if e, ok := events[x.id]; ok && Matches(&e, &q) {
				page.Events = append(page.Events, e)
			}
			full := len(page.Events) == limit
			if full || scanned == l.budget {
				if full && i == n-1 && len(queue) == 0 && !more {
					return page, nil // the last entry there is
				}
				page.Next = cursor{ID: x.id, Score: x.score, Hash: h}.String()
				return page, nil
			}
		}
	}
	return page, nil
}

// indexEntry is a stream ID read from an index set, with its score.
type indexEntry struct {
	id    string
	score int64
}

// splitMember returns the stream IDs of an index set's member (index.go):
// one ID, or several joined by commas; reversed for a newest-first read. A
// part that is not a stream ID is left out: XRANGE would refuse it, and
// the search with it.
func splitMember(m string, reverse bool) []string {
	ids := strings.Split(m, ",")
	ids = slices.DeleteFunc(ids, func(id string) bool { return !validID(id) })
	if reverse {
		slices.Reverse(ids)
	}
	return ids
}

// fetch reads the stream entries with the given IDs, in one pipeline. An
// ID whose entry was trimmed is left out.
func (l *Log) fetch(ctx context.Context, ids []string) (map[string]Event, error) {
	out := make(map[string]Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.XRangeN(ctx, l.stream, id, id, 1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("clicklog: reading %s: %w", l.stream, err)
	}
	for _, c := range cmds {
		for _, m := range c.Val() {
			if e, ok := decodeEntry(m); ok {
				out[m.ID] = e
			}
		}
	}
	return out, nil
}

func decodeEntry(m redis.XMessage) (Event, bool) {
	s, _ := m.Values["event"].(string)
	e, err := Decode([]byte(s))
	return e, err == nil
}

// Each calls fn for every event that matches q, oldest first (q.Oldest,
// q.Limit and q.Cursor are ignored), reading a page of api.MaxClicks at
// a time: the export. It stops at fn's first error.
func (l *Log) Each(ctx context.Context, q api.ClickQuery, fn func(*Event) error) error {
	q.Oldest, q.Limit, q.Cursor = true, api.MaxClicks, ""
	for {
		p, err := l.Search(ctx, q)
		if err != nil {
			return err
		}
		for i := range p.Events {
			if err := fn(&p.Events[i]); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		q.Cursor = p.Next
	}
}

// Oldest is the time of the stream's oldest entry (zero when empty): how
// far back a search can reach.
func (l *Log) Oldest(ctx context.Context) (time.Time, error) {
	if l.rdb == nil {
		return time.Time{}, ErrNoRedis
	}
	msgs, err := l.rdb.XRangeN(ctx, l.stream, "-", "+", 1).Result()
	if err != nil || len(msgs) == 0 {
		return time.Time{}, err
	}
	if e, ok := decodeEntry(msgs[0]); ok {
		return e.Time, nil
	}
	ms, _ := idMillis(msgs[0].ID)
	return time.UnixMilli(ms), nil
}

// Counts are the clicks of the hours from since to now (UTC hours, oldest
// first), by action, and the most clicked registrable domains of the days
// they touch (at most top): the console's home page. They come from
// counters written with each event, so they cost the same for any volume;
// an event is counted in the hour of its own time.
func (l *Log) Counts(ctx context.Context, since, now time.Time, top int) (hours []api.HourCount, domains []api.DomainCount, err error) {
	if l.rdb == nil {
		return nil, nil, ErrNoRedis
	}
	pipe := l.rdb.Pipeline()
	var cmds []*redis.MapStringStringCmd
	var starts []time.Time
	for h := since.UTC().Truncate(time.Hour); !h.After(now); h = h.Add(time.Hour) {
		cmds = append(cmds, pipe.HGetAll(ctx, StatsHour+h.Format("2006010215")))
		starts = append(starts, h)
	}
	var days []string
	for d := since.UTC().Truncate(24 * time.Hour); !d.After(now); d = d.Add(24 * time.Hour) {
		days = append(days, StatsDay+d.Format("20060102"))
	}
	var top0 *redis.ZSliceCmd
	if len(days) == 1 {
		top0 = pipe.ZRevRangeWithScores(ctx, days[0], 0, int64(top)-1)
	} else {
		top0 = pipe.ZUnionWithScores(ctx, redis.ZStore{Keys: days})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("clicklog: counts: %w", err)
	}
	for i, c := range cmds {
		hc := api.HourCount{Start: starts[i], ByAction: map[string]int64{}}
		for k, v := range c.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			hc.ByAction[k] = n
		}
		hours = append(hours, hc)
	}
	zs := top0.Val()
	// ZUNION has no order option: sort here (scores desc, then name).
	slices.SortFunc(zs, func(a, b redis.Z) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(fmt.Sprint(a.Member), fmt.Sprint(b.Member))
	})
	for i, z := range zs {
		if i == top {
			break
		}
		domains = append(domains, api.DomainCount{Domain: fmt.Sprint(z.Member), Clicks: int64(z.Score)})
	}
	return hours, domains, nil
}
