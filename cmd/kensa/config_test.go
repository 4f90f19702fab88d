package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy"
	"github.com/kensa-mail/kensa/rewriter"
	"go.uber.org/zap/zapcore"
)

// validCommon is a Common that validates.
func validCommon() Common {
	return Common{BaseURL: "https://k.example", KeyFile: "/etc/kensa/keys.json"}
}

// checkValidate runs Validate and checks that the error mentions every
// string of want, and that it is nil when want is empty.
func checkValidate(t *testing.T, name string, cfg config, want ...string) {
	t.Helper()
	err := cfg.Validate()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: valid, want errors about %q", name, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error does not mention %q:\n%v", name, w, err)
		}
	}
}

func TestCommonValidate(t *testing.T) {
	check := func(name string, edit func(c *Common), want ...string) {
		t.Helper()
		c := validCommon()
		edit(&c)
		checkValidate(t, name, &RewriteConfig{Common: c}, want...)
	}
	check("valid", func(c *Common) {})
	check("zero value", func(c *Common) { *c = Common{} }, "base_url", "key_file")
	check("base_url not http", func(c *Common) { c.BaseURL = "ftp://k.example" }, "base_url")
	check("base_url without host", func(c *Common) { c.BaseURL = "https://" }, "base_url")
	check("policy", func(c *Common) { c.Policy = rewriter.Policy{NeverRewrite: []string{"nodot"}, MaxMessageBytes: -1} }, "nodot", "max_message_bytes")
	check("log_format", func(c *Common) { c.LogFormat = "xml" }, "log_format")
	check("log_level", func(c *Common) { c.LogLevel = "loud" }, "log_level")
	check("log settings", func(c *Common) { c.LogFormat, c.LogLevel = "console", "debug" })
	// Every problem at once.
	check("all", func(c *Common) { *c = Common{LogFormat: "xml", LogLevel: "loud"} }, "base_url", "key_file", "log_format", "log_level")
}

func TestMilterValidate(t *testing.T) {
	check := func(name string, edit func(s *MilterSection), want ...string) {
		t.Helper()
		c := MilterConfig{Common: validCommon(), Milter: MilterSection{Listen: "inet:127.0.0.1:10035"}}
		edit(&c.Milter)
		checkValidate(t, name, &c, want...)
	}
	check("valid", func(s *MilterSection) {})
	check("unix socket", func(s *MilterSection) { s.Listen = "unix:/run/kensa/milter.sock" })
	check("no listen", func(s *MilterSection) { s.Listen = "" }, "milter.listen", "required")
	check("bad listen", func(s *MilterSection) { s.Listen = "nowhere" }, "milter.listen")
	check("metrics_listen", func(s *MilterSection) { s.MetricsListen = "nope" }, "milter.metrics_listen")
	check("skip_signed_by alone", func(s *MilterSection) { s.SkipSignedBy = []string{"p.example"} }, "trusted_authserv_id")
	check("negative shutdown", func(s *MilterSection) { s.ShutdownTimeout = -time.Second }, "shutdown_timeout")
}

