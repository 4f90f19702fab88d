package remote

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/redis/go-redis/v9/logging"
)

// fakeScanner judges by URL without a browser: the queue is under test
// here, not Chromium (the scale test in internal/scaletest runs both).
type fakeScanner struct {
	n    atomic.Int64
	mu   sync.Mutex
	seen []sandbox.Request
	fail bool // every scan fails
}

func (f *fakeScanner) Scan(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	f.n.Add(1)
	f.mu.Lock()
	f.seen = append(f.seen, req)
	f.mu.Unlock()
	if f.fail {
		return sandbox.Result{}, errors.New("chromium crashed")
	}
	return sandbox.Result{
		Report:  &capture.Report{URL: req.URL, FinalURL: req.URL, Title: "ok", Screenshot: []byte{0xff, 0xd8, 0xff}},
		Verdict: verdict.Verdict{Level: verdict.Clean, URL: req.URL},
	}, nil
}

type setup struct {
	rs  *redistest.Server
	rdb *redis.Client
}

func start(t testing.TB) setup {
	t.Helper()
	testenv.Require(t, testenv.Redis)
	redis.SetLogger(&logging.VoidLogger{})
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, MaxRetries: -1, DialTimeout: 300 * time.Millisecond, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return setup{rs: rs, rdb: rdb}
}

