package clicklog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// searchEvents is a small click history: 3 recipients, 3 domains, 4 URLs,
// 2 messages, every action, spread over 10 hours, some at the same
// millisecond.
func searchEvents(base time.Time, n int) []Event {
	rcpts := []string{"taro@example.co.jp", "Hanako@Example.co.jp", "jiro@example.co.jp"}
	doms := []string{"account-check.top", "example-shop.co.jp", "docs.example"}
	actions := []string{"redirect", "warn", "block", "checking", "neutral", "error"}
	verdicts := []string{"clean", "suspicious", "malicious", "unknown"}
	var evs []Event
	for i := range n {
		d := doms[i%3]
		u := fmt.Sprintf("https://login.%s/p%d", d, i%4)
		evs = append(evs, Event{
			ClickID: fmt.Sprintf("c%04d", i), Time: base.Add(time.Duration(i/2) * 10 * time.Minute), // pairs share a millisecond
			Recipient: rcpts[i%len(rcpts)], Message: fmt.Sprintf("%016x", i%2), URL: u, Host: "login." + d, Domain: d,
			URLDigest: fmt.Sprintf("%032x", i%4), Verdict: verdicts[i%4], Action: actions[i%6], Proceeded: i%5 == 0, Scanner: i%7 == 0,
			Source: "render",
		})
	}
	return evs
}

// Every search, by index or by scan, in both orders and through every
// page, finds exactly what a filter over all events finds, in time order.
func TestSearch(t *testing.T) {
	testSearch(t, newClient(t, redistest.Start(t)))
}

// On a Redis Cluster the same: the batch script's keys (the stream, its
// index sets and counters) share the stream's hash slot.
func TestSearchOnCluster(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	cl := redistest.StartCluster(t)
	opts, err := redis.ParseClusterURL(cl.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClusterClient(opts)
	t.Cleanup(func() { c.Close() })
	testSearch(t, c)
}

func testSearch(t *testing.T, c redis.UniversalClient) {
	base := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	now := base.Add(24 * time.Hour)
	l, err := newLog(Config{Redis: c}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		l.Close(ctx)
	})
	evs := searchEvents(base, 120)
	for _, e := range evs {
		l.Emit(e)
	}
	waitWritten(t, l, int64(len(evs)))
	yes, no := true, false
	queries := []api.ClickQuery{
		{},
		{Recipient: "hanako@example.co.jp"},
		{Recipient: "taro@example.co.jp", Action: "redirect"},
		{Domain: "account-check.top", From: base.Add(2 * time.Hour), To: base.Add(6 * time.Hour)},
		{URLDigest: fmt.Sprintf("%032x", 3)},
		{Message: "0000000000000001", Proceeded: &yes},
		{URL: "/P2"},
		{Host: "SHOP"},
		{Verdict: "malicious", Scanner: &no},
		{Action: "block", From: base.Add(time.Hour)},
		{To: base.Add(3 * time.Hour)},
		{Recipient: "nobody@example.co.jp"},
	}
	for _, budget := range []int{scanBudget, 7} {
		l.budget = budget
		for _, q := range queries {
			for _, oldest := range []bool{false, true} {
				for _, limit := range []int{1, 5, 1000} {
					q.Oldest, q.Limit, q.Cursor = oldest, limit, ""
					var want []string
					for _, e := range evs {
						if Matches(&e, &q) {
							want = append(want, e.ClickID)
						}
					}
					if !oldest {
						slices.Reverse(want)
					}
					var got []string
					for pages := 0; ; pages++ {
						if pages > 1000 {
							t.Fatalf("%v: no end of pages", q.Values())
						}
						p, err := l.Search(context.Background(), q)
						if err != nil {
							t.Fatalf("%v: %v", q.Values(), err)
						}
						if len(p.Events) > limit {
							t.Fatalf("%v: page of %d", q.Values(), len(p.Events))
						}
						for _, e := range p.Events {
							got = append(got, e.ClickID)
						}
						if p.Next == "" {
							break
						}
						q.Cursor = p.Next
					}
					// Events of one millisecond come in ID order, which is
					// emission order; compare as time-ordered sets.
					if !sameOrder(got, want, evs, oldest) {
						t.Errorf("budget %d %v:\n got %v\nwant %v", budget, q.Values().Encode(), got, want)
					}
				}
			}
		}
	}
	// A cursor from another query is refused, as is a forged one.
	p, err := l.Search(context.Background(), api.ClickQuery{Limit: 1})
	if err != nil || p.Next == "" {
		t.Fatal(p, err)
	}
	for _, q := range []api.ClickQuery{{Limit: 1, Cursor: p.Next, Action: "warn"}, {Cursor: "c1.AAAA"}, {Cursor: "x"}} {
		if _, err := l.Search(context.Background(), q); err != ErrBadCursor {
			t.Errorf("%v: %v, want ErrBadCursor", q.Values(), err)
		}
	}
	if _, err := l.Search(context.Background(), api.ClickQuery{Message: "<a@b>"}); err == nil {
		t.Error("a Message-ID reached the click log's search")
	}
	// Each walks everything, oldest first.
	var n int
	var last time.Time
	err = l.Each(context.Background(), api.ClickQuery{}, func(e *Event) error {
		if e.Time.Before(last) {
			t.Errorf("Each out of order at %s", e.ClickID)
		}
		last = e.Time
		n++
		return nil
	})
	if err != nil || n != len(evs) {
		t.Errorf("Each: %d events, %v", n, err)
	}
	// The home page's counters hold every event, by action and by domain.
	hours, doms, err := l.Counts(context.Background(), base, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	byAction, byDomain := map[string]int64{}, map[string]int64{}
	for _, e := range evs {
		byAction[e.Action]++
		byDomain[e.Domain]++
	}
	for _, h := range hours {
		for a, k := range h.ByAction {
			byAction[a] -= k
		}
	}
	for _, d := range doms {
		byDomain[d.Domain] -= d.Clicks
	}
	for k, v := range byAction {
		if v != 0 {
			t.Errorf("counters: action %s off by %d", k, v)
		}
	}
	for k, v := range byDomain {
		if v != 0 {
			t.Errorf("counters: domain %s off by %d", k, v)
		}
	}
}

// sameOrder: got has want's events, and the times are in order (ties of
// one millisecond may come in either order).
func sameOrder(got, want []string, evs []Event, oldest bool) bool {
	if len(got) != len(want) {
		return false
	}
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		return false
	}
	at := map[string]time.Time{}
	for _, e := range evs {
		at[e.ClickID] = e.Time
	}
	for i := 1; i < len(got); i++ {
		a, b := at[got[i-1]], at[got[i]]
		if oldest && b.Before(a) || !oldest && a.Before(b) {
			return false
		}
	}
	return true
}