func TestServeValidate(t *testing.T) {
	check := func(name string, edit func(c *ServeConfig), want ...string) {
		t.Helper()
		c := ServeConfig{Common: validCommon(), Serve: ServeSection{RedisSettings: RedisSettings{Redis: "redis://127.0.0.1:6379/0"}}}
		edit(&c)
		checkValidate(t, name, &c, want...)
	}
	check("valid", func(c *ServeConfig) {})
	check("listen", func(c *ServeConfig) { c.Serve.Listen = "nowhere" }, "serve.listen")
	check("no redis", func(c *ServeConfig) { c.Serve.Redis = "" }, "serve.redis", "redis_url_file", "required")
	check("redis from file", func(c *ServeConfig) {
		c.Serve.Redis, c.Serve.RedisURLFile, c.Serve.fromFile = "", "/run/secrets/redis", "redis://:pw@127.0.0.1:6379/0"
	})
	check("redis twice", func(c *ServeConfig) { c.Serve.RedisURLFile = "/run/secrets/redis" }, "both set")
	check("redis scheme", func(c *ServeConfig) { c.Serve.Redis = "mysql://x" }, "serve.redis")
	check("short token", func(c *ServeConfig) { c.apiTokens = []string{"0123456789abcdef", "short"} }, "shorter than 16")
	check("unknown", func(c *ServeConfig) { c.Serve.Unknown = "maybe" }, "serve.unknown")
	check("negative", func(c *ServeConfig) {
		c.Serve.Wait, c.Serve.RenderTimeout, c.Serve.ShutdownTimeout, c.Serve.Tabs, c.Serve.ClickStreamMaxLen = -1, -1, -1, -1, -1
		c.Serve.ClickBurst, c.Serve.APIBurst = -1, -1
	}, "serve.wait", "serve.render_timeout", "serve.shutdown_timeout", "serve.tabs", "serve.click_stream_maxlen", "serve.click_burst", "serve.api_burst")
	check("rates", func(c *ServeConfig) { c.Serve.ClickRate, c.Serve.APIRate = math.NaN(), math.Inf(1) }, "serve.click_rate", "serve.api_rate")
	check("no limits", func(c *ServeConfig) { c.Serve.ClickRate, c.Serve.APIRate = -1, -1 })
	check("insecure cookies on loopback", func(c *ServeConfig) { c.Serve.InsecureCookies = true })
	check("insecure cookies on ::1", func(c *ServeConfig) { c.Serve.InsecureCookies, c.Serve.Listen = true, "[::1]:8080" })
	check("insecure cookies on a network", func(c *ServeConfig) { c.Serve.InsecureCookies, c.Serve.Listen = true, "0.0.0.0:8080" }, "serve.insecure_cookies", "loopback")
	check("console negatives", func(c *ServeConfig) {
		c.Serve.SessionTTL, c.Serve.LoginBurst, c.Serve.PrincipalBurst, c.Serve.LoginRate, c.Serve.PrincipalRate = -1, -1, -1, math.NaN(), math.Inf(-1)
	}, "serve.session_ttl", "serve.login_burst", "serve.principal_burst", "serve.login_rate", "serve.principal_rate")
	check("scanner_ranges", func(c *ServeConfig) { c.Serve.ScannerRanges = []string{"10.0.0.0/33"} }, "scanner_ranges")
	check("extension origins", func(c *ServeConfig) {
		c.Serve.ExtensionOrigins = []string{"*", "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
	}, "serve.extension_origins", `"*"`)
	check("check limits", func(c *ServeConfig) { c.Serve.CheckRate, c.Serve.CheckBurst = math.NaN(), -1 }, "serve.check_rate", "serve.check_burst")
	check("oauth", func(c *ServeConfig) { c.Serve.OAuthAllowed = []string{"nocolon", "google:"} }, `"nocolon"`, `"google:"`)
	check("test map", func(c *ServeConfig) { c.TestMapHosts = "192.0.2.1:80" }, "--test-map-hosts", "loopback")
	check("test map loopback", func(c *ServeConfig) { c.TestMapHosts, c.TestTrustSPKI = "127.0.0.1:8443", "abc=" })
	check("spki alone", func(c *ServeConfig) { c.TestTrustSPKI = "abc=" }, "--test-trust-spki needs --test-map-hosts")
	check("pprof on loopback", func(c *ServeConfig) { c.PprofListen = "127.0.0.1:6060" })
	check("pprof on a network", func(c *ServeConfig) { c.PprofListen = "0.0.0.0:6060" }, "--pprof-listen", "loopback")
	check("redis cluster", func(c *ServeConfig) {
		c.Serve.RedisMode, c.Serve.Redis = "cluster", "redis://:pw@10.0.0.1:6379?addr=10.0.0.2:6379&addr=10.0.0.3:6379"
	})
	check("redis sentinel", func(c *ServeConfig) {
		c.Serve.RedisMode, c.Serve.Redis = "sentinel", "redis://10.0.0.1:26379?addr=10.0.0.2:26379&master_name=kensa"
	})
	check("sentinel without master", func(c *ServeConfig) { c.Serve.RedisMode = "sentinel" }, "master_name")
	check("redis mode", func(c *ServeConfig) { c.Serve.RedisMode = "replicated" }, "serve.redis_mode")
	check("redis mode without url", func(c *ServeConfig) { c.Serve.RedisMode, c.Serve.Redis = "replicated", "" }, "serve.redis_mode", "required")
	check("sandbox remote", func(c *ServeConfig) { c.Serve.Sandbox = "remote" })
	check("sandbox local", func(c *ServeConfig) { c.Serve.Sandbox = "local"; c.Serve.Chromium = "/usr/bin/chromium" })
	check("sandbox other", func(c *ServeConfig) { c.Serve.Sandbox = "cloud" }, "serve.sandbox", "local or remote")
	check("remote with sandbox settings", func(c *ServeConfig) {
		c.Serve.Sandbox, c.Serve.Chromium, c.TestMapHosts, c.Serve.RemoteInflight = "remote", "/usr/bin/chromium", "127.0.0.1:1", -1
	}, "give them to kensa worker", "worker.chromium", "serve.remote_inflight")
	// Common's problems come too, with the serve section's.
	check("all", func(c *ServeConfig) { c.BaseURL, c.Serve.Unknown = "", "x" }, "base_url", "serve.unknown")
}

func TestWorkerValidate(t *testing.T) {
	check := func(name string, edit func(c *WorkerConfig), want ...string) {
		t.Helper()
		c := WorkerConfig{Worker: WorkerSection{RedisSettings: RedisSettings{Redis: "redis://127.0.0.1:6379/0"}}}
		edit(&c)
		checkValidate(t, name, &c, want...)
	}
	check("valid", func(c *WorkerConfig) {})
	check("no redis", func(c *WorkerConfig) { c.Worker.Redis = "" }, "worker.redis", "required")
	check("redis from file", func(c *WorkerConfig) {
		c.Worker.Redis, c.Worker.RedisURLFile, c.Worker.fromFile = "", "/run/secrets/redis", "redis://:pw@127.0.0.1:6379/0"
	})
	check("redis twice", func(c *WorkerConfig) { c.Worker.RedisURLFile = "/run/secrets/redis" }, "both set")
	check("redis scheme", func(c *WorkerConfig) { c.Worker.Redis = "mysql://x" }, "worker.redis")
	check("redis cluster", func(c *WorkerConfig) { c.Worker.RedisMode = "cluster" })
	check("redis mode", func(c *WorkerConfig) { c.Worker.RedisMode = "replicated" }, "worker.redis_mode")
	// Every problem at once.
	check("all", func(c *WorkerConfig) {
		c.Worker.Listen, c.Worker.Tabs, c.Worker.RenderTimeout, c.Worker.MaxAttempts, c.Worker.ShutdownTimeout = "x", -1, -1, -1, -1
		c.Worker.VisibilityTimeout = 10 * time.Millisecond
		c.OAuthAllowed, c.LogFormat, c.TestTrustSPKI = []string{"nocolon"}, "xml", "abc="
	}, "worker.listen", "worker.tabs", "worker.render_timeout", "worker.max_attempts", "worker.shutdown_timeout",
		"worker.visibility_timeout", `"nocolon"`, "log_format", "--test-trust-spki needs")
	check("test map", func(c *WorkerConfig) { c.TestMapHosts = "192.0.2.1:80" }, "--test-map-hosts", "loopback")
}

// A Redis URL can hold a password: no message shows it.
func TestRedisPasswordNeverShown(t *testing.T) {
	for _, u := range []string{"mysql://:s3cret@host/0", "redis://:s3cret@host:6379/x", "redis://u:s3cret@ho st/0", "redis://:s3cret@[::1/0", "::s3cret"} {
		c := ServeConfig{Common: validCommon(), Serve: ServeSection{RedisSettings: RedisSettings{Redis: u}}}
		err := c.Validate()
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: %v", u, err)
		}
	}
}

