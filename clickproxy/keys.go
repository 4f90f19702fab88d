package clickproxy

import "time"

// Every Redis key and channel the click proxy uses, with its lifetime, in
// one place; docs/redis.md describes each for operators. One prefix,
// versioned, so that a format change never reads old entries. (The click
// log's stream, kensa:clicks, is clickproxy/clicklog's.)
const (
	keyVerdict   = "kensa:v1:verdict:"   // + verdictKey (DIGEST:DEVICE): string, the cached JSON; TTL by level (TTLs)
	keyShot      = "kensa:v1:shot:"      // + verdictKey: string, JPEG; same TTL as the verdict
	keyLock      = "kensa:v1:lock:"      // + verdictKey: string, the instance rendering it; lockTTL
	keyDone      = "kensa:v1:done:"      // + verdictKey: pub/sub channel, published when a verdict lands
	keyPending   = "kensa:v1:pending:"   // + click ID: string, JSON pendingClick; pendingTTL
	keyCleanHist = "kensa:v1:cleanhist:" // + registrable domain: HyperLogLog of the URL digests judged clean; historyTTL
	keyBadHist   = "kensa:v1:badhist:"   // + registrable domain: string, the last non-clean level; historyTTL
	keySkipHist  = "kensa:v1:skiphist:"  // + registrable domain: HyperLogLog of the URL digests the one-time shortcut let through unrendered; historyTTL
	keyReports   = "kensa:v1:reports"    // list of JSON reports, newest first, at most maxReports; no TTL
	keyOverrides = "kensa:v1:overrides"  // hash: "block|url|..." -> JSON api.Override; no TTL
	chanOverride = "kensa:v1:overrides-changed"
)

// Lifetimes and bounds of what the keys hold.
const (
	// historyTTL is how long a domain's verdict history counts for the
	// one-time rule (renewed by every new verdict).
	historyTTL = 30 * 24 * time.Hour
	// maxReports bounds the list of reported links.
	maxReports = 100_000
	// lockSlack is added to the render timeout for the render lock's TTL
	// (lockTTL), so the lock outlives a render that uses all its time.
	lockSlack = 5 * time.Second
	// pendingSlack is added to Config.ProceedTTL for a pending click's TTL
	// (pendingTTL): the "continue anyway" token must expire first.
	pendingSlack = time.Minute
)

// Timeouts of Redis calls made while a person waits for an answer.
const (
	redisClickTimeout = 500 * time.Millisecond // the click path: a slow Redis must not slow every click
	redisPageTimeout  = time.Second            // the screenshot and the report
	redisAPITimeout   = 2 * time.Second        // the API
)

func lockTTL(renderTimeout time.Duration) time.Duration { return renderTimeout + lockSlack }

func pendingTTL(proceedTTL time.Duration) time.Duration { return proceedTTL + pendingSlack }
