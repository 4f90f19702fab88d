package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox"
)

// Errors of Client.Scan, wrapped with %w.
var (
	// ErrFailed: a worker answered that it could not check the link (it
	// gave up after MaxAttempts, or the job expired before it started).
	ErrFailed = errors.New("remote: the sandbox workers could not check the link")
	// ErrQueue: the job could not be enqueued or its result read (Redis
	// is away).
	ErrQueue = errors.New("remote: render queue unavailable")
)

// ClientConfig configures a Client. Redis is required.
type ClientConfig struct {
	Redis redis.UniversalClient
	// Timeout bounds a Scan whose context has no deadline; default 25 s.
	Timeout time.Duration
	// Poll is how often a waiting Scan reads its result key in case the
	// pub/sub message was lost (Redis restarted, say); default 1 s.
	Poll time.Duration
	Log  *zap.Logger
}

// Client is the sandbox.Scanner of a click proxy whose renders run on
// workers: it enqueues jobs and waits for their results.
type Client struct {
	cfg   ClientConfig
	id    string
	reply string
	ps    *redis.PubSub
	log   *zap.Logger

	mu      sync.Mutex
	waiters map[string]chan struct{}
	done    chan struct{}
}

// NewClient subscribes to the client's reply channel. The subscription is
// re-made by go-redis when Redis comes back.
func NewClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if cfg.Redis == nil {
		return nil, errors.New("remote: no Redis client")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 25 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	c := &Client{cfg: cfg, id: randomID(), log: cfg.Log, waiters: map[string]chan struct{}{}, done: make(chan struct{})}
	c.reply = chanReplyPrefix + c.id
	c.ps = cfg.Redis.Subscribe(ctx, c.reply)
	go c.dispatch()
	return c, nil
}

// dispatch wakes the waiter of every job ID published on the reply channel.
func (c *Client) dispatch() {
	defer close(c.done)
	for m := range c.ps.Channel() {
		c.mu.Lock()
		w := c.waiters[m.Payload]
		c.mu.Unlock()
		if w != nil {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
}

// Close ends the subscription.
func (c *Client) Close() error {
	err := c.ps.Close()
	<-c.done
	return err
}

// Scan enqueues req and waits for a worker's result, until ctx ends. A job
// whose waiter gave up is skipped by the workers once its deadline passes.
func (c *Client) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		deadline, _ = ctx.Deadline()
	}
	j := job{ID: randomID(), Request: req, Reply: c.reply, Deadline: deadline, Enqueued: time.Now()}
	b, err := json.Marshal(j)
	if err != nil {
		return sandbox.Result{}, err
	}
	wake := make(chan struct{}, 1)
	c.mu.Lock()
	c.waiters[j.ID] = wake
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, j.ID)
		c.mu.Unlock()
	}()
	if err := c.cfg.Redis.XAdd(ctx, &redis.XAddArgs{
		Stream: KeyStream, MaxLen: streamMaxLen, Approx: true, Values: []any{"job", b},
	}).Err(); err != nil {
		return sandbox.Result{}, fmt.Errorf("%w: enqueue: %v", ErrQueue, err)
	}
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-wake:
		case <-tick.C:
		case <-ctx.Done():
			return sandbox.Result{}, fmt.Errorf("remote: waiting for job %s: %w", j.ID, ctx.Err())
		}
		r, err := c.result(ctx, j.ID)
		if err != nil {
			// Redis may be back by the next tick: keep waiting until ctx ends.
			c.log.Debug("render queue: reading a result", zap.String("job", j.ID), zap.Error(err))
			continue
		}
		if r == nil {
			continue
		}
		// Read once: the screenshot in it need not wait out resultTTL.
		c.cfg.Redis.Del(context.WithoutCancel(ctx), keyResult(j.ID))
		if r.Error != "" || r.Result == nil {
			return sandbox.Result{}, fmt.Errorf("%w: %s (worker %s, %d attempts)", ErrFailed, r.Error, r.Worker, r.Attempts)
		}
		return *r.Result, nil
	}
}

// result reads a job's reply; nil when there is none yet.
func (c *Client) result(ctx context.Context, id string) (*reply, error) {
	b, err := c.cfg.Redis.Get(ctx, keyResult(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		return &reply{Error: "malformed result: " + err.Error()}, nil
	}
	return &r, nil
}

// Ready reports whether a worker has said it is alive within aliveTTL (for
// the click proxy's /readyz): without one, every new link would be unknown.
func (c *Client) Ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, err := LiveWorkers(ctx, c.cfg.Redis, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrQueue, err)
	}
	if n == 0 {
		return errors.New("remote: no sandbox worker is alive")
	}
	return nil
}

// LiveWorkers counts the workers heard of within aliveTTL of now.
func LiveWorkers(ctx context.Context, rdb redis.UniversalClient, now time.Time) (int64, error) {
	return rdb.ZCount(ctx, KeyWorkers, fmt.Sprint(now.Add(-aliveTTL).UnixMilli()), "+inf").Result()
}

var _ sandbox.Scanner = (*Client)(nil)

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
