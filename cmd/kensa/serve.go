package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kensa-mail/kensa/clickproxy"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// serveSection is the `serve:` part of the config file.
type serveSection struct {
	Listen            string        `yaml:"listen"`         // HOST:PORT; default 127.0.0.1:8080
	Redis             string        `yaml:"redis"`          // redis://HOST:PORT/DB
	APITokenFile      string        `yaml:"api_token_file"` // bearer tokens, one per line
	Wait              time.Duration `yaml:"wait"`           // before the "checking" page; default 3s
	RenderTimeout     time.Duration `yaml:"render_timeout"` // one destination, both renders; default 25s
	Tabs              int           `yaml:"tabs"`           // concurrent renders; default 2
	ProceedSuspicious *bool         `yaml:"proceed_suspicious"`
	ProceedUnknown    *bool         `yaml:"proceed_unknown"`
	Unknown           string        `yaml:"unknown"` // warn, block or redirect
	TrustedOneTime    []string      `yaml:"trusted_one_time"`
	OwnDomains        []string      `yaml:"own_domains"`
	OAuthAllowed      []string      `yaml:"oauth_allowed_clients"` // provider:client_id
	ScannerRanges     []string      `yaml:"scanner_ranges"`
	TrustProxyHeaders bool          `yaml:"trust_proxy_headers"`
	MetricsPublic     bool          `yaml:"metrics_public"` // /metrics for every client, not only loopback
	ClickLog          string        `yaml:"click_log"`      // file for the click JSON lines; default stdout
	ClickStreamMaxLen int64         `yaml:"click_stream_maxlen"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	Chromium          string        `yaml:"chromium"`
}

type serveConfig struct {
	rewriteConfig
	serveSection
	testMapHosts  netip.AddrPort // flags only: never from a file
	testTrustSPKI []string

	keyring   *linktoken.Keyring
	redisOpts *redis.Options
	apiTokens []string
	ranges    []netip.Prefix
}

// Validate reports every problem at once.
func (c *serveConfig) Validate() error {
	errs := []error{c.rewriteConfig.Validate()}
	if c.KeyFile != "" {
		if kr, err := linktoken.LoadKeyring(c.KeyFile); err == nil {
			c.keyring = kr
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("serve.listen %q: want HOST:PORT", c.Listen))
	}
	if c.Redis == "" {
		errs = append(errs, errors.New("serve.redis (--redis, KENSA_REDIS_URL) is required, e.g. redis://127.0.0.1:6379/0"))
	} else if o, err := redis.ParseURL(c.Redis); err != nil {
		errs = append(errs, fmt.Errorf("serve.redis: %w", err))
	} else {
		c.redisOpts = o
	}
	if c.APITokenFile != "" {
		b, err := os.ReadFile(c.APITokenFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("serve.api_token_file: %w", err))
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				if len(l) < 16 {
					errs = append(errs, errors.New("serve.api_token_file: a token is shorter than 16 characters"))
					continue
				}
				c.apiTokens = append(c.apiTokens, l)
			}
		}
	}
	switch c.Unknown {
	case "", "warn", "block", "redirect":
	default:
		errs = append(errs, fmt.Errorf("serve.unknown %q: want warn, block or redirect", c.Unknown))
	}
	if c.Wait < 0 || c.RenderTimeout < 0 || c.ShutdownTimeout < 0 || c.Tabs < 0 {
		errs = append(errs, errors.New("serve: wait, render_timeout, shutdown_timeout and tabs must not be negative"))
	}
	r, err := clickproxy.ParseRanges(strings.Join(c.ScannerRanges, ","))
	if err != nil {
		errs = append(errs, fmt.Errorf("serve.scanner_ranges: %w", err))
	}
	c.ranges = r
	for _, a := range c.OAuthAllowed {
		if p, id, ok := strings.Cut(a, ":"); !ok || p == "" || id == "" {
			errs = append(errs, fmt.Errorf("serve.oauth_allowed_clients %q: want provider:client_id", a))
		}
	}
	return errors.Join(errs...)
}

// runServe is `kensa serve`: the click proxy with the sandbox in process.
func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	configFile := fs.String("config", "", "YAML config file (see README)")
	listen := fs.String("listen", "", "HOST:PORT to serve clicks on (default 127.0.0.1:8080)")
	redisURL := fs.String("redis", "", "Redis URL, e.g. redis://127.0.0.1:6379/0")
	baseURL := fs.String("base-url", "", "the base URL rewritten links point at")
	keyFile := fs.String("key-file", "", "link-signing key file (kensa keygen)")
	apiTokens := fs.String("api-token-file", "", "file of API bearer tokens, one per line")
	testMap := fs.String("test-map-hosts", "", "TEST ONLY: the sandbox connects every host name to this loopback HOST:PORT")
	testSPKI := fs.String("test-trust-spki", "", "TEST ONLY, with --test-map-hosts: the SPKI hash (base64 SHA-256) of the test server's certificate, accepted despite errors")
	file, err := parseWithConfig(fs, args, configFile)
	if err != nil {
		return err
	}
	cfg := serveConfig{rewriteConfig: file.rewriteConfig, serveSection: file.Serve}
	cfg.fromEnv()
	setFromEnv(&cfg.Listen, "KENSA_LISTEN")
	setFromEnv(&cfg.Redis, "KENSA_REDIS_URL")
	setFromEnv(&cfg.APITokenFile, "KENSA_API_TOKEN_FILE")
	setIfGiven(&cfg.BaseURL, *baseURL)
	setIfGiven(&cfg.KeyFile, *keyFile)
	setIfGiven(&cfg.Listen, *listen)
	setIfGiven(&cfg.Redis, *redisURL)
	setIfGiven(&cfg.APITokenFile, *apiTokens)
	var errs []error
	if *testMap != "" {
		ap, err := netip.ParseAddrPort(*testMap)
		if err != nil || !ap.Addr().IsLoopback() {
			errs = append(errs, fmt.Errorf("--test-map-hosts %q: must be a loopback HOST:PORT such as 127.0.0.1:8081", *testMap))
		}
		cfg.testMapHosts = ap
	}
	if *testSPKI != "" {
		if *testMap == "" {
			errs = append(errs, errors.New("--test-trust-spki needs --test-map-hosts"))
		}
		cfg.testTrustSPKI = []string{*testSPKI}
	}
	if err := errors.Join(append(errs, cfg.Validate())...); err != nil {
		return invalidConfig(err)
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	redis.SetLogger(redisLogger{log})
	// The click path gives Redis 500 ms per call through its context; without
	// this option go-redis ignores context deadlines on socket reads and a
	// slow Redis would hold every click for ReadTimeout.
	cfg.redisOpts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(cfg.redisOpts)
	defer rdb.Close()

	clickFile := zapcore.AddSync(stdout)
	if cfg.ClickLog != "" {
		f, err := os.OpenFile(cfg.ClickLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			return fmt.Errorf("click log: %w", err)
		}
		defer f.Close()
		clickFile = f
	}
	// The JSON click lines are written in batches (at most 256 KiB or
	// 200 ms apart) rather than one write per click; the Redis stream is
	// the durable copy, and shutdown flushes.
	clickOut := &zapcore.BufferedWriteSyncer{WS: clickFile, Size: 256 << 10, FlushInterval: 200 * time.Millisecond}
	defer clickOut.Stop()
	events, err := clicklog.New(clicklog.Config{
		Redis: rdb, MaxLen: cfg.ClickStreamMaxLen, Log: clicklog.NewZap(clickOut), ErrLog: log, Registerer: reg,
	})
	if err != nil {
		return err
	}

	allowed := map[string]bool{}
	for _, a := range cfg.OAuthAllowed {
		allowed[a] = true
	}
	tabs := cfg.Tabs
	if tabs == 0 {
		tabs = 2
	}
	// A destination's check is up to two renders (the second with the other
	// mobile browser when the first looks empty).
	perRender := 10 * time.Second
	if cfg.RenderTimeout > 0 {
		perRender = cfg.RenderTimeout / 2
	}
	sb, err := inprocess.New(ctx, inprocess.Config{
		Browser:       browser.Config{ExecPath: cfg.Chromium, Concurrency: tabs, RenderTimeout: perRender},
		Policy:        rules.Policy{OwnDomains: cfg.OwnDomains, OAuth: rules.OAuthPolicy{AllowedClients: allowed}},
		TestMapHosts:  cfg.testMapHosts,
		TestTrustSPKI: cfg.testTrustSPKI,
		Log:           log,
	})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sb.Close()

	pol := clickproxy.Policy{Unknown: cfg.Unknown, TrustedOneTime: clickproxy.DefaultTrustedOneTime}
	if cfg.ProceedSuspicious != nil {
		pol.DenyProceedSuspicious = !*cfg.ProceedSuspicious
	}
	if cfg.ProceedUnknown != nil {
		pol.DenyProceedUnknown = !*cfg.ProceedUnknown
	}
	if cfg.TrustedOneTime != nil {
		pol.TrustedOneTime = cfg.TrustedOneTime
	}
	srv, err := clickproxy.New(clickproxy.Config{
		Codec: cfg.codec, Keyring: cfg.keyring, Redis: rdb, Scanner: sb, Events: events, Policy: pol,
		Wait: cfg.Wait, RenderTimeout: cfg.RenderTimeout, APITokens: cfg.apiTokens,
		Scanners: clickproxy.ScannerHints{Ranges: cfg.ranges}, TrustProxyHeaders: cfg.TrustProxyHeaders,
		Log: log, Registerer: reg, Gatherer: reg, MetricsPublic: cfg.MetricsPublic,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	hs := &fasthttp.Server{
		Handler:                       srv.Handler(), // every route, /metrics included
		Name:                          "kensa",
		NoDefaultServerHeader:         true,
		Concurrency:                   20_000,
		ReadTimeout:                   10 * time.Second,
		WriteTimeout:                  35 * time.Second, // a click may wait for a render
		IdleTimeout:                   60 * time.Second,
		MaxRequestBodySize:            64 << 10,
		ReadBufferSize:                8 << 10,
		MaxConnsPerIP:                 0,
		DisablePreParseMultipartForm:  true,
		CloseOnShutdown:               true,
		DisableHeaderNamesNormalizing: false,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	log.Info("kensa serve listening", zap.String("addr", ln.Addr().String()), zap.String("base_url", cfg.BaseURL),
		zap.Int("api_tokens", len(cfg.apiTokens)))
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing clicks in flight", zap.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.ShutdownWithContext(sctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	if err := events.Close(sctx); err != nil {
		log.Warn("click log not fully flushed", zap.Error(err))
	}
	st := events.Stats()
	log.Info("stopped", zap.Int64("events", st.Emitted), zap.Int64("written", st.Written), zap.Int64("dropped", st.Dropped))
	return nil
}

// redisLogger sends go-redis's own messages (reconnects, pool errors) to
// zap at debug level: the click path counts Redis errors in
// kensa_redis_errors_total and logs what matters itself, and a Redis outage
// must not flood the log with a line per attempt.
type redisLogger struct{ log *zap.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}
