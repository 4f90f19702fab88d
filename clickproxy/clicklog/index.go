package clicklog

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Secondary indexes of the stream (docs/redis.md): one sorted set per
// value, scored by the event's time in milliseconds, whose members are
// stream entry IDs: one ID, or the comma-separated IDs of the events of one
// batch that have the value and the same millisecond, in stream order (see
// splitMember). A search by recipient, registrable domain, URL or message
// reads its index by score (the time range) and fetches only the entries
// it names, so it costs the same over 1,000 or 1,000,000 events. Each set
// is trimmed by time with the stream and expires when idle for the
// retention period.
//
// Why grouped: a sorted-set insert into a large set (its hash table and
// skip list, and their growth) was nearly half of Redis's CPU per click
// under load (docs/BENCHMARKS.md), four per event. A batch is large only
// when clicks arrive faster than one script call a round trip, and then
// clicks on one hot destination, domain or message share milliseconds:
// their entries become one set member. A lone click is a member of its
// own, as before 2026-12-04 (so older sets read the same).
//
// Every key the batch script writes is in the default stream's hash slot:
// the stream's name has no braces, so Redis Cluster hashes all of it, and
// the index and counter keys carry it as their hash tag. The click log is
// then one shard's, on a Cluster as on one server (TestSearchOnCluster).
const (
	slotTag = "{" + DefaultStream + "}"

	IndexRecipient = "kensa:v1:ix:" + slotTag + ":rcpt:" // + lower-case recipient address
	IndexDomain    = "kensa:v1:ix:" + slotTag + ":dom:"  // + registrable domain
	IndexURL       = "kensa:v1:ix:" + slotTag + ":url:"  // + URL digest (the verdict cache key)
	IndexMessage   = "kensa:v1:ix:" + slotTag + ":msg:"  // + message digest (16 hex digits)

	// Counters for the console's home page (Counts): per hour of the
	// event's time, a hash action -> clicks; per day, a sorted set
	// registrable domain -> clicks. Both expire after statsTTL.
	StatsHour = "kensa:v1:stats:" + slotTag + ":hour:" // + YYYYMMDDHH (UTC)
	StatsDay  = "kensa:v1:stats:" + slotTag + ":dom:"  // + YYYYMMDD (UTC)
	statsTTL  = 8 * 24 * time.Hour
)

// The values an event is indexed under, in the index sets' order:
// IndexRecipient, IndexDomain, IndexURL, IndexMessage. An empty value is
// in no set.
var indexPrefixes = [...]string{IndexRecipient, IndexDomain, IndexURL, IndexMessage}

func indexValues(e *Event) [4]string {
	return [4]string{strings.ToLower(e.Recipient), strings.ToLower(e.Domain), e.URLDigest, strings.ToLower(e.Message)}
}

