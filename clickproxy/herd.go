package clickproxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// herd makes sure a destination is rendered once per device class
// however many clicks arrive for it (its "digest" arguments are
// verdictKeys): singleflight within the process, and a Redis lock (SET NX
// with a TTL) across replicas. A replica that finds the lock taken waits
// for the owner's pub/sub message (keyDone) and reads the verdict from
// Redis; if the owner dies, the lock expires and the waiter renders.
type herd struct {
	sf       singleflight.Group
	rdb      redis.UniversalClient
	store    *store
	scanner  sandbox.Scanner
	instance string
	timeout  time.Duration    // one render, including the second (mobile) render
	now      func() time.Time // Config.Now: verdicts' times and expiry
	log      *zap.Logger
	m        *metrics
	bg       *sync.WaitGroup // the Server's: Close waits for renders
	// onRender, if set, is told of every render's outcome (the URL's
	// render history and retro-hunt: soc.go). Set before serving.
	onRender func(ctx context.Context, digest, dest string, c *cached, rep *capture.Report, shot []byte, req sandbox.Request, trig trigger)
}

// trigger is why a render ran and who asked for it.
type trigger struct {
	kind string // api.TriggerClick, TriggerRescan, TriggerRecheck
	by   string // the audit actor of a rescan
}

// outcome is a resolved verdict and how it was obtained.
type outcome struct {
	c      *cached
	source string // "render" or "redis" (another replica rendered it)
}

func newHerd(rdb redis.UniversalClient, st *store, sc sandbox.Scanner, timeout time.Duration, now func() time.Time, log *zap.Logger, m *metrics, bg *sync.WaitGroup) *herd {
	id := make([]byte, 8)
	rand.Read(id)
	return &herd{rdb: rdb, store: st, scanner: sc, instance: hex.EncodeToString(id), timeout: timeout, now: now, log: log, m: m, bg: bg}
}

// resolve returns a channel that delivers the verdict for the destination.
// The work runs detached from the caller: a user who gives up waiting (and
// gets the "checking" page) does not cancel the render others wait for.
// ctx is the click's requestContext (never the fasthttp.RequestCtx), and
// the other arguments are copies: nothing of the request is kept.
func (h *herd) resolve(ctx context.Context, digest, dest, regDomain string, req sandbox.Request, clickID string) <-chan outcome {
	h.m.herdWaiters.Inc()
	ch := h.sf.DoChan(digest, func() (any, error) {
		return h.run(context.WithoutCancel(ctx), digest, dest, regDomain, req, clickID), nil
	})
	out := make(chan outcome, 1)
	// Every render has at least one waiter, so waiting for the waiters
	// (Close) waits for the renders too.
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		r := <-ch
		h.m.herdWaiters.Dec()
		out <- r.Val.(outcome)
	}()
	return out
}

// run renders once for every replica. parent is detached from the click:
// its deadlines are run's own.
func (h *herd) run(parent context.Context, digest, dest, regDomain string, req sandbox.Request, clickID string) outcome {
	ctx, cancel := context.WithTimeout(parent, h.timeout+10*time.Second)
	defer cancel()
	lockTTL := lockTTL(h.timeout)
	got, err := h.rdb.SetNX(ctx, tagged(keyLock, digest), h.instance, lockTTL).Result()
	switch {
	case err != nil:
		// Redis is away: render here; replicas may render the same URL.
		h.log.Warn("render lock unavailable; rendering without it", zap.String("click_id", clickID), zap.Error(err))
	case !got:
		if o, ok := h.waitOther(ctx, digest, lockTTL, clickID); ok {
			return o
		}
		// The other replica seems gone: take the lock if it is free, and
		// give the render its whole time again.
		cancel()
		ctx, cancel = context.WithTimeout(parent, h.timeout+10*time.Second)
		defer cancel()
		got, _ = h.rdb.SetNX(ctx, tagged(keyLock, digest), h.instance, lockTTL).Result()
	}
	defer func() {
		if got {
			// Only our own lock: compare and delete. Its own time: the
			// render may have used all of ctx's.
			uctx, cancel := context.WithTimeout(parent, redisClickTimeout)
			defer cancel()
			h.rdb.Eval(uctx, `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`,
				[]string{tagged(keyLock, digest)}, h.instance)
		}
	}()
	if got {
		// Another replica may have rendered and unlocked between this
		// click's cache miss and the lock: a verdict that landed since is
		// not rendered again.
		if c, err := h.store.getRedis(ctx, digest, h.now()); err == nil && c != nil {
			return outcome{c: c, source: "redis"}
		}
	}
	return h.render(ctx, digest, dest, regDomain, req, clickID, trigger{kind: api.TriggerClick})
}

