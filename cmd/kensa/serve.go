package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/kensa-mail/kensa/clickproxy"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/fair"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
	"github.com/kensa-mail/kensa/sandbox/remote"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// ServeSection is the `serve:` part of the config file. The zero value of
// every field is its default (defaults.go, docs/kensa.example.yaml).
type ServeSection struct {
	Listen        string `yaml:"listen"` // HOST:PORT; default 127.0.0.1:8080
	RedisSettings `yaml:",inline"`
	APITokenFile  string        `yaml:"api_token_file"` // bearer tokens, one per line
	Wait          time.Duration `yaml:"wait"`           // before the "checking" page; default 3s
	// RenderTimeout bounds one destination's check, both renders; default 25s.
	RenderTimeout time.Duration `yaml:"render_timeout"`
	Tabs          int           `yaml:"tabs"` // concurrent renders; default 2
	// The file says proceed_suspicious and proceed_unknown (default true);
	// here the zero value is the default, so the fields say the opposite.
	DenyProceedSuspicious denyBool `yaml:"proceed_suspicious"`
	DenyProceedUnknown    denyBool `yaml:"proceed_unknown"`
	Unknown               string   `yaml:"unknown"`          // warn (default), block or redirect
	TrustedOneTime        []string `yaml:"trusted_one_time"` // nil: clickproxy.DefaultTrustedOneTime; []: none
	OwnDomains            []string `yaml:"own_domains"`
	OAuthAllowed          []string `yaml:"oauth_allowed_clients"` // provider:client_id
	ScannerRanges         []string `yaml:"scanner_ranges"`
	// Rate limits per client network (an IPv4 address, an IPv6 /64):
	// requests per second and burst. 0: clickproxy's default; a negative
	// rate: no limit.
	ClickRate  float64 `yaml:"click_rate"`  // every route but the API; default 20
	ClickBurst int     `yaml:"click_burst"` // default 40, or twice click_rate when that is set
	APIRate    float64 `yaml:"api_rate"`    // the API; default 5
	APIBurst   int     `yaml:"api_burst"`   // default 10, or twice api_rate when that is set
	// The browser extension's hover checks (GET /api/v1/check), limited
	// per API token instead of per network, and the extension origins
	// allowed to call it ("chrome-extension://ID"; no wildcard).
	CheckRate         float64  `yaml:"check_rate"`  // default 10
	CheckBurst        int      `yaml:"check_burst"` // default 40, or twice check_rate when that is set
	ExtensionOrigins  []string `yaml:"extension_origins"`
	TrustProxyHeaders bool     `yaml:"trust_proxy_headers"`
	MetricsPublic     bool     `yaml:"metrics_public"` // /metrics for every client, not only loopback
	ClickLog          string   `yaml:"click_log"`      // file for the click JSON lines; default stdout
	ClickStreamMaxLen int64    `yaml:"click_stream_maxlen"`
	// The SOC (issue 13). ClickRetention: how long clicks stay searchable
	// in Redis (and condemnations, message records); default 30 days.
	// ClickArchiveDir: rotated daily JSON-line archives of the click
	// stream, kept ClickArchiveKeep (default: forever).
	ClickRetention   time.Duration `yaml:"click_retention"`
	ClickArchiveDir  string        `yaml:"click_archive_dir"`
	ClickArchiveKeep time.Duration `yaml:"click_archive_keep"`
	// The scheduled re-check of recently clicked clean URLs: every
	// recheck_every (default 1h; negative: off), the URLs clicked within
	// recheck_window (default 24h), at most recheck_max (default 50).
	RecheckEvery  time.Duration `yaml:"recheck_every"`
	RecheckWindow time.Duration `yaml:"recheck_window"`
	RecheckMax    int           `yaml:"recheck_max"`
	// ReportWebhook receives each user report as JSON (https, or http to
	// loopback); ReportWebhookTimeout bounds a delivery (default 5s).
	ReportWebhook        string        `yaml:"report_webhook"`
	ReportWebhookTimeout time.Duration `yaml:"report_webhook_timeout"`
	// The SOC console (docs/console.md).
	SessionTTL      time.Duration `yaml:"session_ttl"`      // a console sign-in; default 8h
	InsecureCookies bool          `yaml:"insecure_cookies"` // session cookie without Secure: plain http on a loopback listen address only
	LoginRate       float64       `yaml:"login_rate"`       // sign-in attempts per second per client network and per email; default 0.2
	LoginBurst      int           `yaml:"login_burst"`      // default 5
	PrincipalRate   float64       `yaml:"principal_rate"`   // API and console requests per second per token or signed-in user; default 10
	PrincipalBurst  int           `yaml:"principal_burst"`  // default 20
	// ShutdownTimeout is how long clicks in flight may finish; default 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Chromium        string        `yaml:"chromium"`
	// Sandbox is where links are rendered: "local" (default: Chromium in
	// this process, one machine) or "remote" (jobs on the Redis render
	// queue, rendered by `kensa worker`s).
	Sandbox string `yaml:"sandbox"`
	// RemoteInflight bounds this replica's jobs on the queue at once with
	// sandbox remote; more wait in its fair queue; default 32.
	RemoteInflight int `yaml:"remote_inflight"`
}

