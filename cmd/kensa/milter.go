package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/rewriter/milter"
)

// MilterSection is the `milter:` part of the config file.
type MilterSection struct {
	// Listen is "inet:HOST:PORT", "HOST:PORT" or "unix:/path/to.sock".
	Listen string `yaml:"listen"`
	// MetricsListen is HOST:PORT for /metrics; empty turns it off.
	MetricsListen     string        `yaml:"metrics_listen"`
	TrustedAuthservID string        `yaml:"trusted_authserv_id"`
	SkipSignedBy      []string      `yaml:"skip_signed_by"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"` // default 30s
	// Redis, if set, receives a record of each rewritten message (its
	// Message-ID and recipients under the digest its links carry) for
	// MessageRetention (default 720h: serve.click_retention's default),
	// so that the SOC API joins a click to its mail by Message-ID.
	// Without it the "message rewritten" log line has the same.
	Redis            string        `yaml:"redis"`
	MessageRetention time.Duration `yaml:"message_retention"`
}

// MilterConfig is the configuration of `kensa milter`: the top level of the
// config file and its milter section.
type MilterConfig struct {
	Common
	Milter MilterSection
}

func (c *MilterConfig) useFile(f *fileConfig) { c.Common, c.Milter = f.Common, f.Milter }

func (c *MilterConfig) settings() []setting {
	return append(c.Common.settings(),
		setting{flag: "listen", env: "KENSA_MILTER_LISTEN", v: stringValue{&c.Milter.Listen}, usage: "where Postfix connects: `inet:HOST:PORT` or unix:/path"},
		setting{flag: "metrics-listen", env: "KENSA_METRICS_LISTEN", v: stringValue{&c.Milter.MetricsListen}, usage: "`HOST:PORT` for Prometheus /metrics"},
	)
}

// Validate reports every problem at once; it is pure.
func (c *MilterConfig) Validate() error {
	errs := []error{c.Common.Validate()}
	if _, _, err := parseListen(c.Milter.Listen); err != nil {
		errs = append(errs, err)
	}
	if c.Milter.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.Milter.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("milter.metrics_listen %q: want HOST:PORT", c.Milter.MetricsListen))
		}
	}
	if len(c.Milter.SkipSignedBy) > 0 && c.Milter.TrustedAuthservID == "" {
		errs = append(errs, errors.New("milter.skip_signed_by needs milter.trusted_authserv_id: only your own verifier's Authentication-Results can be trusted"))
	}
	if c.Milter.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("milter.shutdown_timeout must not be negative"))
	}
	if c.Milter.MessageRetention < 0 {
		errs = append(errs, errors.New("milter.message_retention must not be negative"))
	}
	if c.Milter.Redis != "" {
		if _, err := redis.ParseURL(c.Milter.Redis); err != nil {
			errs = append(errs, fmt.Errorf("milter.redis %s: want redis://[:PASSWORD@]HOST:PORT/DB", redactURL(c.Milter.Redis)))
		}
	}
	return errors.Join(errs...)
}

func parseListen(s string) (network, address string, err error) {
	switch {
	case s == "":
		return "", "", errors.New("milter.listen (--listen, KENSA_MILTER_LISTEN) is required, e.g. inet:127.0.0.1:10035 or unix:/run/kensa/milter.sock")
	case strings.HasPrefix(s, "unix:"):
		if p := strings.TrimPrefix(s, "unix:"); p != "" {
			return "unix", p, nil
		}
	default:
		a := strings.TrimPrefix(s, "inet:")
		if _, _, err := net.SplitHostPort(a); err == nil {
			return "tcp", a, nil
		}
	}
	return "", "", fmt.Errorf("milter.listen %q: want inet:HOST:PORT, HOST:PORT or unix:/path", s)
}

// milterGCPercent is kensa milter's GOGC unless the environment sets one.
const milterGCPercent = 400

// runMilter serves the milter until SIGINT or SIGTERM, then finishes the
// messages in flight (up to shutdown_timeout) and exits.
func runMilter(ctx context.Context, args []string, _ io.Reader, _ io.Writer, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		// A milter's live heap is small and every message makes a few
		// hundred KB of garbage, so at Go's default (100) the collector
		// ran every few messages: about a sixth of the milter's CPU in
		// the issue 12 profiles, and a quarter of that at 400. The heap
		// stays tens of MB. GOGC in the environment overrides this.
		debug.SetGCPercent(milterGCPercent)
	}
	var cfg MilterConfig
	if err := load("milter", &cfg, args, stderr, ""); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	log, err := cfg.logger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()
	codec, _, err := cfg.codec(log)
	if err != nil {
		return err
	}
	network, address, _ := parseListen(cfg.Milter.Listen) // checked by Validate

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var rewritten func(string, string, []string, int)
	if cfg.Milter.Redis != "" {
		opts, _ := redis.ParseURL(cfg.Milter.Redis) // checked by Validate
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		ttl := cmp.Or(cfg.Milter.MessageRetention, 30*24*time.Hour)
		rewritten = func(digest, id string, rcpts []string, links int) {
			rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond) // mail must not wait on Redis
			defer cancel()
			mi := api.MessageInfo{Digest: digest, MessageID: id, Recipients: rcpts, Time: time.Now().UTC(), Links: links}
			if err := clickproxy.RecordMessage(rctx, rdb, mi, ttl); err != nil {
				log.Warn("message record not saved (the log line has it)", zap.String("kensa.message_digest", digest), zap.Error(err))
			}
		}
	}
	srv, err := milter.Start(network, address, milter.Config{
		Rewritten:         rewritten,
		Codec:             codec,
		Policy:            cfg.Policy,
		TrustedAuthservID: cfg.Milter.TrustedAuthservID,
		SkipSignedBy:      cfg.Milter.SkipSignedBy,
		Log:               log,
		Metrics:           milter.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	log.Info("milter listening", zap.String("addr", srv.Addr().String()), zap.String("base_url", cfg.BaseURL))
	metricsSrv, err := serveMilterMetrics(cfg.Milter.MetricsListen, reg, log)
	if err != nil {
		srv.Close()
		return err
	}

	<-ctx.Done()
	log.Info("shutting down; finishing messages in flight", zap.Duration("timeout", cfg.Milter.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Milter.ShutdownTimeout)
	defer cancel()
	if metricsSrv != nil {
		metricsSrv.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serveMilterMetrics serves /metrics on addr; an empty addr turns it off
// (nil server).
func serveMilterMetrics(addr string, reg *prometheus.Registry, log *zap.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	return srv, nil
}
