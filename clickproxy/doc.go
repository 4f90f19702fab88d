// Package clickproxy is `kensa serve`: the service every rewritten link
// points at, and the hottest path of Kensa. A company-wide campaign means
// thousands of clicks on the same few links within minutes, so a click
// whose verdict is known is answered from memory (then Redis) in
// microseconds, and a click on a new link causes exactly one sandbox
// render however many people click it at once (singleflight in the
// process, a short Redis lock across replicas, waiters woken by pub/sub).
//
// A click goes: verify the link (linktoken; a bad link gets an error page,
// never a redirect), admin overrides, verdict cache, one-time-link check
// (a render would burn a password-reset or magic-login token, so trusted
// domains' one-time links are judged from the URL alone), render, then act:
// 303 to the destination, a warning interstitial with a signed "continue
// anyway" token, or a block page. Every click is one event in the click log
// (clickproxy/clicklog); the pages are clickproxy/pages.
//
// Where things are: every route is registered in one function (routes.go,
// routes), in the order they are tried; handlers return errors, and one
// place (errors.go, fail) turns an error into a status, an error page or a
// JSON api.Error for /api/, a log line and a metric, with the click ID.
// The click flow is click.go, "continue anyway" proceed.go, the one-time
// rule onetime.go, the render herd herd.go, the verdict cache store.go,
// pending clicks pending.go, the API api.go (its types are the leaf
// package clickproxy/api), and every Redis key with its lifetime keys.go
// (docs/redis.md).
//
// Every response but /metrics carries the security headers of
// pages.Headers; every answer to a click (the link, its checking
// follow-up, "continue anyway") also carries X-Kensa-Action (redirect,
// warn, block, checking or error) and X-Kensa-Click-Id.
package clickproxy