// denyBool is a bool that the config file states the other way round:
// `proceed_suspicious: false` sets DenyProceedSuspicious, and an absent key
// leaves the zero value: users may proceed.
type denyBool bool

func (d *denyBool) UnmarshalYAML(n *yaml.Node) error {
	var allow bool
	if err := n.Decode(&allow); err != nil {
		return err
	}
	*d = denyBool(!allow)
	return nil
}

// ServeConfig is the configuration of `kensa serve`: the top level of the
// config file, its serve section, and two flags for tests.
type ServeConfig struct {
	Common
	Serve ServeSection
	// Flags only, never from a file: `make run` and the tests.
	TestMapHosts  string // a loopback HOST:PORT the sandbox connects every host name to
	TestTrustSPKI string // with TestMapHosts: the test server's certificate's SPKI hash
	// PprofListen: Go's profiler (net/http/pprof) on this loopback
	// HOST:PORT, for profiling the click path under load (make bench);
	// off by default, flag only, never on the click port.
	PprofListen string

	// Secrets from the files the config names (readSecrets); the Redis
	// URL's is in Serve.RedisSettings.
	apiTokens []string
}

func (c *ServeConfig) useFile(f *fileConfig) { c.Common, c.Serve = f.Common, f.Serve }

func (c *ServeConfig) settings() []setting {
	s := append(c.Common.settings(),
		setting{flag: "listen", env: "KENSA_LISTEN", v: stringValue{&c.Serve.Listen}, usage: "`HOST:PORT` to serve clicks on (default " + defaultServeListen + ")"})
	s = append(s, c.Serve.RedisSettings.settings("of clicks, verdicts and the console, e.g. redis://127.0.0.1:6379/0")...)
	return append(s,
		setting{flag: "api-token-file", env: "KENSA_API_TOKEN_FILE", v: stringValue{&c.Serve.APITokenFile}, usage: "`FILE` of API bearer tokens, one per line"},
		setting{flag: "click-rate", env: "KENSA_CLICK_RATE", v: floatValue{&c.Serve.ClickRate}, usage: "requests per second per client network on every route but the API (default 20; negative: no limit)"},
		setting{flag: "click-burst", env: "KENSA_CLICK_BURST", v: intValue{&c.Serve.ClickBurst}, usage: "burst of --click-rate (default 40)"},
		setting{flag: "api-rate", env: "KENSA_API_RATE", v: floatValue{&c.Serve.APIRate}, usage: "API requests per second per client network (default 5; negative: no limit)"},
		setting{flag: "api-burst", env: "KENSA_API_BURST", v: intValue{&c.Serve.APIBurst}, usage: "burst of --api-rate (default 10)"},
		setting{flag: "insecure-cookies", env: "KENSA_INSECURE_COOKIES", v: boolValue{&c.Serve.InsecureCookies}, usage: "console session cookie without Secure, for plain http on a loopback --listen only (make run)"},
		setting{flag: "wait", env: "KENSA_WAIT", v: durationValue{&c.Serve.Wait}, usage: "how long a click waits for a new verdict before the checking page (default 3s)"},
		setting{flag: "render-timeout", env: "KENSA_RENDER_TIMEOUT", v: durationValue{&c.Serve.RenderTimeout}, usage: "bound of one destination's check, both renders (default 25s)"},
		setting{flag: "trust-proxy-headers", env: "KENSA_TRUST_PROXY_HEADERS", v: boolValue{&c.Serve.TrustProxyHeaders}, usage: "take the client address from X-Forwarded-For (only behind a proxy that replaces it)"},
		setting{flag: "sandbox", env: "KENSA_SANDBOX", v: stringValue{&c.Serve.Sandbox}, usage: "where links are rendered: local (Chromium in this process, default) or remote (the Redis render queue and kensa worker)"},
		setting{flag: "remote-inflight", env: "KENSA_REMOTE_INFLIGHT", v: intValue{&c.Serve.RemoteInflight}, usage: "with --sandbox=remote: this replica's jobs on the queue at once (default 32)"},
		setting{flag: "test-map-hosts", v: stringValue{&c.TestMapHosts}, usage: "TEST ONLY: the sandbox connects every host name to this loopback `HOST:PORT`"},
		setting{flag: "test-trust-spki", v: stringValue{&c.TestTrustSPKI}, usage: "TEST ONLY, with --test-map-hosts: the SPKI `HASH` (base64 SHA-256) of the test server's certificate, accepted despite errors"},
		setting{flag: "pprof-listen", v: stringValue{&c.PprofListen}, usage: "serve Go's profiler (/debug/pprof/) on this loopback `HOST:PORT`, apart from the click port (off by default)"},
	)
}

