// Package remote is the render queue between click proxies and sandbox
// workers, on a Redis Stream: Client is the sandbox.Scanner that
// `kensa serve --sandbox=remote` uses, and Worker is the loop that
// `kensa worker` runs around its own in-process scanner (Chromium pool).
//
// Why it exists: one machine renders in process (sandbox/inprocess), but
// a large organisation runs several click proxies and a pool of sandbox
// machines. The proxies then only enqueue; Chromium runs elsewhere.
//
// The protocol, all in Redis (docs/redis.md lists every key):
//
//   - Client.Scan adds a job (the whole sandbox.Request as JSON, a reply
//     channel and a deadline) to the stream and waits for its result key,
//     woken by a pub/sub message and polling it once a second, so a lost
//     message costs a second, never the answer.
//   - Workers read the stream through one consumer group. While a worker
//     renders it renews its claim (XCLAIM JUSTID) so that the job stays
//     its own; a worker that dies stops renewing, and after the
//     visibility timeout another worker takes the job over (XAUTOCLAIM).
//   - Every start of a job counts an attempt. A job started MaxAttempts
//     times without a result ends with an error result ("gave up"), which
//     the click proxy shows as unknown: it never loops.
//   - A job past its deadline is answered with an error and not rendered:
//     nobody waits for it any more.
//
// Promises: Client never imports a browser (the deps test forbids
// chromedp), so a click proxy built with it carries no Chromium; a result
// is written before its job is acknowledged, so a crash between the two
// costs a duplicate check at most, never a lost answer.
package remote