// addScript writes a batch of events with their index entries and
// counters, in one call: Redis's CPU per event is what limits the click
// log on a machine where Redis shares the cores, and most of a call's cost
// is fixed (the script's start, each trim, EXPIRE and counter). Measured
// with BenchmarkEmit (redis-cpu-us/event): one script per event cost Redis
// about 28 µs an event; the batch, a few (docs/BENCHMARKS.md).
//
// Each event: XADD with the event's own time as the entry ID's
// milliseconds when the stream allows it (so that IDs order events by time
// and a time range is an ID range), else an ID Redis picks (an event older
// than the stream's last, from a buffer that waited out a Redis outage or
// another replica's clock); only the first event of a batch finds that out
// by trying, the others are compared with the ID before them. Then, once
// per batch: one ZADD of its new entries to each index set the batch
// touches (one member per millisecond of the set's events in the batch),
// the stream trimmed by time (MINID ~: the retention period) and by length
// (MAXLEN ~: the storage bound), and the counters incremented by the
// batch's counts. An index set is trimmed by time too and given its TTL
// when the batch tends it: the first time this Log writes it, and then at
// most once every tendEvery (batchArgs.build), not with every batch, which
// for sets of one recipient or message each (most of them) cost two
// commands more per click than the ZADD itself.
//
// A failed XADD (a key of another type: the first XADD already fails) ends
// the script before anything is written, and the writer sends the batch
// again. What follows the XADDs runs with pcall: an index or counter that
// cannot be written must not make the writer send entries that are in the
// stream again, so its first error is returned beside the count instead.
//
// KEYS[1] stream, KEYS[2..] the index sets the batch touches. ARGV: min ms
// to keep (0: no time trim), max length, index TTL in seconds, counter TTL
// in seconds, which index sets to tend (one byte per set from KEYS[2]: "1"
// tend, "0" not), the number of events, then per event: JSON, ms, and the
// KEYS positions of its index sets, each as two bytes (big-endian), in one
// argument; then the number of
// hour hash increments and per increment key, field, by; then the same for
// the day sets (key, member, by). (The counters' keys are ARGV, not KEYS:
// they are in the stream's hash slot, which a Cluster allows.) Returns
// {events written, first error after the XADDs or ""}.
//
// Per event the script does as little as it can (Redis runs it on every
// click): three arguments (each one Redis reads, allocates and turns into a
// Lua string), and an ID is parsed only when Redis picked it.
var addScript = redis.NewScript(`
local stream, minid, maxlen, ixttl, statsttl, tend = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local n = tonumber(ARGV[6])
local a = 7
local last = -1
local groups = {}
for e = 1, n do
  local ev, ms, ps = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local t = tonumber(ms)
  local id
  if t >= last then
    id = redis.pcall('XADD', stream, ms .. '-*', 'event', ev)
    if type(id) == 'table' and id.err then
      id = redis.call('XADD', stream, '*', 'event', ev)
      t = tonumber(string.match(id, '^%d+'))
    end
  else
    id = redis.call('XADD', stream, '*', 'event', ev)
    t = tonumber(string.match(id, '^%d+'))
  end
  last = t
  for j = 1, #ps, 2 do
    local h, l = string.byte(ps, j, j + 1)
    local i = h * 256 + l
    local g = groups[i]
    if not g then
      g = {times = {}, ids = {}}
      groups[i] = g
    end
    local ids = g.ids[ms]
    if not ids then
      ids = {}
      g.ids[ms] = ids
      g.times[#g.times + 1] = ms
    end
    ids[#ids + 1] = id
  end
  a = a + 3
end
local failed = ''
local function try(...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err and failed == '' then
    failed = r.err
  end
end
if minid ~= '0' then
  try('XTRIM', stream, 'MINID', '~', minid)
end
try('XTRIM', stream, 'MAXLEN', '~', maxlen)
for i = 2, #KEYS do
  local g = groups[i]
  if g then
    local args = {}
    for _, ms in ipairs(g.times) do
      args[#args + 1] = ms
      args[#args + 1] = table.concat(g.ids[ms], ',')
    end
    try('ZADD', KEYS[i], unpack(args))
  end
  if string.byte(tend, i - 1) == 49 then
    if minid ~= '0' then
      try('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. minid)
    end
    try('EXPIRE', KEYS[i], ixttl)
  end
end
for _, cmd in ipairs({'HINCRBY', 'ZINCRBY'}) do
  local c = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, c do
    if cmd == 'HINCRBY' then
      try('HINCRBY', ARGV[a], ARGV[a + 1], ARGV[a + 2])
    else
      try('ZINCRBY', ARGV[a], ARGV[a + 2], ARGV[a + 1])
    end
    try('EXPIRE', ARGV[a], statsttl)
    a = a + 3
  end
end
return {n, failed}
`)

// tendEvery is how often, at most, the writer trims an index set it writes
// and renews its TTL. An entry may then outlive the retention period by
// up to tendEvery (an untouched set was never trimmed before it expired
// anyway), and the TTL, the retention period and an hour, still outlasts
// every entry's retention. maxTended bounds the writer's memory of when it
// tended which set: past it, the memory is cleared and every set is
// tended again on its next write.
const (
	tendEvery = time.Minute
	maxTended = 100_000
)

// queued is an event waiting for Redis.
type queued struct {
	json   []byte
	ms     int64     // the event's time
	index  [4]string // indexValues
	action string    // counted per hour ("" for an aggregate event: not a click)
	domain string    // counted per day
}

// batchArgs builds addScript's KEYS and ARGV for a batch, reusing its
// memory from one batch to the next (the writer goroutine's own).
type batchArgs struct {
	keys  []string
	argv  []any
	pos   map[string]int // index set -> its KEYS position (1-based)
	name  []byte
	hours map[[2]string]int64 // hour key, action -> clicks
	days  map[[2]string]int64 // day key, domain -> clicks
	// The last hour's and day's key names, so that the writer formats
	// each once.
	hourStart, dayStart int64
	hourKey, dayKey     string
	// tended: index set -> when (ms) a written batch last trimmed it and
	// renewed its TTL; tend: the sets this batch tends, recorded in
	// tended once it is written (done).
	tended map[string]int64
	tend   []string
	flags  []byte
	nowMs  int64
	posBuf []byte // the events' KEYS positions
}