func TestScanDecodeKeygenValidate(t *testing.T) {
	checkValidate(t, "scan", &ScanConfig{args: []string{"https://x.example/"}})
	checkValidate(t, "scan no URL", &ScanConfig{}, "want exactly one URL")
	checkValidate(t, "scan two URLs", &ScanConfig{args: []string{"a", "b"}, TestMapHosts: "192.0.2.1:1", Timeout: -1},
		"want exactly one URL, got 2", "loopback", "--timeout")
	checkValidate(t, "scan trust without map", &ScanConfig{args: []string{"https://x.app/"}, TestTrustSPKI: "abc="}, "--test-trust-spki needs --test-map-hosts")
	checkValidate(t, "scan trust with map", &ScanConfig{args: []string{"https://x.app/"}, TestMapHosts: "127.0.0.1:1", TestTrustSPKI: "abc="})
	checkValidate(t, "decode", &DecodeConfig{KeyFile: "k", args: []string{"https://k.example/k/x"}})
	checkValidate(t, "decode nothing", &DecodeConfig{}, "one link", "--key-file")
	checkValidate(t, "keygen", &KeygenConfig{})
	checkValidate(t, "keygen both", &KeygenConfig{Add: "a", Out: "b"}, "--add and --out")
}

// TestDefaults: the zero value means the default.
func TestDefaults(t *testing.T) {
	s := ServeConfig{}.withDefaults()
	if s.Serve.Listen != defaultServeListen || s.Serve.ShutdownTimeout != defaultShutdownTimeout || s.Serve.Tabs != defaultTabs || s.LogLevel != defaultLogLevel {
		t.Errorf("serve defaults: %+v", s)
	}
	if p := clickPolicy(ServeSection{}); p.DenyProceedSuspicious || p.DenyProceedUnknown || len(p.TrustedOneTime) != len(clickproxy.DefaultTrustedOneTime) {
		t.Errorf("zero serve section: policy %+v", p)
	}
	if p := (ServeConfig{}).perRender(); p != defaultPerRender {
		t.Errorf("perRender %v", p)
	}
	if m := (MilterConfig{}).withDefaults(); m.Milter.ShutdownTimeout != defaultShutdownTimeout {
		t.Errorf("milter defaults: %+v", m)
	}
	if sc := (ScanConfig{}).withDefaults(); sc.Lang != defaultScanLang || sc.Timeout != defaultScanTimeout {
		t.Errorf("scan defaults: %+v", sc)
	}
	if s.Serve.Sandbox != "local" || s.Serve.RemoteInflight != defaultRemoteInflight {
		t.Errorf("serve sandbox defaults: %+v", s.Serve)
	}
	if w := (WorkerConfig{}).withDefaults(); w.Worker.Listen != defaultWorkerListen || w.Worker.Tabs != defaultTabs ||
		w.Worker.RenderTimeout != defaultRenderTimeout || w.Worker.ShutdownTimeout != defaultShutdownTimeout || w.perRender() != defaultRenderTimeout/2 {
		t.Errorf("worker defaults: %+v", w)
	}
	set := ServeConfig{Serve: ServeSection{Listen: "[::1]:1", Tabs: 5, RenderTimeout: 30 * time.Second}}.withDefaults()
	if set.Serve.Listen != "[::1]:1" || set.Serve.Tabs != 5 || set.perRender() != 15*time.Second {
		t.Errorf("set values kept: %+v", set)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadLayers: defaults, then the file, then KENSA_* variables, then
// flags; the YAML proceed_* keys keep their sense.
func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	secret := writeFile(t, dir, "redis-url", "redis://:pw@127.0.0.1:6390/1\n")
	tokens := writeFile(t, dir, "tokens", "# SOC\n0123456789abcdef\n\nfedcba9876543210\n")
	file := writeFile(t, dir, "kensa.yaml", `
base_url: https://file.example
key_file: /file/keys.json
log_level: debug
serve:
  listen: 127.0.0.1:1001
  redis_url_file: `+secret+`
  api_token_file: `+tokens+`
  proceed_suspicious: false
  wait: 2s
  click_rate: 50
  api_burst: 3
milter:
  listen: inet:127.0.0.1:1002
`)
	t.Setenv("KENSA_BASE_URL", "https://env.example")
	t.Setenv("KENSA_LISTEN", "127.0.0.1:2001")
	t.Setenv("KENSA_KEY_FILE", "")
	t.Setenv("KENSA_REDIS_URL", "")
	t.Setenv("KENSA_REDIS_URL_FILE", "")
	t.Setenv("KENSA_API_TOKEN_FILE", "")
	t.Setenv("KENSA_LOG_LEVEL", "")
	t.Setenv("KENSA_CLICK_BURST", "80")
	t.Setenv("KENSA_API_RATE", "2.5")
	var cfg ServeConfig
	if err := load("serve", &cfg, []string{"--config", file, "--listen", "127.0.0.1:3001", "--api-rate", "1.5"}, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	if s := cfg.Serve; s.ClickRate != 50 || s.ClickBurst != 80 || s.APIRate != 1.5 || s.APIBurst != 3 {
		t.Errorf("rate limits: %v %d %v %d", s.ClickRate, s.ClickBurst, s.APIRate, s.APIBurst)
	}
	if cfg.BaseURL != "https://env.example" || cfg.KeyFile != "/file/keys.json" || cfg.LogLevel != "debug" ||
		cfg.Serve.Listen != "127.0.0.1:3001" || cfg.Serve.Wait != 2*time.Second || cfg.Serve.url() != "redis://:pw@127.0.0.1:6390/1" ||
		len(cfg.apiTokens) != 2 || !cfg.Serve.DenyProceedSuspicious || cfg.Serve.DenyProceedUnknown {
		t.Errorf("layered serve config: %+v", cfg)
	}
	if p := clickPolicy(cfg.Serve); !p.DenyProceedSuspicious || p.DenyProceedUnknown {
		t.Errorf("policy: %+v", p)
	}
	var m MilterConfig
	t.Setenv("KENSA_MILTER_LISTEN", "unix:/env.sock")
	if err := load("milter", &m, []string{"--config", file}, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	if m.Milter.Listen != "unix:/env.sock" || m.BaseURL != "https://env.example" {
		t.Errorf("layered milter config: %+v", m)
	}
}

// TestLoadListsEveryProblem: unknown keys (all of them), wrongly typed
// values, bad environment values and invalid settings come in one error.
func TestLoadListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "kensa.yaml", "bas_url: x\nserve:\n  listn: x\n  tabs: two\n  redis: redis://:s3cret@h/x\nmilter:\n  lissten: y\n")
	t.Setenv("KENSA_BASE_URL", "")
	t.Setenv("KENSA_KEY_FILE", "")
	var cfg ServeConfig
	err := load("serve", &cfg, []string{"--config", file}, io.Discard, "")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Fatalf("want a usage error, got %v", err)
	}
	for _, want := range []string{`unknown key "bas_url"`, `unknown key "listn"`, `unknown key "lissten"`, "line 4", "two", "base_url", "key_file", "serve.redis"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the Redis password is in the error:\n%v", err)
	}
	// A file that is not YAML at all, a missing secret file.
	writeFile(t, dir, "bad.yaml", "serve: [\n")
	err = load("serve", &ServeConfig{}, []string{"--config", filepath.Join(dir, "bad.yaml"), "--redis-url-file", filepath.Join(dir, "missing")}, io.Discard, "")
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "serve.redis_url_file") {
		t.Errorf("bad YAML and a missing secret file: %v", err)
	}
}

