// Package clicklog records every click on a Kensa link, so that the SOC can
// answer "who clicked what, when, and what did we do about it" after a
// phishing campaign, including for clicks the proxy let through. A click
// that is not in the log is a hole in an investigation, so the package is
// built to never lose one silently.
//
// Every event goes two ways:
//
//   - At once, as one JSON line with message "click" (the format of
//     internal/logging's zap lines) to Config.Lines. Nothing samples it:
//     the line is written by the Log itself, not through a logger (zap's
//     production preset keeps only the first 100 identical messages a
//     second, and every click line has the same message). The line and
//     the Redis entry are one encoding of the event. This stream is the
//     record of last resort for SIEM export; it does not depend on Redis.
//   - To a Redis Stream (default key "kensa:clicks", one entry per click,
//     field "event" = the event's JSON), kept for Config.Retention (XTRIM
//     MINID ~) and bounded by Config.MaxLen (XTRIM MAXLEN ~), which the
//     SOC console and the API read back (Search, Each, Recent). With each
//     entry go secondary indexes (index.go: sorted sets per recipient,
//     registrable domain, URL digest and message digest, scored by time),
//     so that a search costs its page, not the stream.
//
// Promises:
//   - Emit never blocks on Redis and never fails. The Redis write happens
//     on one writer goroutine that writes up to 256 events, their index
//     entries and counters with one script call (index.go).
//   - If Redis is unavailable, events wait in order in a bounded in-memory
//     buffer and are written when Redis returns; the writer retries with a
//     backoff from 100 ms doubling to 2 s. The bound is exact: at most
//     Config.Buffer events wait, counting the batch the writer holds. Each
//     waiting event costs the size of its JSON (usually under 1 KB).
//   - Nothing disappears uncounted: with Redis configured, Stats (and the
//     Prometheus metrics) satisfy Emitted == Written + Dropped + Buffered
//     whenever no Emit or write is in flight. An event that finds the
//     buffer full is Dropped for Redis only (it was already written to
//     Lines), and the drop is logged on Config.ErrLog at most once a second
//     with the running count.
//   - Delivery to Redis is at least once. In the normal case each event is
//     written exactly once. When a connection fails after Redis received a
//     batch but before its reply was read, the batch is sent again (by
//     go-redis itself, and then by the writer), so those events may appear
//     twice in the stream. Readers that need exactness deduplicate by
//     click_id. An index entry or counter that cannot be written (a key of
//     another type) is logged on ErrLog, and its events are not sent again.
//   - Within the stream, events keep their emission order; Event.Time is
//     the authority on order.
//
// Emit clips every string of an event to its maximum (MaxURL,
// MaxUserAgent, MaxField, MaxReasons) and names the clipped fields in
// Event.Clipped, so that no event can be made large. The Log itself never
// samples; the click proxy samples the events of forged and unsigned links
// before they reach it.
//
// The JSON field names of Event are a contract with the SOC console and the
// SIEM export: Elastic Common Schema names (schema version 2,
// docs/siem.md); they never change meaning; new fields may be added.
// Decode still reads the snake_case entries of version 1.
//
// File and Archive are the JSON-line stream's files: reopened on SIGHUP,
// and rotated daily in an archive directory.
package clicklog