// Retention: an event is kept in the stream and its indexes until the
// retention period has passed, whatever else is written; after it, it is
// trimmed.
func TestRetention(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var now time.Time
	clock := func() time.Time { return now }
	l, err := newLog(Config{Redis: c, Retention: 30 * 24 * time.Hour}, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	// Day 0: 1,000 clicks; day 29: 1,000 clicks; day 31: 1,000 clicks.
	written := int64(0)
	day := func(d int) {
		now = base.Add(time.Duration(d) * 24 * time.Hour)
		for i := range 1000 {
			l.Emit(Event{ClickID: fmt.Sprintf("d%d-%d", d, i), Time: now.Add(time.Duration(i) * time.Millisecond),
				Recipient: "taro@example.co.jp", Action: "redirect"})
		}
		written += 1000
		waitWritten(t, l, written)
	}
	count := func(prefix string) (stream, index int) {
		for id := range streamClickIDs(t, c, DefaultStream) {
			if strings.HasPrefix(id, prefix) {
				stream++
			}
		}
		p := api.ClickQuery{Recipient: "taro@example.co.jp", Limit: api.MaxClicks}
		for {
			pg, err := l.Search(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range pg.Events {
				if strings.HasPrefix(e.ClickID, prefix) {
					index++
				}
			}
			if pg.Next == "" {
				return
			}
			p.Cursor = pg.Next
		}
	}
	day(0)
	day(29)
	if s, i := count("d0-"); s != 1000 || i != 1000 {
		t.Fatalf("day 29: %d of day 0's events in the stream, %d by index; want all 1000", s, i)
	}
	day(31)
	if s, i := count("d29-"); s != 1000 || i != 1000 {
		t.Errorf("day 31: %d of day 29's events in the stream, %d by index; want all 1000 (within retention)", s, i)
	}
	if s, i := count("d31-"); s != 1000 || i != 1000 {
		t.Errorf("day 31: %d of its own events, %d by index", s, i)
	}
	// MINID ~ trims whole stream nodes (100 entries): most of day 0 goes.
	if s, i := count("d0-"); s > 100 || i > s {
		t.Errorf("day 31: %d of day 0's events left in the stream (%d by index); want them trimmed", s, i)
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(cursor{ID: "1764460800000-0", Score: 1764460800000, Hash: 0xdeadbeef}.String())
	f.Add("c1.")
	f.Add("c1.MS0wfDB8MA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil {
			return
		}
		// What parses is a cursor String makes again, byte for byte.
		if c2, err := parseCursor(c.String()); err != nil || c2 != c {
			t.Fatalf("%q: %+v re-parsed as %+v, %v", s, c, c2, err)
		}
		if !validID(c.ID) {
			t.Fatalf("%q: invalid ID %q accepted", s, c.ID)
		}
	})
}

// Clicks on one destination that share a millisecond and a batch are one
// index set member (index.go); searches read them as before: every event,
// in time order, through every page, whatever the budget. Redis is paused
// for writes while the events are emitted, so that they wait in the queue
// and go in one batch after the first.
func TestSearchGroupedMembers(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	base := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	l, err := newLog(Config{Redis: c}, func() time.Time { return base.Add(time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		l.Close(ctx)
	})
	var evs []Event
	for i := range 75 {
		e := searchEvents(base, 1)[0]
		e.ClickID = fmt.Sprintf("g%03d", i)
		e.Time = base.Add(time.Duration(i/25) * time.Minute) // 25 a millisecond
		e.Action = []string{"redirect", "warn", "block"}[i%3]
		evs = append(evs, e)
	}
	other := searchEvents(base, 2)[1] // another recipient, domain, URL and message
	other.Time = evs[30].Time
	evs = slices.Insert(evs, 30, other)
	admin := newClient(t, s)
	if err := admin.Do(ctx, "CLIENT", "PAUSE", patience.Milliseconds(), "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		l.Emit(e)
	}
	if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	waitWritten(t, l, int64(len(evs)))
	e0 := evs[0]
	if n := c.ZCard(ctx, IndexURL+e0.URLDigest).Val(); n >= 74 {
		t.Fatalf("URL index has %d members for 75 events in 3 milliseconds: not grouped", n)
	}
	if got := indexIDs(t, c, IndexURL+e0.URLDigest); got != 75 {
		t.Errorf("URL index names %d entries, want 75", got)
	}
	queries := []api.ClickQuery{
		{URLDigest: e0.URLDigest},
		{Recipient: e0.Recipient, Action: "warn"},
		{Domain: e0.Domain, From: base.Add(time.Minute)},
		{Message: e0.Message, To: base.Add(2 * time.Minute)},
		{Recipient: other.Recipient},
	}
	for _, budget := range []int{scanBudget, 7, 1} {
		l.budget = budget
		for _, q := range queries {
			for _, oldest := range []bool{false, true} {
				for _, limit := range []int{1, 4, 25, 1000} {
					q.Oldest, q.Limit, q.Cursor = oldest, limit, ""
					var want []string
					for _, e := range evs {
						if Matches(&e, &q) {
							want = append(want, e.ClickID)
						}
					}
					if !oldest {
						slices.Reverse(want)
					}
					var got []string
					for pages := 0; ; pages++ {
						if pages > 1000 {
							t.Fatalf("%v: no end of pages", q.Values())
						}
						p, err := l.Search(ctx, q)
						if err != nil {
							t.Fatalf("%v: %v", q.Values(), err)
						}
						if len(p.Events) > limit {
							t.Fatalf("%v: page of %d", q.Values(), len(p.Events))
						}
						for _, e := range p.Events {
							got = append(got, e.ClickID)
						}
						if p.Next == "" {
							break
						}
						q.Cursor = p.Next
					}
					if !sameOrder(got, want, evs, oldest) {
						t.Errorf("budget %d %v:\n got %v\nwant %v", budget, q.Values().Encode(), got, want)
					}
				}
			}
		}
	}
}

// indexIDs counts the stream IDs an index set names.
func indexIDs(t *testing.T, c *redis.Client, key string) int {
	t.Helper()
	members, err := c.ZRange(context.Background(), key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range members {
		n += len(splitMember(m, false))
	}
	return n
}

func TestSplitMember(t *testing.T) {
	for _, tc := range []struct {
		member  string
		reverse bool
		want    []string
	}{
		{"1-0", false, []string{"1-0"}},
		{"1-0,1-1,1-10", false, []string{"1-0", "1-1", "1-10"}},
		{"1-0,1-1,1-10", true, []string{"1-10", "1-1", "1-0"}},
		{"1-0,,x,01-2,2-3", false, []string{"1-0", "2-3"}},
		{"", false, []string{}},
	} {
		if got := splitMember(tc.member, tc.reverse); !slices.Equal(got, tc.want) {
			t.Errorf("splitMember(%q, %v) = %q, want %q", tc.member, tc.reverse, got, tc.want)
		}
	}
}