// build fills b.keys and b.argv for batch at now.
func (b *batchArgs) build(l *Log, batch []queued, now time.Time) {
	if b.pos == nil {
		b.pos, b.hours, b.days, b.tended = map[string]int{}, map[[2]string]int64{}, map[[2]string]int64{}, map[string]int64{}
	}
	b.nowMs = now.UnixMilli()
	b.tend, b.flags = b.tend[:0], b.flags[:0]
	clear(b.pos)
	clear(b.hours)
	clear(b.days)
	minID := "0"
	if l.retention > 0 {
		minID = strconv.FormatInt(now.Add(-l.retention).UnixMilli(), 10)
	}
	b.keys = append(b.keys[:0], l.stream)
	b.argv = append(b.argv[:0], minID, l.maxLen, int64(l.indexTTL().Seconds()), int64(statsTTL.Seconds()), nil, len(batch))
	const tendArg = 4 // set below, once the batch's index sets are known
	b.posBuf = b.posBuf[:0]
	var prev *queued
	var ps any // the event's KEYS positions ([]byte), boxed once for a run of events
	for i := range batch {
		q := &batch[i]
		// The same index sets as the event before (a hot link): the same
		// positions.
		if prev == nil || q.index != prev.index {
			// Each KEYS position in two bytes (at most 1 + 4*maxBatch).
			// The slices of posBuf stay valid when it grows: the old
			// array is kept by them and never written again.
			start := len(b.posBuf)
			for j, v := range q.index {
				if v == "" {
					continue
				}
				b.posBuf = binary.BigEndian.AppendUint16(b.posBuf, uint16(b.position(indexPrefixes[j], v)))
			}
			ps = b.posBuf[start:len(b.posBuf):len(b.posBuf)]
		}
		b.argv = append(b.argv, q.json, q.ms, ps)
		prev = q
		if q.action != "" {
			hour, day := b.statsKeys(q.ms)
			b.hours[[2]string{hour, q.action}]++
			if q.domain != "" {
				b.days[[2]string{day, q.domain}]++
			}
		}
	}
	b.argv[tendArg] = string(b.flags)
	for _, m := range []map[[2]string]int64{b.hours, b.days} {
		b.argv = append(b.argv, len(m))
		for k, n := range m {
			b.argv = append(b.argv, k[0], k[1], n)
		}
	}
}

// position is the KEYS position (1-based) of the index set prefix+value,
// added to KEYS (and to the sets to tend, when it is due) the first time
// the batch names it.
func (b *batchArgs) position(prefix, value string) int {
	b.name = append(append(b.name[:0], prefix...), value...)
	if p, ok := b.pos[string(b.name)]; ok {
		return p
	}
	key := string(b.name)
	b.keys = append(b.keys, key)
	p := len(b.keys)
	b.pos[key] = p
	if t, ok := b.tended[key]; ok && b.nowMs-t < tendEvery.Milliseconds() && b.nowMs >= t {
		b.flags = append(b.flags, '0')
	} else {
		b.flags = append(b.flags, '1')
		b.tend = append(b.tend, key)
	}
	return p
}

// done records that the batch build made was written: the sets it tended
// need no tending for tendEvery. failed forgets every set's tending, so
// that after Redis trouble (a restart may have lost the TTLs) each set is
// tended again on its next write.
func (b *batchArgs) done() {
	if len(b.tended)+len(b.tend) > maxTended {
		clear(b.tended)
	}
	for _, k := range b.tend {
		b.tended[k] = b.nowMs
	}
}

func (b *batchArgs) failed() { clear(b.tended) }

// statsKeys are the hour hash's and the day set's names for a time in ms
// (UTC).
func (b *batchArgs) statsKeys(ms int64) (hour, day string) {
	if h := floorMs(ms, time.Hour); h != b.hourStart || b.hourKey == "" {
		b.hourStart, b.hourKey = h, StatsHour+time.UnixMilli(h).UTC().Format("2006010215")
	}
	if d := floorMs(ms, 24*time.Hour); d != b.dayStart || b.dayKey == "" {
		b.dayStart, b.dayKey = d, StatsDay+time.UnixMilli(d).UTC().Format("20060102")
	}
	return b.hourKey, b.dayKey
}

// floorMs rounds ms down to a multiple of unit (in ms), before 1970 too.
func floorMs(ms int64, unit time.Duration) int64 {
	u := unit.Milliseconds()
	r := ms % u
	if r < 0 {
		r += u
	}
	return ms - r
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