// readSecrets reads the Redis URL and the API tokens from their files;
// Validate checks what it read.
func (c *ServeConfig) readSecrets(readFile func(string) ([]byte, error)) []error {
	var errs []error
	if err := c.Serve.readSecret("serve", readFile); err != nil {
		errs = append(errs, err)
	}
	if c.Serve.APITokenFile != "" {
		b, err := readFile(c.Serve.APITokenFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("serve.api_token_file: %w", err))
		}
		c.apiTokens = parseAPITokens(b)
	}
	return errs
}

// parseAPITokens returns the tokens of an API token file: one per line;
// blank lines and lines starting with # are skipped.
func parseAPITokens(b []byte) []string {
	var tokens []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			tokens = append(tokens, l)
		}
	}
	return tokens
}

// Validate reports every problem at once. It is pure: the secrets are in
// the config already (readSecrets), and no message repeats one.
func (c *ServeConfig) Validate() error {
	s := &c.Serve
	errs := []error{c.Common.Validate()}
	if s.Listen != "" {
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			errs = append(errs, fmt.Errorf("serve.listen %q: want HOST:PORT", s.Listen))
		}
	}
	errs = append(errs, s.RedisSettings.validate("serve", ", e.g. redis://127.0.0.1:6379/0")...)
	for _, t := range c.apiTokens {
		if len(t) < 16 {
			errs = append(errs, errors.New("serve.api_token_file: a token is shorter than 16 characters"))
		}
	}
	switch s.Unknown {
	case "", "warn", "block", "redirect":
	default:
		errs = append(errs, fmt.Errorf("serve.unknown %q: want warn, block or redirect", s.Unknown))
	}
	for _, n := range []struct {
		key      string
		negative bool
	}{
		{"wait", s.Wait < 0}, {"render_timeout", s.RenderTimeout < 0}, {"shutdown_timeout", s.ShutdownTimeout < 0},
		{"tabs", s.Tabs < 0}, {"click_stream_maxlen", s.ClickStreamMaxLen < 0},
		{"click_retention", s.ClickRetention < 0}, {"click_archive_keep", s.ClickArchiveKeep < 0},
		{"recheck_window", s.RecheckWindow < 0}, {"recheck_max", s.RecheckMax < 0}, {"report_webhook_timeout", s.ReportWebhookTimeout < 0},
		{"session_ttl", s.SessionTTL < 0}, {"login_burst", s.LoginBurst < 0}, {"principal_burst", s.PrincipalBurst < 0},
		{"click_burst", s.ClickBurst < 0}, {"api_burst", s.APIBurst < 0}, {"remote_inflight", s.RemoteInflight < 0}, {"check_burst", s.CheckBurst < 0},
	} {
		if n.negative {
			errs = append(errs, fmt.Errorf("serve.%s must not be negative", n.key))
		}
	}
	for _, r := range []struct {
		key  string
		rate float64
	}{{"click_rate", s.ClickRate}, {"api_rate", s.APIRate}, {"login_rate", s.LoginRate}, {"principal_rate", s.PrincipalRate}, {"check_rate", s.CheckRate}} {
		if math.IsNaN(r.rate) || math.IsInf(r.rate, 0) {
			errs = append(errs, fmt.Errorf("serve.%s: want a number of requests per second", r.key))
		}
	}
	if s.InsecureCookies && !loopbackListen(cmp.Or(s.Listen, defaultServeListen)) {
		errs = append(errs, fmt.Errorf("serve.insecure_cookies: only for a loopback listen address, not %q (a session cookie without Secure would cross the network in clear)", cmp.Or(s.Listen, defaultServeListen)))
	}
	if s.RecheckEvery > 0 && s.RecheckEvery < time.Minute {
		errs = append(errs, fmt.Errorf("serve.recheck_every %v: at least 1m (negative: off)", s.RecheckEvery))
	}
	if s.ClickArchiveKeep > 0 && s.ClickArchiveKeep < s.ClickRetention {
		errs = append(errs, fmt.Errorf("serve.click_archive_keep %v is shorter than serve.click_retention %v: archives would go first", s.ClickArchiveKeep, s.ClickRetention))
	}
	if err := (clickproxy.ReportConfig{Webhook: s.ReportWebhook, Timeout: s.ReportWebhookTimeout}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("serve.%w", err))
	}
	if _, err := clickproxy.ParseRanges(strings.Join(s.ScannerRanges, ",")); err != nil {
		errs = append(errs, fmt.Errorf("serve.scanner_ranges: %w", err))
	}
	for _, a := range s.OAuthAllowed {
		if p, id, ok := strings.Cut(a, ":"); !ok || p == "" || id == "" {
			errs = append(errs, fmt.Errorf("serve.oauth_allowed_clients %q: want provider:client_id", a))
		}
	}
	switch s.Sandbox {
	case "", "local":
	case "remote":
		// The render runs on the workers: their settings, not these.
		if c.TestMapHosts != "" || c.TestTrustSPKI != "" {
			errs = append(errs, errors.New("--test-map-hosts and --test-trust-spki act on the sandbox: with serve.sandbox remote, give them to kensa worker"))
		}
		if s.Chromium != "" {
			errs = append(errs, errors.New("serve.chromium: with serve.sandbox remote, Chromium runs in kensa worker (worker.chromium)"))
		}
	default:
		errs = append(errs, fmt.Errorf("serve.sandbox %q: want local or remote", s.Sandbox))
	}
	for _, o := range s.ExtensionOrigins {
		if err := clickproxy.ValidExtensionOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("serve.extension_origins: %w", err))
		}
	}
	if c.TestMapHosts != "" {
		_, err := parseTestMapHosts(c.TestMapHosts)
		errs = append(errs, err)
	}
	if c.TestTrustSPKI != "" && c.TestMapHosts == "" {
		errs = append(errs, errors.New("--test-trust-spki needs --test-map-hosts"))
	}
	if c.PprofListen != "" && !loopbackListen(c.PprofListen) {
		errs = append(errs, fmt.Errorf("--pprof-listen %q: must be a loopback HOST:PORT such as 127.0.0.1:6060 (the profiler shows the process's memory)", c.PprofListen))
	}
	return errors.Join(errs...)
}

