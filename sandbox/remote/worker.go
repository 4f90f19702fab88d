package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox"
)

// WorkerConfig configures a Worker. Redis and Scanner are required; the
// zero value of every other field is its default.
type WorkerConfig struct {
	Redis redis.UniversalClient
	// Scanner renders and judges: the worker's own Chromium pool
	// (sandbox/inprocess), wired by cmd/kensa.
	Scanner sandbox.Scanner
	// Name is this worker's consumer name in the group; default
	// HOST-PID-RANDOM. Two live workers must not share one.
	Name string
	// Concurrency is how many jobs run at once (the pool's tabs); default 2.
	Concurrency int
	// RenderTimeout bounds one job's scan (both renders); default 25 s.
	RenderTimeout time.Duration
	// Visibility is how long a job stays with a worker that stopped
	// renewing its claim before another worker takes it; default 30 s. A
	// live worker renews every Visibility/5.
	Visibility time.Duration
	// MaxAttempts is how many times a job is started before it ends as a
	// failure (unknown); default 3.
	MaxAttempts int
	// Block is how long one read waits for a new job; default 2 s.
	Block      time.Duration
	Log        *zap.Logger
	Registerer prometheus.Registerer // may be nil
}

func (c *WorkerConfig) defaults() {
	if c.Name == "" {
		host, _ := os.Hostname()
		c.Name = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomID()[:6])
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 2
	}
	if c.RenderTimeout <= 0 {
		c.RenderTimeout = 25 * time.Second
	}
	if c.Visibility <= 0 {
		c.Visibility = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.Block <= 0 {
		c.Block = 2 * time.Second
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
}

// Worker takes jobs from the stream and answers them.
type Worker struct {
	cfg WorkerConfig
	log *zap.Logger

	jobs      *prometheus.CounterVec
	reclaimed prometheus.Counter
	renders   prometheus.Counter
	busy      prometheus.Gauge
	seconds   prometheus.Histogram
}

// NewWorker checks the config and registers the worker's metrics.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	var errs []error
	if cfg.Redis == nil {
		errs = append(errs, errors.New("remote: no Redis client"))
	}
	if cfg.Scanner == nil {
		errs = append(errs, errors.New("remote: no scanner"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.defaults()
	w := &Worker{
		cfg: cfg, log: cfg.Log.With(zap.String("worker", cfg.Name)),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kensa_worker_jobs_total", Help: "Render jobs answered, by outcome: done, failed (gave up after max attempts), expired (nobody waits), malformed.",
		}, []string{"outcome"}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_worker_reclaimed_total", Help: "Jobs taken over from a worker that stopped renewing its claim.",
		}),
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kensa_worker_renders_total", Help: "Scans started (one job may be started again after a failure).",
		}),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kensa_worker_busy", Help: "Jobs running now."}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kensa_worker_render_seconds", Help: "Time of one scan.", Buckets: prometheus.ExponentialBuckets(0.25, 2, 8),
		}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{w.jobs, w.reclaimed, w.renders, w.busy, w.seconds} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// Name is the worker's consumer name.
func (w *Worker) Name() string { return w.cfg.Name }

// Run takes jobs until ctx ends, then lets the jobs in hand finish (each
// is bounded by its deadline) and returns. Redis errors are logged and
// retried: a worker outlives a Redis restart.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.heartbeat(ctx) }()
	for i := 0; i < w.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); w.loop(ctx) }()
	}
	w.log.Info("worker started", zap.Int("concurrency", w.cfg.Concurrency), zap.Duration("visibility", w.cfg.Visibility),
		zap.Int("max_attempts", w.cfg.MaxAttempts))
	wg.Wait()
	// Leave the registry, so that Ready does not count a stopped worker.
	dctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w.cfg.Redis.ZRem(dctx, KeyWorkers, w.cfg.Name)
	return nil
}

// heartbeat says every few seconds that the worker is alive, and drops
// workers not heard of for a long time from the registry.
func (w *Worker) heartbeat(ctx context.Context) {
	t := time.NewTicker(aliveTTL / 5)
	defer t.Stop()
	for {
		now := time.Now()
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		p := w.cfg.Redis.Pipeline()
		p.ZAdd(rctx, KeyWorkers, redis.Z{Score: float64(now.UnixMilli()), Member: w.cfg.Name})
		p.ZRemRangeByScore(rctx, KeyWorkers, "-inf", fmt.Sprint(now.Add(-time.Hour).UnixMilli()))
		p.Exec(rctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loop is one slot: it takes a job (an abandoned one first), answers it,
// and takes the next.
func (w *Worker) loop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		msg, err := w.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("render queue: reading jobs", zap.Error(err), zap.Duration("retry_in", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if msg != nil {
			w.handle(*msg)
		}
	}
}

// next returns a job abandoned by another worker, else a new one (waiting
// up to Block), else nil.
func (w *Worker) next(ctx context.Context) (*redis.XMessage, error) {
	msgs, _, err := w.cfg.Redis.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: KeyStream, Group: Group, Consumer: w.cfg.Name, MinIdle: w.cfg.Visibility, Start: "0-0", Count: 1,
	}).Result()
	if isNoGroup(err) {
		return nil, w.createGroup(ctx)
	}
	if err != nil {
		return nil, err
	}
	if len(msgs) > 0 {
		w.reclaimed.Inc()
		w.log.Info("took over an abandoned job", zap.String("msg", msgs[0].ID))
		return &msgs[0], nil
	}
	streams, err := w.cfg.Redis.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: Group, Consumer: w.cfg.Name, Streams: []string{KeyStream, ">"}, Count: 1, Block: w.cfg.Block,
	}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case isNoGroup(err):
		return nil, w.createGroup(ctx)
	case err != nil:
		return nil, err
	}
	for _, s := range streams {
		if len(s.Messages) > 0 {
			return &s.Messages[0], nil
		}
	}
	return nil, nil
}

func isNoGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }

// createGroup makes the stream and its group (a new or restarted Redis).
func (w *Worker) createGroup(ctx context.Context) error {
	err := w.cfg.Redis.XGroupCreateMkStream(ctx, KeyStream, Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return err
	}
	return nil
}

// handle answers one job. Its Redis calls and its scan use their own
// deadlines, not the worker's context: a job in hand is finished when the
// worker is asked to stop.
func (w *Worker) handle(msg redis.XMessage) {
	ctx := context.Background()
	raw, _ := msg.Values["job"].(string)
	var j job
	if err := json.Unmarshal([]byte(raw), &j); err != nil || j.ID == "" {
		w.log.Warn("malformed job dropped", zap.String("msg", msg.ID), zap.Error(err))
		w.jobs.WithLabelValues("malformed").Inc()
		w.ack(ctx, msg.ID)
		return
	}
	log := w.log.With(zap.String("job", j.ID))
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	n, err := w.cfg.Redis.Exists(rctx, keyResult(j.ID)).Result()
	cancel()
	if err == nil && n > 0 { // answered by a worker that died before acknowledging
		w.ack(ctx, msg.ID)
		return
	}
	rctx, cancel = context.WithTimeout(ctx, 2*time.Second)
	p := w.cfg.Redis.TxPipeline()
	inc := p.Incr(rctx, keyAttempts(j.ID))
	p.Expire(rctx, keyAttempts(j.ID), attemptsTTL)
	_, err = p.Exec(rctx)
	cancel()
	if err != nil {
		// Redis is away: leave the job pending; a worker takes it over.
		log.Warn("render queue: counting an attempt", zap.Error(err))
		return
	}
	attempts := inc.Val()
	switch {
	case attempts > int64(w.cfg.MaxAttempts):
		log.Warn("job failed too often; answered as unchecked", zap.Int64("attempts", attempts-1))
		w.finish(log, msg.ID, j, reply{Error: fmt.Sprintf("gave up after %d attempts", attempts-1), Attempts: attempts - 1}, "failed")
		return
	case time.Now().After(j.Deadline):
		w.finish(log, msg.ID, j, reply{Error: "expired before a worker started it", Attempts: attempts}, "expired")
		return
	}
	sctx, cancel := context.WithDeadline(ctx, j.Deadline)
	defer cancel()
	sctx, cancel2 := context.WithTimeout(sctx, w.cfg.RenderTimeout)
	defer cancel2()
	stop := w.renew(msg.ID)
	w.busy.Inc()
	w.renders.Inc()
	ictx, icancel := context.WithTimeout(ctx, time.Second)
	w.cfg.Redis.Incr(ictx, KeyRenders)
	icancel()
	start := time.Now()
	log.Info("render", zap.Int64("attempt", attempts), zap.Duration("queued", start.Sub(j.Enqueued)))
	res, err := w.cfg.Scanner.Scan(sctx, j.Request)
	w.seconds.Observe(time.Since(start).Seconds())
	w.busy.Dec()
	stop()
	if err != nil {
		if attempts >= int64(w.cfg.MaxAttempts) || time.Now().After(j.Deadline) {
			w.finish(log, msg.ID, j, reply{Error: err.Error(), Attempts: attempts}, "failed")
			return
		}
		// Left pending: another start after the visibility timeout.
		log.Warn("scan failed; the job will be retried", zap.Error(err), zap.Int64("attempt", attempts))
		return
	}
	log.Info("rendered", zap.String("level", string(res.Verdict.Level)), zap.Duration("took", time.Since(start)))
	w.finish(log, msg.ID, j, reply{Result: &res, Attempts: attempts}, "done")
}

// renew keeps the job this worker's (resets its idle time) until stop is
// called, so that only a worker that died loses it.
func (w *Worker) renew(msgID string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.cfg.Visibility / 5)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				w.cfg.Redis.XClaimJustID(ctx, &redis.XClaimArgs{
					Stream: KeyStream, Group: Group, Consumer: w.cfg.Name, MinIdle: 0, Messages: []string{msgID},
				})
				cancel()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// finish writes the reply, wakes the waiter, then acknowledges and deletes
// the job, in that order: a crash in between costs a duplicate, never a
// lost answer.
func (w *Worker) finish(log *zap.Logger, msgID string, j job, r reply, outcome string) {
	r.Worker = w.cfg.Name
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(reply{Error: "result not encodable: " + err.Error(), Worker: w.cfg.Name, Attempts: r.Attempts})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.cfg.Redis.Set(ctx, keyResult(j.ID), b, resultTTL).Err(); err != nil {
		log.Warn("render queue: result not written; the job will be retried", zap.Error(err))
		return
	}
	if j.Reply != "" {
		w.cfg.Redis.Publish(ctx, j.Reply, j.ID)
	}
	w.jobs.WithLabelValues(outcome).Inc()
	w.ack(ctx, msgID)
}

func (w *Worker) ack(ctx context.Context, msgID string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := w.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, KeyStream, Group, msgID)
		p.XDel(ctx, KeyStream, msgID)
		return nil
	})
	if err != nil {
		w.log.Warn("render queue: acknowledging a job", zap.String("msg", msgID), zap.Error(err))
	}
}
