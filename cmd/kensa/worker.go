package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/internal/logging"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
	"github.com/kensa-mail/kensa/sandbox/remote"
)

// WorkerSection is the `worker:` part of the config file. The zero value of
// every field is its default (defaults.go, docs/kensa.example.yaml). The
// judging policy (own_domains, oauth_allowed_clients) is the serve
// section's: one policy, whichever process judges.
type WorkerSection struct {
	RedisSettings `yaml:",inline"` // the same Redis as serve's
	// Listen is HOST:PORT for /metrics, /healthz and /readyz; default
	// 127.0.0.1:9106.
	Listen string `yaml:"listen"`
	Tabs   int    `yaml:"tabs"` // jobs (Chromium tabs) at once; default 2
	// RenderTimeout bounds one job (both renders); default 25s.
	RenderTimeout time.Duration `yaml:"render_timeout"`
	// VisibilityTimeout: a job held by a worker that stopped renewing its
	// claim (it died) goes to another worker after this; default 30s.
	VisibilityTimeout time.Duration `yaml:"visibility_timeout"`
	// MaxAttempts: a job started this many times without an answer ends
	// as unknown; default 3.
	MaxAttempts     int           `yaml:"max_attempts"`
	Name            string        `yaml:"name"`             // consumer name; default HOST-PID-RANDOM
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // jobs in hand may finish; default 30s
	Chromium        string        `yaml:"chromium"`
}

// WorkerConfig is the configuration of `kensa worker`: the worker section,
// the judging policy of the serve section, and the test flags.
type WorkerConfig struct {
	Worker       WorkerSection
	OwnDomains   []string // serve.own_domains
	OAuthAllowed []string // serve.oauth_allowed_clients
	LogFormat    string
	LogLevel     string
	// Flags only, never from a file: the tests.
	TestMapHosts  string
	TestTrustSPKI string
}

func (c *WorkerConfig) useFile(f *fileConfig) {
	c.Worker = f.Worker
	c.OwnDomains, c.OAuthAllowed = f.Serve.OwnDomains, f.Serve.OAuthAllowed
	c.LogFormat, c.LogLevel = f.LogFormat, f.LogLevel
}

func (c *WorkerConfig) settings() []setting {
	w := &c.Worker
	s := []setting{
		{env: "KENSA_LOG_FORMAT", v: stringValue{&c.LogFormat}},
		{env: "KENSA_LOG_LEVEL", v: stringValue{&c.LogLevel}},
	}
	s = append(s, w.RedisSettings.settings("of the render queue (the click proxies' Redis)")...)
	return append(s, []setting{
		{flag: "listen", env: "KENSA_WORKER_LISTEN", v: stringValue{&w.Listen}, usage: "`HOST:PORT` for /metrics, /healthz and /readyz (default " + defaultWorkerListen + ")"},
		{flag: "tabs", env: "KENSA_TABS", v: intValue{&w.Tabs}, usage: "jobs rendered at once (default 2)"},
		{flag: "render-timeout", env: "KENSA_RENDER_TIMEOUT", v: durationValue{&w.RenderTimeout}, usage: "bound of one job, both renders (default 25s)"},
		{flag: "visibility-timeout", env: "KENSA_VISIBILITY_TIMEOUT", v: durationValue{&w.VisibilityTimeout}, usage: "a dead worker's job goes to another after this (default 30s)"},
		{flag: "max-attempts", env: "KENSA_MAX_ATTEMPTS", v: intValue{&w.MaxAttempts}, usage: "starts of a job before it ends as unknown (default 3)"},
		{flag: "name", env: "KENSA_WORKER_NAME", v: stringValue{&w.Name}, usage: "consumer `NAME` in the queue's group (default HOST-PID-RANDOM)"},
		{flag: "chromium", env: "KENSA_CHROMIUM", v: stringValue{&w.Chromium}, usage: "Chromium executable `PATH` (default Debian's)"},
		{flag: "test-map-hosts", v: stringValue{&c.TestMapHosts}, usage: "TEST ONLY: the sandbox connects every host name to this loopback `HOST:PORT`"},
		{flag: "test-trust-spki", v: stringValue{&c.TestTrustSPKI}, usage: "TEST ONLY, with --test-map-hosts: the SPKI `HASH` of the test server's certificate"},
	}...)
}

func (c *WorkerConfig) readSecrets(readFile func(string) ([]byte, error)) []error {
	if err := c.Worker.readSecret("worker", readFile); err != nil {
		return []error{err}
	}
	return nil
}

