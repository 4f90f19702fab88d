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
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/rewriter/milter"
)

// milterSection is the `milter:` part of the config file.
type milterSection struct {
	// Listen is "inet:HOST:PORT", "HOST:PORT" or "unix:/path/to.sock".
	Listen string `yaml:"listen"`
	// MetricsListen is HOST:PORT for /metrics; empty turns it off.
	MetricsListen     string        `yaml:"metrics_listen"`
	TrustedAuthservID string        `yaml:"trusted_authserv_id"`
	SkipSignedBy      []string      `yaml:"skip_signed_by"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
}

// milterConfig is the configuration of `kensa milter`: the rewriter's, plus
// the milter section.
type milterConfig struct {
	rewriteConfig
	milterSection
	network, address string
}

func (c *milterConfig) Validate() error {
	errs := []error{c.rewriteConfig.Validate()}
	var err error
	c.network, c.address, err = parseListen(c.Listen)
	if err != nil {
		errs = append(errs, err)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("milter.metrics_listen %q: want HOST:PORT", c.MetricsListen))
		}
	}
	if len(c.SkipSignedBy) > 0 && c.TrustedAuthservID == "" {
		errs = append(errs, errors.New("milter.skip_signed_by needs milter.trusted_authserv_id: only your own verifier's Authentication-Results can be trusted"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("milter.shutdown_timeout must not be negative"))
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

// runMilter serves the milter until SIGINT or SIGTERM, then finishes the
// messages in flight (up to shutdown_timeout) and exits.
func runMilter(ctx context.Context, args []string, _ io.Reader, _ io.Writer, stderr io.Writer) error {
	fs := newFlagSet("milter", stderr)
	configFile := fs.String("config", "", "YAML config file (see README)")
	listen := fs.String("listen", "", "where Postfix connects: inet:HOST:PORT or unix:/path")
	metricsListen := fs.String("metrics-listen", "", "HOST:PORT for Prometheus /metrics")
	baseURL := fs.String("base-url", "", "the click proxy's base URL")
	keyFile := fs.String("key-file", "", "link-signing key file (kensa keygen)")
	file, err := parseWithConfig(fs, args, configFile)
	if err != nil {
		return err
	}
	cfg := milterConfig{rewriteConfig: file.rewriteConfig, milterSection: file.Milter}
	cfg.fromEnv()
	setFromEnv(&cfg.Listen, "KENSA_MILTER_LISTEN")
	setFromEnv(&cfg.MetricsListen, "KENSA_METRICS_LISTEN")
	setIfGiven(&cfg.BaseURL, *baseURL)
	setIfGiven(&cfg.KeyFile, *keyFile)
	setIfGiven(&cfg.Listen, *listen)
	setIfGiven(&cfg.MetricsListen, *metricsListen)
	if err := cfg.Validate(); err != nil {
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
	srv, err := milter.Start(cfg.network, cfg.address, milter.Config{
		Codec:             cfg.codec,
		Policy:            cfg.Policy,
		TrustedAuthservID: cfg.TrustedAuthservID,
		SkipSignedBy:      cfg.SkipSignedBy,
		Log:               log,
		Metrics:           milter.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	log.Info("milter listening", zap.String("addr", srv.Addr().String()), zap.String("base_url", cfg.BaseURL))

	var metricsSrv *http.Server
	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go metricsSrv.Serve(ln)
		log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	}

	<-ctx.Done()
	log.Info("shutting down; finishing messages in flight", zap.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
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
