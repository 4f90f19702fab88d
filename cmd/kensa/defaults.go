package main

import (
	"cmp"
	"time"
)

// The defaults that cmd/kensa fills, all in one place. In the typed configs
// the zero value means the default; withDefaults, below, fills it in just
// before a subcommand runs, so Validate and the tests see what the user set.
//
// The components fill their own defaults for the settings they are passed
// as zero, and docs/kensa.example.yaml names them: clickproxy serve.wait (3s)
// and serve.render_timeout (25s), clicklog serve.click_stream_maxlen
// (1,000,000), the browser serve.chromium (Debian's), and clickproxy's
// serve.unknown ("warn"), serve.trusted_one_time
// (clickproxy.DefaultTrustedOneTime), serve.click_rate and click_burst
// (clickproxy.DefaultClickLimit: 20/s, 40) and serve.api_rate and
// api_burst (clickproxy.DefaultAPILimit: 5/s, 10).
const (
	defaultLogLevel        = "info"
	defaultServeListen     = "127.0.0.1:8080"
	defaultShutdownTimeout = 30 * time.Second // milter and serve
	defaultTabs            = 2
	// defaultPerRender bounds one render when serve.render_timeout is
	// unset; with it set, a render gets half (a check is up to two).
	defaultPerRender = 10 * time.Second
	defaultScanLang  = "ja-JP"
	// kensa worker, and serve --sandbox=remote.
	defaultWorkerListen   = "127.0.0.1:9106"
	defaultRenderTimeout  = 25 * time.Second // clickproxy's default too
	defaultSandbox        = "local"
	defaultRemoteInflight = 32
	defaultScanTimeout    = 10 * time.Second
)

func (c Common) withDefaults() Common {
	c.LogLevel = cmp.Or(c.LogLevel, defaultLogLevel)
	return c
}

func (c MilterConfig) withDefaults() MilterConfig {
	c.Common = c.Common.withDefaults()
	c.Milter.ShutdownTimeout = cmp.Or(c.Milter.ShutdownTimeout, defaultShutdownTimeout)
	return c
}

func (c ServeConfig) withDefaults() ServeConfig {
	c.Common = c.Common.withDefaults()
	c.Serve.Listen = cmp.Or(c.Serve.Listen, defaultServeListen)
	c.Serve.ShutdownTimeout = cmp.Or(c.Serve.ShutdownTimeout, defaultShutdownTimeout)
	c.Serve.Tabs = cmp.Or(c.Serve.Tabs, defaultTabs)
	c.Serve.Sandbox = cmp.Or(c.Serve.Sandbox, defaultSandbox)
	c.Serve.RemoteInflight = cmp.Or(c.Serve.RemoteInflight, defaultRemoteInflight)
	return c
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	c.LogLevel = cmp.Or(c.LogLevel, defaultLogLevel)
	c.Worker.Listen = cmp.Or(c.Worker.Listen, defaultWorkerListen)
	c.Worker.Tabs = cmp.Or(c.Worker.Tabs, defaultTabs)
	c.Worker.RenderTimeout = cmp.Or(c.Worker.RenderTimeout, defaultRenderTimeout)
	c.Worker.ShutdownTimeout = cmp.Or(c.Worker.ShutdownTimeout, defaultShutdownTimeout)
	// visibility_timeout and max_attempts: sandbox/remote's defaults (30s, 3).
	return c
}

// perRender is the deadline of one render.
func (c ServeConfig) perRender() time.Duration {
	if c.Serve.RenderTimeout > 0 {
		return c.Serve.RenderTimeout / 2
	}
	return defaultPerRender
}

func (c ScanConfig) withDefaults() ScanConfig {
	c.Lang = cmp.Or(c.Lang, defaultScanLang)
	c.Timeout = cmp.Or(c.Timeout, defaultScanTimeout)
	return c
}