func (s setup) client(t testing.TB) *Client {
	t.Helper()
	c, err := NewClient(context.Background(), ClientConfig{Redis: s.rdb, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s setup) worker(t testing.TB, sc sandbox.Scanner, edit func(*WorkerConfig)) *Worker {
	t.Helper()
	cfg := WorkerConfig{Redis: s.rdb, Scanner: sc, Visibility: 2 * time.Second, Block: 200 * time.Millisecond, Registerer: prometheus.NewRegistry()}
	if edit != nil {
		edit(&cfg)
	}
	w, err := NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func scan(t *testing.T, c *Client, req sandbox.Request) (sandbox.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.Scan(ctx, req)
}

// TestRoundTrip: the whole request reaches the worker, and its result,
// screenshot included, reaches the client; the job leaves the stream.
func TestRoundTrip(t *testing.T) {
	s := start(t)
	sc := &fakeScanner{}
	w := s.worker(t, sc, nil)
	c := s.client(t)
	req := sandbox.Request{URL: "https://shop.example/a?b=c", UserAgent: "Mozilla/5.0 (iPhone)", Language: "en", FairKey: "example"}
	res, err := scan(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Level != verdict.Clean || res.Report == nil || string(res.Report.Screenshot) != "\xff\xd8\xff" {
		t.Errorf("result %+v", res)
	}
	if len(sc.seen) != 1 || sc.seen[0] != req {
		t.Errorf("worker saw %+v, want %+v", sc.seen, req)
	}
	// The worker writes the result before it acknowledges and deletes the
	// job, and counts it after: the client may be answered first.
	var n int64
	var done float64
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		n = s.rdb.XLen(context.Background(), KeyStream).Val()
		done = testutil.ToFloat64(w.jobs.WithLabelValues("done"))
		if n == 0 && done == 1 {
			break
		}
	}
	if n != 0 {
		t.Errorf("%d jobs left in the stream", n)
	}
	if done != 1 {
		t.Errorf("jobs done %v", done)
	}
	if n := s.rdb.Get(context.Background(), KeyRenders).Val(); n != "1" {
		t.Errorf("render counter %q", n)
	}
	if err := c.Ready(); err != nil {
		t.Errorf("Ready with a live worker: %v", err)
	}
}

// TestNotReadyWithoutWorkers: with no worker alive, the click proxy's
// /readyz says so.
func TestNotReadyWithoutWorkers(t *testing.T) {
	s := start(t)
	if err := s.client(t).Ready(); err == nil {
		t.Error("Ready without a worker")
	}
}

// deadConsumer takes the next job like a worker that is then SIGKILLed:
// it counts the attempt and never answers.
func deadConsumer(t *testing.T, s setup) string {
	t.Helper()
	ctx := context.Background()
	s.rdb.XGroupCreateMkStream(ctx, KeyStream, Group, "0")
	for {
		st, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: Group, Consumer: "dead", Streams: []string{KeyStream, ">"}, Count: 1, Block: 5 * time.Second}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		if len(st) > 0 && len(st[0].Messages) > 0 {
			return st[0].Messages[0].ID
		}
	}
}

// TestAbandonedJobTakenOver: a worker dies holding a job; another takes it
// over after the visibility timeout and the waiting client gets the answer.
func TestAbandonedJobTakenOver(t *testing.T) {
	s := start(t)
	c := s.client(t)
	type out struct {
		res sandbox.Result
		err error
	}
	got := make(chan out, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		r, err := c.Scan(ctx, sandbox.Request{URL: "https://a.example/"})
		got <- out{r, err}
	}()
	deadConsumer(t, s)
	sc := &fakeScanner{}
	w := s.worker(t, sc, nil)
	o := <-got
	if o.err != nil || o.res.Verdict.Level != verdict.Clean {
		t.Fatalf("%+v %v", o.res, o.err)
	}
	if sc.n.Load() != 1 || testutil.ToFloat64(w.reclaimed) != 1 {
		t.Errorf("scans %d, reclaimed %v; want 1 and 1", sc.n.Load(), testutil.ToFloat64(w.reclaimed))
	}
}

// TestGivesUp: a job that fails every time is answered as a failure after
// MaxAttempts starts, never retried forever; one whose workers kept dying
// is answered without another start.
func TestGivesUp(t *testing.T) {
	s := start(t)
	c := s.client(t)
	sc := &fakeScanner{fail: true}
	s.worker(t, sc, func(c *WorkerConfig) { c.Visibility = 300 * time.Millisecond; c.MaxAttempts = 3 })
	_, err := scan(t, c, sandbox.Request{URL: "https://crash.example/"})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err %v, want ErrFailed", err)
	}
	if sc.n.Load() != 3 {
		t.Errorf("%d scans, want 3", sc.n.Load())
	}
}

func TestGivesUpAfterDeadWorkers(t *testing.T) {
	s := start(t)
	c := s.client(t)
	got := make(chan error, 1)
	go func() {
		_, err := scan(t, c, sandbox.Request{URL: "https://poison.example/"})
		got <- err
	}()
	deadConsumer(t, s)
	// Three workers took it and died (each counted its attempt).
	var id string
	for _, m := range s.rdb.XRange(context.Background(), KeyStream, "-", "+").Val() {
		var j struct{ ID string }
		jsonUnmarshal(m.Values["job"].(string), &j)
		id = j.ID
	}
	s.rdb.Set(context.Background(), keyAttempts(id), 3, time.Hour)
	sc := &fakeScanner{}
	s.worker(t, sc, func(c *WorkerConfig) { c.Visibility = 300 * time.Millisecond; c.MaxAttempts = 3 })
	if err := <-got; !errors.Is(err, ErrFailed) {
		t.Fatalf("err %v, want ErrFailed", err)
	}
	if sc.n.Load() != 0 {
		t.Errorf("a job that killed 3 workers was started again")
	}
}

// TestExpiredJobNotRendered: a job whose waiter is gone is answered
// without a render.
func TestExpiredJobNotRendered(t *testing.T) {
	s := start(t)
	c := s.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := c.Scan(ctx, sandbox.Request{URL: "https://late.example/"})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	sc := &fakeScanner{}
	w := s.worker(t, sc, nil)
	for testutil.ToFloat64(w.jobs.WithLabelValues("expired")) != 1 {
		time.Sleep(50 * time.Millisecond) // polling observable state; the test's deadline bounds it
	}
	if sc.n.Load() != 0 {
		t.Error("an expired job was rendered")
	}
}

// TestRedisAway: without Redis a scan fails at once with ErrQueue (the
// click proxy shows unknown), and after a restart (an empty Redis: no
// stream, no group) worker and client work again without a restart.
func TestRedisAway(t *testing.T) {
	s := start(t)
	c := s.client(t)
	sc := &fakeScanner{}
	s.worker(t, sc, nil)
	if _, err := scan(t, c, sandbox.Request{URL: "https://before.example/"}); err != nil {
		t.Fatal(err)
	}
	s.rs.Stop()
	if _, err := scan(t, c, sandbox.Request{URL: "https://during.example/"}); !errors.Is(err, ErrQueue) {
		t.Errorf("with Redis stopped: %v, want ErrQueue", err)
	}
	s.rs.Restart()
	if _, err := scan(t, c, sandbox.Request{URL: "https://after.example/"}); err != nil {
		t.Errorf("after the restart: %v", err)
	}
}

func jsonUnmarshal(s string, v any) { _ = json.Unmarshal([]byte(s), v) }

// TestOnCluster: the queue's keys respect Redis Cluster hash slots: the
// round trip and a take-over work against a three-shard cluster.
func TestOnCluster(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	cl := redistest.StartCluster(t)
	opts, err := redis.ParseClusterURL(cl.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(opts)
	defer rdb.Close()
	sc := &fakeScanner{}
	w, err := NewWorker(WorkerConfig{Redis: rdb, Scanner: sc, Visibility: 2 * time.Second, Block: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c, err := NewClient(context.Background(), ClientConfig{Redis: rdb, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 5 {
		res, err := scan(t, c, sandbox.Request{URL: "https://shard.example/" + string(rune('a'+i))})
		if err != nil || res.Verdict.Level != verdict.Clean {
			t.Fatalf("job %d on the cluster: %+v %v", i, res, err)
		}
	}
	if err := c.Ready(); err != nil {
		t.Errorf("Ready on the cluster: %v", err)
	}
}