// Validate reports every problem at once.
func (c *WorkerConfig) Validate() error {
	w := &c.Worker
	errs := w.RedisSettings.validate("worker", ": the click proxies' Redis")
	if w.Listen != "" {
		if _, _, err := net.SplitHostPort(w.Listen); err != nil {
			errs = append(errs, fmt.Errorf("worker.listen %q: want HOST:PORT", w.Listen))
		}
	}
	for _, n := range []struct {
		key      string
		negative bool
	}{
		{"tabs", w.Tabs < 0}, {"render_timeout", w.RenderTimeout < 0}, {"visibility_timeout", w.VisibilityTimeout < 0},
		{"max_attempts", w.MaxAttempts < 0}, {"shutdown_timeout", w.ShutdownTimeout < 0},
	} {
		if n.negative {
			errs = append(errs, fmt.Errorf("worker.%s must not be negative", n.key))
		}
	}
	if w.VisibilityTimeout > 0 && w.VisibilityTimeout < time.Second {
		errs = append(errs, fmt.Errorf("worker.visibility_timeout %v: at least 1s (a live worker renews its claim every fifth of it)", w.VisibilityTimeout))
	}
	for _, a := range c.OAuthAllowed {
		if p, id, ok := strings.Cut(a, ":"); !ok || p == "" || id == "" {
			errs = append(errs, fmt.Errorf("serve.oauth_allowed_clients %q: want provider:client_id", a))
		}
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("log_format %q: want json or console", c.LogFormat))
	}
	if c.TestMapHosts != "" {
		_, err := parseTestMapHosts(c.TestMapHosts)
		errs = append(errs, err)
	}
	if c.TestTrustSPKI != "" && c.TestMapHosts == "" {
		errs = append(errs, errors.New("--test-trust-spki needs --test-map-hosts"))
	}
	return errors.Join(errs...)
}

// perRender is the deadline of one render: a job is up to two.
func (c WorkerConfig) perRender() time.Duration { return c.Worker.RenderTimeout / 2 }

// runWorker is `kensa worker`: a sandbox worker of the render queue, with
// its own Chromium pool.
func runWorker(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	var cfg WorkerConfig
	if err := load("worker", &cfg, args, stderr, ""); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	format := logging.Format(cfg.LogFormat)
	if format == "" {
		format = logging.ForTerminal()
	}
	log, err := logging.New(stderr, format, cfg.LogLevel)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()

	redis.SetLogger(redisLogger{log})
	rdb, err := cfg.Worker.client("worker")
	if err != nil {
		return invalidConfig(err)
	}
	defer rdb.Close()

	sb, err := newWorkerSandbox(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sb.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w, err := remote.NewWorker(remote.WorkerConfig{
		Redis: rdb, Scanner: sb, Name: cfg.Worker.Name, Concurrency: cfg.Worker.Tabs,
		RenderTimeout: cfg.Worker.RenderTimeout, Visibility: cfg.Worker.VisibilityTimeout, MaxAttempts: cfg.Worker.MaxAttempts,
		Log: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	hs, err := serveWorkerHTTP(cfg.Worker.Listen, reg, rdb, sb, log)
	if err != nil {
		return err
	}
	log.Info("kensa worker", zap.String("name", w.Name()), zap.String("listen", cfg.Worker.Listen))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-ctx.Done()
	log.Info("shutting down; finishing jobs in hand", zap.Duration("timeout", cfg.Worker.ShutdownTimeout))
	select {
	case <-done:
	case <-time.After(cfg.Worker.ShutdownTimeout):
		log.Warn("jobs still running at shutdown; other workers take them over")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	return nil
}

// newWorkerSandbox starts the worker's Chromium pool behind its egress
// proxy, as serve does for --sandbox=local.
func newWorkerSandbox(ctx context.Context, cfg WorkerConfig, log *zap.Logger) (*inprocess.InProcess, error) {
	return newSandbox(ctx, sandboxSettings{
		Chromium: cfg.Worker.Chromium, Tabs: cfg.Worker.Tabs, PerRender: cfg.perRender(),
		OwnDomains: cfg.OwnDomains, OAuthAllowed: cfg.OAuthAllowed,
		TestMapHosts: cfg.TestMapHosts, TestTrustSPKI: cfg.TestTrustSPKI,
	}, log)
}

// serveWorkerHTTP serves /metrics, /healthz and /readyz (Redis answers and
// Chromium can render) on addr.
func serveWorkerHTTP(addr string, reg *prometheus.Registry, rdb redis.UniversalClient, sb *inprocess.InProcess, log *zap.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("worker listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		var problems []string
		if err := rdb.Ping(ctx).Err(); err != nil {
			problems = append(problems, "redis: unreachable")
		}
		if err := sb.Ready(); err != nil {
			problems = append(problems, "sandbox: not ready")
		}
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, strings.Join(problems, "\n")+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	log.Info("worker http listening", zap.String("addr", ln.Addr().String()))
	return hs, nil
}