// loopbackListen reports whether a listen address is on loopback only.
func loopbackListen(hostport string) bool {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// parseTestMapHosts parses --test-map-hosts: a loopback HOST:PORT only.
func parseTestMapHosts(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().IsLoopback() {
		return netip.AddrPort{}, fmt.Errorf("--test-map-hosts %q: must be a loopback HOST:PORT such as 127.0.0.1:8081", s)
	}
	return ap, nil
}

// runServe is `kensa serve`: the click proxy, with the sandbox in process
// or the render queue (serve.sandbox).
func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg ServeConfig
	if err := load("serve", &cfg, args, stderr, ""); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	log, err := cfg.logger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()
	var cleanup closers
	defer cleanup.close()
	hs, srv, events, err := buildServe(ctx, cfg, stdout, log, &cleanup)
	if err != nil {
		return err
	}
	if cfg.PprofListen != "" {
		stop, err := servePprof(cfg.PprofListen, log)
		if err != nil {
			return err
		}
		cleanup.add(stop)
	}
	return serveClicks(ctx, cfg, hs, srv, events, log)
}

// servePprof serves net/http/pprof's handlers on addr (--pprof-listen,
// loopback only: Validate) with their own mux, so that nothing else
// registered on http.DefaultServeMux is exposed.
func servePprof(addr string, log *zap.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Warn("Go profiler listening (--pprof-listen)", zap.String("addr", ln.Addr().String()))
	go hs.Serve(ln)
	return func() { hs.Close() }, nil
}

