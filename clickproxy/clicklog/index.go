package clicklog

import (
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Secondary indexes of the stream (docs/redis.md): one sorted set per
// value, scored by the event's time in milliseconds, whose members are
// stream entry IDs. A search by recipient, registrable domain, URL or
// message reads its index by score (the time range) and fetches only the
// entries it names, so it costs the same over 1,000 or 1,000,000 events.
// Each set is trimmed by time with the stream and expires when idle for the
// retention period.
const (
	IndexRecipient = "kensa:v1:ix:rcpt:" // + lower-case recipient address
	IndexDomain    = "kensa:v1:ix:dom:"  // + registrable domain
	IndexURL       = "kensa:v1:ix:url:"  // + URL digest (the verdict cache key)
	IndexMessage   = "kensa:v1:ix:msg:"  // + message digest (16 hex digits)

	// Counters for the console's home page (Counts): per hour of the
	// event's time, a hash action -> clicks; per day, a sorted set
	// registrable domain -> clicks. Both expire after statsTTL.
	StatsHour = "kensa:v1:stats:hour:" // + YYYYMMDDHH (UTC)
	StatsDay  = "kensa:v1:stats:dom:"  // + YYYYMMDD (UTC)
	statsTTL  = 8 * 24 * time.Hour
)

// indexKeys are the index sets an event belongs to.
func indexKeys(e *Event) []string {
	var ks []string
	if e.Recipient != "" {
		ks = append(ks, IndexRecipient+strings.ToLower(e.Recipient))
	}
	if e.Domain != "" {
		ks = append(ks, IndexDomain+strings.ToLower(e.Domain))
	}
	if e.URLDigest != "" {
		ks = append(ks, IndexURL+e.URLDigest)
	}
	if e.Message != "" {
		ks = append(ks, IndexMessage+strings.ToLower(e.Message))
	}
	return ks
}

// addScript writes one event: XADD with the event's own time as the
// entry ID's milliseconds when the stream allows it (so that IDs order
// events by time and a time range is an ID range), else an ID Redis picks
// (an event older than the stream's last, from a buffer that waited out a
// Redis outage or another replica's clock). Then it trims the stream by
// time (MINID ~: the retention period) and by length (MAXLEN ~: the
// storage bound), and adds the entry to each index, trimmed by time too.
// One script so that the entry and its index entries land together.
//
// KEYS[1] stream, KEYS[2..] index sets. ARGV: event JSON, event ms, min
// ms to keep (0: no time trim), max length, index TTL in seconds, then the
// counters: hour hash key ("" for none), action, day set key, domain, TTL.
// (The counters' keys are ARGV, not KEYS: one Redis, not a cluster; see
// docs/redis.md.)
var addScript = redis.NewScript(`
local id = redis.pcall('XADD', KEYS[1], ARGV[2] .. '-*', 'event', ARGV[1])
if type(id) == 'table' and id.err then
  id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[1])
end
if ARGV[3] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
end
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[4])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[2], id)
  if ARGV[3] ~= '0' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[3])
  end
  redis.call('EXPIRE', KEYS[i], ARGV[5])
end
if ARGV[6] ~= '' then
  redis.call('HINCRBY', ARGV[6], ARGV[7], 1)
  redis.call('EXPIRE', ARGV[6], ARGV[10])
  if ARGV[9] ~= '' then
    redis.call('ZINCRBY', ARGV[8], 1, ARGV[9])
    redis.call('EXPIRE', ARGV[8], ARGV[10])
  end
end
return id
`)

// queued is an event waiting for Redis.
type queued struct {
	json   []byte
	ms     int64    // the event's time
	keys   []string // KEYS: the stream, then the index sets
	action string   // counted per hour ("" for an aggregate event: not a click)
	domain string   // counted per day
}

// args are the script's ARGV for q at now.
func (l *Log) args(q queued, now time.Time) []any {
	minID := "0"
	if l.retention > 0 {
		minID = strconv.FormatInt(now.Add(-l.retention).UnixMilli(), 10)
	}
	ttl := int64(l.indexTTL().Seconds())
	hour, day := "", ""
	if q.action != "" {
		t := time.UnixMilli(q.ms).UTC()
		hour, day = StatsHour+t.Format("2006010215"), StatsDay+t.Format("20060102")
	}
	return []any{q.json, q.ms, minID, l.maxLen, ttl, hour, q.action, day, q.domain, int64(statsTTL.Seconds())}
}

// indexTTL is how long an idle index set lives: the retention period, or
// 400 days when retention is by length only.
func (l *Log) indexTTL() time.Duration {
	if l.retention > 0 {
		return l.retention + time.Hour
	}
	return 400 * 24 * time.Hour
}

// streamID is the lowest stream ID at time t.
func streamID(t time.Time) string { return strconv.FormatInt(max(t.UnixMilli(), 0), 10) + "-0" }

// idMillis is the milliseconds part of a stream ID.
func idMillis(id string) (int64, bool) {
	ms, _, ok := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	return n, ok && err == nil
}
