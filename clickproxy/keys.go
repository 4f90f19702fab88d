package clickproxy

import "time"

// Every Redis key and channel the click proxy uses, with its lifetime, in
// one place; docs/redis.md describes each for operators. One prefix,
// versioned, so that a format change never reads old entries. (The click
// log's stream, kensa:clicks, is clickproxy/clicklog's; the render queue's
// keys are sandbox/remote's.)
//
// The prefixes below are followed by an ID in a Redis Cluster hash tag,
// tagged(prefix, id): a destination's verdict, screenshot and lock share
// one slot (the verdict and its screenshot are written in one
// transaction), a domain's histories another, and the keys spread over
// the cluster's shards by destination.
const (
	keyVerdict   = "kensa:v1:verdict:"   // + {DIGEST:DEVICE} (verdictKey): string, the cached JSON; TTL by level (TTLs)
	keyShot      = "kensa:v1:shot:"      // + {DIGEST:DEVICE}: string, JPEG; same TTL as the verdict
	keyLock      = "kensa:v1:lock:"      // + {DIGEST:DEVICE}: string, the instance rendering it; lockTTL
	keyDone      = "kensa:v1:done:"      // + {DIGEST:DEVICE}: pub/sub channel, published when a verdict lands
	keyPending   = "kensa:v1:pending:"   // + {click ID}: string, JSON pendingClick; pendingTTL
	keyCleanHist = "kensa:v1:cleanhist:" // + {registrable domain}: HyperLogLog of the URL digests judged clean; historyTTL
	keyBadHist   = "kensa:v1:badhist:"   // + {registrable domain}: string, the last non-clean level; historyTTL
	keySkipHist  = "kensa:v1:skiphist:"  // + {registrable domain}: HyperLogLog of the URL digests the one-time shortcut let through unrendered; historyTTL
	keyOverrides = "kensa:v1:overrides"  // hash: "block|url|..." -> JSON api.Override; no TTL
	chanOverride = "kensa:v1:overrides-changed"

	// The SOC's (issue 13).
	keyMsg        = "kensa:v1:msg:"            // + message digest: string, JSON api.MessageInfo; the click retention period (RecordMessage)
	keyMsgID      = "kensa:v1:msgid:"          // + "<Message-ID>": string, the message digest; same TTL
	keyRenders    = "kensa:v1:renders:"        // + URL digest: list of JSON api.Render, newest first, at most maxRenders; renderHistoryTTL
	keyRenderShot = "kensa:v1:rshot:"          // + URL digest + ":" + render ID: string, JPEG; the verdict's TTL
	keyCondemned  = "kensa:v1:condemned"       // sorted set: "url:DIGEST" | "host:HOST" | "domain:DOMAIN", scored by the ms it became malicious; trimmed to the retention period
	keyCondemnInf = "kensa:v1:condemninfo"     // hash: the same members -> JSON condemnation (api.Condemnation and the URL)
	keyReport     = "kensa:v1:report"          // hash: report ID -> JSON api.Report; no TTL, bounded by maxReports
	keyReportsAll = "kensa:v1:reports:all"     // sorted set: report IDs by time (ms)
	keyReportsNew = "kensa:v1:reports:new"     // sorted set: the IDs of reports not reviewed yet
	keyRecheckRun = "kensa:v1:recheck:lock"    // string: the replica running the scheduled re-check; the re-check interval
	keyRechecked  = "kensa:v1:rechecked:"      // + URL digest: string "1"; re-checked recently (the re-check interval)
	chanVerdict   = "kensa:v1:verdict-changed" // pub/sub: a URL digest whose verdict an analyst changed (re-scan): every replica drops its memory copy
)

// tagged is prefix + id with id as the key's Redis Cluster hash tag.
func tagged(prefix, id string) string { return prefix + "{" + id + "}" }

// Lifetimes and bounds of what the keys hold.
const (
	// historyTTL is how long a domain's verdict history counts for the
	// one-time rule (renewed by every new verdict).
	historyTTL = 30 * 24 * time.Hour
	// maxReports bounds the reports kept (the inbox and the old list).
	maxReports = 100_000
	// maxRenders bounds a URL's render history; renderHistoryTTL is how
	// long it lives after its last render.
	maxRenders       = 20
	renderHistoryTTL = 90 * 24 * time.Hour
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