// waitOther waits for another replica's render. It returns false when the
// other replica seems gone (its lock expired without a verdict).
func (h *herd) waitOther(ctx context.Context, digest string, lockTTL time.Duration, clickID string) (outcome, bool) {
	h.log.Info("another replica is rendering; waiting", zap.String("click_id", clickID))
	sub := h.rdb.Subscribe(ctx, tagged(keyDone, digest))
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(lockTTL)
	for {
		if c, err := h.store.getRedis(ctx, digest, h.now()); err == nil && c != nil {
			return outcome{c: c, source: "redis"}, true
		}
		select {
		case <-msgs:
		case <-tick.C:
			if n, err := h.rdb.Exists(ctx, tagged(keyLock, digest)).Result(); err == nil && n == 0 {
				if c, err := h.store.getRedis(ctx, digest, h.now()); err == nil && c != nil {
					return outcome{c: c, source: "redis"}, true
				}
				return outcome{}, false
			}
		case <-deadline:
			return outcome{}, false
		case <-ctx.Done():
			return outcome{}, false
		}
	}
}

func (h *herd) render(ctx context.Context, digest, dest, regDomain string, req sandbox.Request, clickID string, trig trigger) outcome {
	start := time.Now()
	h.log.Info("render", zap.String("click_id", clickID), zap.String("host", hostOf(dest))) // the host only: URLs carry tokens
	rctx, cancel := context.WithTimeout(ctx, h.timeout)
	res, err := h.scanner.Scan(rctx, req)
	cancel()
	c := &cached{}
	if errors.Is(err, sandbox.ErrSaturated) {
		// Too many renders waiting: unknown, never clean, and not saved,
		// so the next click on the link tries again. Counted, and logged
		// at debug only: a flood must not flood the log too.
		h.m.saturated.Inc()
		h.log.Debug("render refused: sandbox saturated", zap.String("click_id", clickID), zap.String("fair_key", req.FairKey))
		c.Verdict = verdict.Verdict{
			Level: verdict.Unknown, URL: dest, JudgedAt: time.Now(),
			Reasons: []verdict.Reason{{
				Code: verdict.CodeSandboxBusy, Level: verdict.Unknown,
				JA: "確認待ちのリンクが多すぎるため、このリンクを確認できませんでした。少し待ってから、もう一度開いてください。",
				EN: "Too many links are waiting to be checked, so Kensa could not check this one. Wait a moment and open it again.",
			}},
		}
		return outcome{c: c, source: "render"}
	}
	h.m.renderSeconds.Observe(time.Since(start).Seconds())
	var shot []byte
	var rep *capture.Report
	if err != nil || res.Report == nil {
		if err == nil {
			err = errors.New("no report")
		}
		c.Verdict = verdict.Verdict{
			Level: verdict.Unknown, URL: dest, JudgedAt: h.now(),
			Reasons: []verdict.Reason{{
				Code: verdict.CodeRenderFailed, Level: verdict.Unknown, Evidence: map[string]string{"error": err.Error()},
				JA: "リンク先を確認できませんでした（確認サービスが応答しません）。",
				EN: "Kensa could not check this link (the checking service did not answer).",
			}},
		}
	} else {
		c.Verdict = res.Verdict
		for _, hop := range res.Report.Chain {
			c.Chain = append(c.Chain, hop.URL)
		}
		shot = res.Report.Screenshot
		rep = res.Report
	}
	h.log.Info("verdict", zap.String("click_id", clickID), zap.String("level", string(c.Verdict.Level)),
		zap.Int("reasons", len(c.Verdict.Reasons)), zap.Duration("took", time.Since(start)))
	if err := h.store.put(ctx, digest, c, shot, regDomain); err != nil {
		h.log.Warn("verdict not saved to Redis", zap.String("click_id", clickID), zap.Error(err))
	}
	if h.onRender != nil {
		if trig.kind != api.TriggerClick {
			h.onRender(ctx, keyDigest(digest), dest, c, rep, shot, req, trig) // the re-scan answers with what it recorded
		} else {
			// Off the clicks' path: the waiters get the verdict now; the
			// history and the retro-hunt follow.
			h.bg.Add(1)
			go func() {
				defer h.bg.Done()
				octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				h.onRender(octx, keyDigest(digest), dest, c, rep, shot, req, trig)
			}()
		}
	}
	return outcome{c: c, source: "render"}
}

func hostOf(raw string) string {
	if u, err := parseDest(raw); err == nil {
		return u.Hostname()
	}
	return ""
}