// closers run in reverse order, like defers.
type closers []func()

func (c *closers) add(f func()) { *c = append(*c, f) }

func (c closers) close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// buildServe builds what `kensa serve` runs: the link codec, Redis, the click
// log, the sandbox, the click proxy and its HTTP server. What needs closing
// is added to cleanup.
func buildServe(ctx context.Context, cfg ServeConfig, stdout io.Writer, log *zap.Logger, cleanup *closers) (*fasthttp.Server, *clickproxy.Server, *clicklog.Log, error) {
	codec, keyring, err := cfg.codec(log)
	if err != nil {
		return nil, nil, nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rdb, err := newRedis(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup.add(func() { rdb.Close() })
	events, err := openClickLog(cfg, stdout, rdb, log, reg, cleanup)
	if err != nil {
		return nil, nil, nil, err
	}
	sb, slots, err := newServeScanner(ctx, cfg, rdb, log)
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup.add(func() { sb.Close() })
	ranges, _ := clickproxy.ParseRanges(strings.Join(cfg.Serve.ScannerRanges, ",")) // checked by Validate
	// Renders are shared fairly between destinations' domains, so one flood
	// of links cannot starve everyone's clicks (sandbox/fair).
	scanner := fair.New(sb, fair.Config{Slots: slots})
	srv, err := clickproxy.New(clickproxy.Config{
		Codec: codec, Keyring: keyring, Redis: rdb, Scanner: scanner, Events: events, Policy: clickPolicy(cfg.Serve),
		Wait: cfg.Serve.Wait, RenderTimeout: cfg.Serve.RenderTimeout, APITokens: cfg.apiTokens,
		Scanners: clickproxy.ScannerHints{Ranges: ranges}, TrustProxyHeaders: cfg.Serve.TrustProxyHeaders,
		ClickLimit:     clickproxy.RateLimit{Rate: cfg.Serve.ClickRate, Burst: cfg.Serve.ClickBurst},
		APILimit:       clickproxy.RateLimit{Rate: cfg.Serve.APIRate, Burst: cfg.Serve.APIBurst},
		LoginLimit:     clickproxy.RateLimit{Rate: cfg.Serve.LoginRate, Burst: cfg.Serve.LoginBurst},
		PrincipalLimit: clickproxy.RateLimit{Rate: cfg.Serve.PrincipalRate, Burst: cfg.Serve.PrincipalBurst},
		CheckLimit:     clickproxy.RateLimit{Rate: cfg.Serve.CheckRate, Burst: cfg.Serve.CheckBurst}, ExtensionOrigins: cfg.Serve.ExtensionOrigins,
		SessionTTL: cfg.Serve.SessionTTL, InsecureCookies: cfg.Serve.InsecureCookies,
		Log: log, Registerer: reg, Gatherer: reg, MetricsPublic: cfg.Serve.MetricsPublic,
		Retention: cfg.Serve.ClickRetention,
		Recheck:   clickproxy.Recheck{Every: cfg.Serve.RecheckEvery, Window: cfg.Serve.RecheckWindow, Max: cfg.Serve.RecheckMax},
		Reports:   clickproxy.ReportConfig{Webhook: cfg.Serve.ReportWebhook, Timeout: cfg.Serve.ReportWebhookTimeout},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup.add(func() { srv.Close() })
	return newClickServer(srv), srv, events, nil
}

// newRedis returns the Redis client; Validate checked its URL.
func newRedis(cfg ServeConfig, log *zap.Logger) (redis.UniversalClient, error) {
	redis.SetLogger(redisLogger{log})
	rdb, err := cfg.Serve.client("serve")
	if err != nil {
		return nil, err
	}
	return rdb, nil
}

// openClickLog opens the click log: JSON lines to serve.click_log (default
// stdout) and to the daily archives of serve.click_archive_dir, and the
// Redis stream. SIGHUP reopens both files (after logrotate).
func openClickLog(cfg ServeConfig, stdout io.Writer, rdb redis.UniversalClient, log *zap.Logger, reg prometheus.Registerer, cleanup *closers) (*clicklog.Log, error) {
	clickFile := zapcore.AddSync(stdout)
	var reopen []func() error
	if cfg.Serve.ClickLog != "" {
		f, err := clicklog.OpenFile(cfg.Serve.ClickLog)
		if err != nil {
			return nil, fmt.Errorf("click log: %w", err)
		}
		cleanup.add(func() { f.Close() })
		clickFile, reopen = f, append(reopen, f.Reopen)
	}
	if cfg.Serve.ClickArchiveDir != "" {
		a, err := clicklog.NewArchive(cfg.Serve.ClickArchiveDir, cfg.Serve.ClickArchiveKeep, nil)
		if err != nil {
			return nil, fmt.Errorf("click archive: %w", err)
		}
		cleanup.add(func() { a.Close() })
		clickFile, reopen = zapcore.NewMultiWriteSyncer(clickFile, a), append(reopen, a.Reopen)
	}
	// The JSON click lines are written in batches (at most 256 KiB or
	// 200 ms apart) rather than one write per click; the Redis stream is
	// the durable copy, and shutdown flushes and fsyncs.
	// QUIRK: BufferedWriteSyncer's timer calls the file's Sync (fsync)
	// every interval while holding the lock every Write takes: each click
	// waited for the disk 5 times a second (the p99 of make bench). The
	// timer's flush hands the lines to the kernel; fsync is for shutdown.
	clickOut := &zapcore.BufferedWriteSyncer{WS: flushOnly{clickFile}, Size: 256 << 10, FlushInterval: 200 * time.Millisecond}
	cleanup.add(func() {
		clickOut.Stop()
		clickFile.Sync()
	})
	if len(reopen) > 0 {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		done := make(chan struct{})
		cleanup.add(func() { signal.Stop(hup); close(done) })
		go func() {
			for {
				select {
				case <-done:
					return
				case <-hup:
					clickOut.Sync()
					for _, r := range reopen {
						if err := r(); err != nil {
							log.Error("click log not reopened", zap.Error(err))
						}
					}
					log.Info("click log files reopened (SIGHUP)")
				}
			}
		}()
	}
	return clicklog.New(clicklog.Config{
		Redis: rdb, MaxLen: cfg.Serve.ClickStreamMaxLen, Retention: cfg.Serve.ClickRetention,
		Lines: clickOut, ErrLog: log, Registerer: reg,
	})
}

// flushOnly is a WriteSyncer whose Sync does nothing: what was written is
// with the kernel, which writes it out (openClickLog).
type flushOnly struct{ zapcore.WriteSyncer }

func (flushOnly) Sync() error { return nil }

// closingScanner is a sandbox.Scanner that serve closes at shutdown.
type closingScanner interface {
	sandbox.Scanner
	Close() error
}

// newServeScanner returns the scanner of serve.sandbox and how many scans
// it runs at once: Chromium in this process (local), or the render queue
// (remote), whose workers render.
func newServeScanner(ctx context.Context, cfg ServeConfig, rdb redis.UniversalClient, log *zap.Logger) (closingScanner, int, error) {
	if cfg.Serve.Sandbox == "remote" {
		c, err := remote.NewClient(ctx, remote.ClientConfig{Redis: rdb, Timeout: cfg.Serve.RenderTimeout, Log: log})
		if err != nil {
			return nil, 0, err
		}
		log.Info("renders go to the render queue (kensa worker)", zap.String("stream", remote.KeyStream))
		return c, cfg.Serve.RemoteInflight, nil
	}
	sb, err := newServeSandbox(ctx, cfg, log)
	return sb, cfg.Serve.Tabs, err
}

// newServeSandbox starts the in-process sandbox.
func newServeSandbox(ctx context.Context, cfg ServeConfig, log *zap.Logger) (*inprocess.InProcess, error) {
	return newSandbox(ctx, sandboxSettings{
		Chromium: cfg.Serve.Chromium, Tabs: cfg.Serve.Tabs,
		// A destination's check is up to two renders (the second with the
		// other mobile browser when the first looks empty): perRender.
		PerRender:  cfg.perRender(),
		OwnDomains: cfg.Serve.OwnDomains, OAuthAllowed: cfg.Serve.OAuthAllowed,
		TestMapHosts: cfg.TestMapHosts, TestTrustSPKI: cfg.TestTrustSPKI,
	}, log)
}

// sandboxSettings are what serve (--sandbox=local) and worker start their
// in-process sandbox with: the same settings in either section.
type sandboxSettings struct {
	Chromium                    string
	Tabs                        int
	PerRender                   time.Duration
	OwnDomains, OAuthAllowed    []string
	TestMapHosts, TestTrustSPKI string // checked by Validate
}

// newSandbox starts Chromium behind its egress proxy with the judging
// policy.
func newSandbox(ctx context.Context, s sandboxSettings, log *zap.Logger) (*inprocess.InProcess, error) {
	allowed := map[string]bool{}
	for _, a := range s.OAuthAllowed {
		allowed[a] = true
	}
	var mapTo netip.AddrPort
	if s.TestMapHosts != "" {
		mapTo, _ = parseTestMapHosts(s.TestMapHosts) // checked by Validate
	}
	var trustSPKI []string
	if s.TestTrustSPKI != "" {
		trustSPKI = []string{s.TestTrustSPKI}
	}
	sb, err := inprocess.New(ctx, inprocess.Config{
		Browser:       browser.Config{ExecPath: s.Chromium, Concurrency: s.Tabs, RenderTimeout: s.PerRender},
		Policy:        rules.Policy{OwnDomains: s.OwnDomains, OAuth: rules.OAuthPolicy{AllowedClients: allowed}},
		TestMapHosts:  mapTo,
		TestTrustSPKI: trustSPKI,
		Log:           log,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return sb, nil
}

// clickPolicy is the click proxy's policy from the serve section.
func clickPolicy(s ServeSection) clickproxy.Policy {
	pol := clickproxy.Policy{
		DenyProceedSuspicious: bool(s.DenyProceedSuspicious),
		DenyProceedUnknown:    bool(s.DenyProceedUnknown),
		Unknown:               s.Unknown,
		TrustedOneTime:        clickproxy.DefaultTrustedOneTime,
	}
	if s.TrustedOneTime != nil {
		pol.TrustedOneTime = s.TrustedOneTime
	}
	return pol
}

// newClickServer is the HTTP server of the click port; the click proxy
// routes every path, /metrics included.
func newClickServer(srv *clickproxy.Server) *fasthttp.Server {
	hs := &fasthttp.Server{
		Handler:                       srv.Handler(),
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
	return hs
}

// serveClicks serves clicks until ctx ends, then lets the clicks in flight
// finish (up to serve.shutdown_timeout) and flushes the click log.
func serveClicks(ctx context.Context, cfg ServeConfig, hs *fasthttp.Server, srv *clickproxy.Server, events *clicklog.Log, log *zap.Logger) error {
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
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
	log.Info("shutting down; finishing clicks in flight", zap.Duration("timeout", cfg.Serve.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Serve.ShutdownTimeout)
	defer cancel()
	// One deadline for all of it: the clicks in flight, the click proxy's
	// background work (renders, re-checks, webhooks), then the click log.
	if err := hs.ShutdownWithContext(sctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	// The click log gets what is left, and at least 5 s: its events are
	// the record of clicks already answered.
	lctx, lcancel := context.WithTimeout(context.Background(), max(time.Until(deadline(sctx)), 5*time.Second))
	defer lcancel()
	if err := events.Close(lctx); err != nil {
		log.Warn("click log not fully flushed", zap.Error(err))
	}
	st := events.Stats()
	log.Info("stopped", zap.Int64("events", st.Emitted), zap.Int64("written", st.Written), zap.Int64("dropped", st.Dropped))
	return nil
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// redisLogger sends go-redis's own messages (reconnects, pool errors) to
// zap at debug level: the click path counts Redis errors in
// kensa_redis_errors_total and logs what matters itself, and a Redis outage
// must not flood the log with a line per attempt.
type redisLogger struct{ log *zap.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}