// TestLoadFlags: flags may follow the argument, a bad flag value is listed
// with the other problems, and a bool flag takes no value.
func TestLoadFlags(t *testing.T) {
	var sc ScanConfig
	if err := load("scan", &sc, []string{"https://x.example/", "--json", "--own-domains", "a.example, b.example", "--timeout", "3s"}, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	if sc.URL != "https://x.example/" || !sc.JSON || len(sc.OwnDomains) != 2 || sc.Timeout != 3*time.Second {
		t.Errorf("scan config: %+v", sc)
	}
	err := load("scan", &ScanConfig{}, []string{"--timeout", "soon"}, io.Discard, "")
	if err == nil || !strings.Contains(err.Error(), "--timeout") || !strings.Contains(err.Error(), "want exactly one URL") {
		t.Errorf("bad --timeout and no URL: %v", err)
	}
	if err := load("rewrite", &RewriteConfig{}, []string{"--no-such-flag"}, io.Discard, ""); err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("unknown flag: %v", err)
	}
	if err := load("rewrite", &RewriteConfig{}, []string{"extra"}, io.Discard, ""); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("argument to rewrite: %v", err)
	}
}

// TestKeygenFileModes: every key file keygen writes is mode 0600, and the
// loader warns about a key file that others can read.
func TestKeygenFileModes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "keys.json")
	if code, _, errOut := run(t, nil, "keygen", "--out", out); code != 0 {
		t.Fatalf("keygen --out: %s", errOut)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != keyFileMode {
		t.Errorf("keygen --out: mode %v, %v", fi.Mode().Perm(), err)
	}
	if code, _, _ := run(t, nil, "keygen", "--out", out); code == 0 {
		t.Error("keygen --out overwrote an existing key file")
	}

	// `kensa keygen > FILE`: the shell made FILE 0644.
	redirected := filepath.Join(dir, "redirected.json")
	f, err := os.OpenFile(redirected, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(redirected, 0o644)
	var errOut strings.Builder
	code := realMain([]string{"keygen"}, nil, f, &errOut)
	f.Close()
	if fi, _ := os.Stat(redirected); code != 0 || fi.Mode().Perm() != keyFileMode || fi.Size() == 0 {
		t.Errorf("keygen > file: exit %d, mode %v, %d bytes, %s", code, fi.Mode().Perm(), fi.Size(), errOut.String())
	}

	// --add keeps 0600, even for a file that was 0644.
	os.Chmod(redirected, 0o644)
	if code, _, errOut := run(t, nil, "keygen", "--add", redirected); code != 0 {
		t.Fatalf("keygen --add: %s", errOut)
	}
	if fi, _ := os.Stat(redirected); fi.Mode().Perm() != keyFileMode {
		t.Errorf("keygen --add: mode %v", fi.Mode().Perm())
	}

	// The loader warns (and goes on) when the group or others can read it.
	msg := []byte("From: a@example.top\r\n\r\nhttps://a.example/\r\n")
	for _, c := range []struct {
		perm os.FileMode
		warn bool
	}{{0o600, false}, {0o640, true}, {0o644, true}} {
		os.Chmod(out, c.perm)
		code, _, errOut := run(t, msg, "rewrite", "--base-url", "https://k.example", "--key-file", out)
		if code != 0 || strings.Contains(errOut, "chmod 600") != c.warn {
			t.Errorf("rewrite with a %o key file: exit %d, stderr %s", c.perm, code, errOut)
		}
		code, _, errOut = run(t, nil, "decode", "--key-file", out, "--base-url", "https://k.example", "https://k.example/k/x")
		if code != 1 || strings.Contains(errOut, "chmod 600") != c.warn {
			t.Errorf("decode with a %o key file: exit %d, stderr %s", c.perm, code, errOut)
		}
	}
}

// TestExampleConfig: docs/kensa.example.yaml loads without a problem and
// shows every key of the file.
func TestExampleConfig(t *testing.T) {
	const path = "../../docs/kensa.example.yaml"
	var f fileConfig
	if problems := readConfigFile(path, &f); len(problems) != 0 {
		t.Fatalf("%s: %v", path, errors.Join(problems...))
	}
	if f.Serve.DenyProceedSuspicious || f.Serve.DenyProceedUnknown || f.Milter.Listen == "" {
		t.Errorf("example: %+v", f)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys func(t reflect.Type)
	keys = func(typ reflect.Type) {
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			switch {
			case typ.Field(i).Tag.Get("yaml") == ",inline":
				keys(typ.Field(i).Type)
			case tag != "" && tag != "-":
				if !regexp.MustCompile(`(?m)^[ #]*` + tag + `:`).Match(doc) {
					t.Errorf("%s does not show the key %s", path, tag)
				}
				if ft := typ.Field(i).Type; ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)) {
					keys(ft)
				}
			}
		}
	}
	keys(reflect.TypeOf(fileConfig{}))
}

