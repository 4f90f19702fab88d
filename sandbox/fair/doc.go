// Package fair shares a sandbox's render slots fairly between the senders
// of work, so that one flood cannot starve everyone else.
//
// The sandbox renders a few pages at once (one Chromium tab each). Without
// a scheduler, whoever asks first waits first: a scanner that prefetches
// every link of a 300-link newsletter, or a campaign of many distinct links,
// fills the queue, and the links people click behind it come back
// "unknown" (a warning with "continue") when their wait runs out. Scanner
// wraps any sandbox.Scanner with per-key FIFO queues served round-robin:
// when a slot frees, the next key in turn gets it, however many requests
// another key has queued. Queues are bounded; past the bound a request is
// refused at once with ErrSaturated, which the click proxy treats like any
// render that could not finish (an unknown verdict, never clean).
//
// Written by hand: golang.org/x/sync/semaphore is FIFO over everyone, and
// no maintained library offers per-key round-robin with cancellation.
package fair