// kensa admin reads the serve section's Redis settings, mode included.
func TestAdminValidate(t *testing.T) {
	check := func(name string, edit func(c *AdminConfig), want ...string) {
		t.Helper()
		c := AdminConfig{Action: "users", RedisSettings: RedisSettings{Redis: "redis://127.0.0.1:6379/0"}}
		edit(&c)
		checkValidate(t, name, &c, want...)
	}
	check("valid", func(c *AdminConfig) {})
	check("no redis", func(c *AdminConfig) { c.Redis = "" }, "serve.redis", "required")
	check("redis twice", func(c *AdminConfig) { c.RedisURLFile = "/run/secrets/redis" }, "both set")
	check("cluster", func(c *AdminConfig) {
		c.RedisMode, c.Redis = "cluster", "redis://10.0.0.1:6379?addr=10.0.0.2:6379"
	})
	check("redis mode", func(c *AdminConfig) { c.RedisMode = "replicated" }, "serve.redis_mode")
	var c AdminConfig
	c.useFile(&fileConfig{Serve: ServeSection{RedisSettings: RedisSettings{Redis: "redis://x:1/0", RedisMode: "sentinel"}}})
	if c.Redis != "redis://x:1/0" || c.RedisMode != "sentinel" {
		t.Errorf("admin from the config file: %+v", c.RedisSettings)
	}
}

// syncCounter counts Sync calls.
type syncCounter struct {
	bytes.Buffer
	syncs int
}

func (s *syncCounter) Sync() error { s.syncs++; return nil }

// The click lines' timer flush reaches the file, but never fsyncs it
// (flushOnly): every click waited for the disk while it did.
func TestClickLinesFlushWithoutFsync(t *testing.T) {
	f := &syncCounter{}
	out := &zapcore.BufferedWriteSyncer{WS: flushOnly{f}, Size: 1 << 10, FlushInterval: time.Hour}
	out.Write([]byte("line\n"))
	if err := out.Sync(); err != nil {
		t.Fatal(err)
	}
	if f.String() != "line\n" || f.syncs != 0 {
		t.Errorf("after Sync: %q written, %d fsyncs; want the line and none", f.String(), f.syncs)
	}
	out.Stop()
}
