package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
)

func run(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = realMain(args, bytes.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

type vectors struct {
	Base    string          `json:"base"`
	KeyFile json.RawMessage `json:"key_file"`
	Valid   []struct {
		Name    string `json:"name"`
		Link    string `json:"link"`
		Decoded struct {
			Dest string `json:"dest"`
		} `json:"decoded"`
	} `json:"valid"`
	Invalid []struct {
		Name  string `json:"name"`
		Link  string `json:"link"`
		Error string `json:"error"`
	} `json:"invalid"`
}

func loadVectors(t *testing.T) (vectors, string) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/linktoken/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, v.KeyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	return v, keys
}

// TestDecodeVectors: `kensa decode` opens every valid vector to its
// destination and rejects every invalid one with its error code.
func TestDecodeVectors(t *testing.T) {
	v, keys := loadVectors(t)
	if len(v.Invalid) < 100 {
		t.Fatalf("only %d invalid vectors", len(v.Invalid))
	}
	for _, c := range v.Valid {
		code, out, errOut := run(t, nil, "decode", "--key-file", keys, "--base-url", v.Base, c.Link)
		var got decodeOutput
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.URL != c.Decoded.Dest {
			t.Errorf("%s: exit %d, url %q, want %q (%s)", c.Name, code, got.URL, c.Decoded.Dest, errOut)
		}
	}
	for _, c := range v.Invalid {
		code, out, errOut := run(t, nil, "decode", "--key-file", keys, "--base-url", v.Base, c.Link)
		if code != 1 || out != "" || !strings.Contains(errOut, c.Error+":") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.Name, code, out, errOut, c.Error)
		}
	}
	// Without --base-url, decode takes the link's own base: only vectors
	// that merely move a genuine link to another base then open, and the
	// output names that base.
	baseOnly := map[string]bool{"path: another base": true, "path: http instead of https": true, "path: base as a prefix of the host": true}
	t.Setenv("KENSA_BASE_URL", "")
	for _, c := range v.Invalid {
		code, out, _ := run(t, nil, "decode", "--key-file", keys, c.Link)
		if baseOnly[c.Name] {
			var got decodeOutput
			if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Base == v.Base {
				t.Errorf("%s: exit %d, base %q", c.Name, code, got.Base)
			}
			continue
		}
		if code != 1 {
			t.Errorf("%s without --base-url: exit %d, want 1", c.Name, code)
		}
	}
}

func TestKeygenAndRotation(t *testing.T) {
	dir := t.TempDir()
	code, keys, errOut := run(t, nil, "keygen")
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	kf := filepath.Join(dir, "keys.json")
	os.WriteFile(kf, []byte(keys), 0o600)
	msg := []byte("From: a@example.top\r\nMessage-ID: <m@x>\r\n\r\nsee https://old.example/x\r\n")
	code, out, errOut := run(t, msg, "rewrite", "--base-url", "https://k.example", "--key-file", kf)
	if code != 0 {
		t.Fatalf("rewrite: %d %s", code, errOut)
	}
	link := strings.Fields(strings.SplitN(out, "see ", 2)[1])[0]
	if code, _, errOut := run(t, nil, "keygen", "--add", kf); code != 0 {
		t.Fatalf("keygen --add: %s", errOut)
	}
	if fi, _ := os.Stat(kf); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	// The old link still opens after rotation.
	code, dec, errOut := run(t, nil, "decode", "--key-file", kf, "--base-url", "https://k.example", link)
	if code != 0 || !strings.Contains(dec, `"url": "https://old.example/x"`) {
		t.Errorf("old link after rotation: %d %s %s", code, dec, errOut)
	}
}

func TestRewriteCLI(t *testing.T) {
	dir := t.TempDir()
	_, keys, _ := run(t, nil, "keygen")
	kf := filepath.Join(dir, "keys.json")
	os.WriteFile(kf, []byte(keys), 0o600)

	// Unparsable input: its links rewritten best effort (issue 16), the
	// fallback logged, exit 0. The trace goes at the end of the refused
	// header, so that it cannot make the header parse on a second pass.
	garbage := []byte("\x00\x01 not mail at all\r\n\r\nhttps://a.example/\r\n")
	code, out, errOut := run(t, garbage, "rewrite", "--base-url", "https://k.example", "--key-file", kf)
	if code != 0 || !strings.HasPrefix(out, "\x00\x01 not mail at all\r\nX-Kensa-Links: 1\r\nX-Kensa-Fallback: unparsable\r\n\r\nhttps://k.example/k/") ||
		!strings.Contains(errOut, `"fallback":"unparsable"`) {
		t.Errorf("garbage: exit %d, out %q, stderr %q", code, out, errOut)
	}

	// Invalid configuration: exit 2 and every problem listed.
	cfg := filepath.Join(dir, "kensa.yaml")
	os.WriteFile(cfg, []byte("never_rewrite: [nodot]\nmax_message_bytes: -1\nlog_format: xml\n"), 0o600)
	code, _, errOut = run(t, nil, "rewrite", "--config", cfg)
	for _, want := range []string{"base_url", "key_file", "nodot", "max_message_bytes", "log_format"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("config errors do not mention %s:\n%s", want, errOut)
		}
	}
	if code != 2 {
		t.Errorf("invalid config: exit %d, want 2", code)
	}
	os.WriteFile(cfg, []byte("base_url: https://k.example\nnever_rewite: [x.example]\n"), 0o600)
	if code, _, errOut = run(t, nil, "rewrite", "--config", cfg, "--key-file", kf); code != 2 || !strings.Contains(errOut, "never_rewite") {
		t.Errorf("unknown config key: exit %d, %s", code, errOut)
	}

	// A config file with the own domain: its links stay.
	os.WriteFile(cfg, []byte("base_url: https://k.example\nkey_file: "+kf+"\nnever_rewrite: [example.co.jp]\n"), 0o600)
	msg := []byte("From: a@example.top\r\n\r\nhttps://www.example.co.jp/ and https://other.example/\r\n")
	code, out, _ = run(t, msg, "rewrite", "--config", cfg)
	if code != 0 || !strings.Contains(out, "https://www.example.co.jp/ and https://k.example/k/") {
		t.Errorf("config policy: %d %q", code, out)
	}
}

func TestParseListen(t *testing.T) {
	check := func(in, network, address string, ok bool) {
		t.Helper()
		n, a, err := parseListen(in)
		if (err == nil) != ok || n != network || a != address {
			t.Errorf("parseListen(%q) = %q %q %v", in, n, a, err)
		}
	}
	check("inet:127.0.0.1:10035", "tcp", "127.0.0.1:10035", true)
	check("127.0.0.1:10035", "tcp", "127.0.0.1:10035", true)
	check("[::1]:10035", "tcp", "[::1]:10035", true)
	check("unix:/run/kensa/milter.sock", "unix", "/run/kensa/milter.sock", true)
	check("unix:", "", "", false)
	check("10035", "", "", false)
	check("", "", "", false)
}

func TestMilterConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kensa.yaml")
	os.WriteFile(cfg, []byte("milter:\n  listen: nowhere\n  metrics_listen: nope\n  skip_signed_by: [partner.example]\n"), 0o600)
	code, _, errOut := run(t, nil, "milter", "--config", cfg)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"base_url", "key_file", "milter.listen", "metrics_listen", "trusted_authserv_id"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("milter config errors do not mention %s:\n%s", want, errOut)
		}
	}
}

// The milter serves on a unix socket too, and stops cleanly on SIGTERM
// (here: the context ending).
func TestMilterUnixSocket(t *testing.T) {
	dir := t.TempDir()
	_, keys, _ := run(t, nil, "keygen")
	kf := filepath.Join(dir, "keys.json")
	os.WriteFile(kf, []byte(keys), 0o600)
	sock := filepath.Join(dir, "milter.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- runMilter(ctx, []string{"--listen", "unix:" + sock, "--base-url", "https://k.example", "--key-file", kf}, nil, io.Discard, &errOut)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestScanJSON runs `kensa scan --json` against a local credential phish
// under a realistic name, through the real sandbox, and checks the JSON
// fields the issue promises; a non-loopback --test-map-hosts is refused.
func TestScanJSON(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "rakuten-card.account-check.example.top" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`<html><head><title>楽天カード ログイン</title></head><body><form action="/p" method="post">ユーザID<input name="u"> パスワード<input type="password" name="p"></form></body></html>`))
	}))
	defer site.Close()
	code, out, errOut := run(t, nil, "scan", "--json", "--test-map-hosts", site.Listener.Addr().String(), "http://rakuten-card.account-check.example.top/login")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		URL       string `json:"url"`
		FinalURL  string `json:"final_url"`
		Level     string `json:"level"`
		Reasons   []struct{ Code string }
		Chain     []json.RawMessage `json:"chain"`
		Downloads json.RawMessage   `json:"downloads"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	codes := []string{}
	for _, r := range got.Reasons {
		codes = append(codes, r.Code)
	}
	if got.URL != "http://rakuten-card.account-check.example.top/login" || got.FinalURL == "" || got.Level != "malicious" ||
		!slices.Contains(codes, "brand-impersonation") || len(got.Chain) == 0 || got.Downloads == nil {
		t.Errorf("scan --json: %+v (codes %v)", got, codes)
	}
	if code, _, errOut := run(t, nil, "scan", "--test-map-hosts", "192.0.2.1:80", "http://x.example/"); code == 0 || !strings.Contains(errOut, "loopback") {
		t.Errorf("non-loopback --test-map-hosts: exit %d, %q", code, errOut)
	}
}

// TestScanHTTPS scans an HTTPS page under a .app name (an HSTS-preloaded
// TLD, so the browser never falls back to HTTP) served by internal/testsite,
// whose self-signed certificate the sandbox accepts only through
// --test-trust-spki; --test-trust-spki alone is refused.
func TestScanHTTPS(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	site, err := testsite.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "rakuten-card-login.app" { // r.TLS is nil: testsite sniffs TLS below net/http
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`<html><head><title>楽天カード ログイン</title></head><body><form action="/p" method="post">ユーザID<input name="u"> パスワード<input type="password" name="p"></form></body></html>`))
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	code, out, errOut := run(t, nil, "scan", "--json", "--test-map-hosts", site.Addr.String(), "--test-trust-spki", site.SPKI, "https://rakuten-card-login.app/login")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		URL      string `json:"url"`
		FinalURL string `json:"final_url"`
		Level    string `json:"level"`
		Reasons  []struct{ Code string }
		Report   struct {
			Title     string `json:"title"`
			CertError string `json:"cert_error"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	codes := []string{}
	for _, r := range got.Reasons {
		codes = append(codes, r.Code)
	}
	if got.URL != "https://rakuten-card-login.app/login" || !strings.HasPrefix(got.FinalURL, "https://rakuten-card-login.app/") ||
		got.Level != "malicious" || !slices.Contains(codes, "brand-impersonation") || slices.Contains(codes, "certificate-error") || got.Report.CertError != "" {
		t.Errorf("scan --json over HTTPS: %+v (codes %v)", got, codes)
	}
	if code, _, errOut := run(t, nil, "scan", "--test-trust-spki", site.SPKI, "https://x.app/"); code == 0 || !strings.Contains(errOut, "--test-trust-spki needs --test-map-hosts") {
		t.Errorf("--test-trust-spki without --test-map-hosts: exit %d, %q", code, errOut)
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kensa.yaml")
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("short\n"), 0o600)
	os.WriteFile(cfg, []byte("serve:\n  listen: nowhere\n  redis: mysql://x\n  unknown: maybe\n  scanner_ranges: [10.0.0.0/33]\n  oauth_allowed_clients: [nocolon]\n  api_token_file: "+tokens+"\n"), 0o600)
	code, _, errOut := run(t, nil, "serve", "--config", cfg, "--test-map-hosts", "192.0.2.1:80")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"base_url", "key_file", "serve.listen", "serve.redis", "serve.unknown", "scanner_ranges", "oauth_allowed_clients", "shorter than 16", "--test-map-hosts"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("serve config errors do not mention %s:\n%s", want, errOut)
		}
	}
	os.WriteFile(cfg, []byte("serve:\n  listn: 127.0.0.1:1\n"), 0o600)
	if code, _, errOut := run(t, nil, "serve", "--config", cfg); code != 2 || !strings.Contains(errOut, "listn") {
		t.Errorf("a typo in the config file: exit %d, %s", code, errOut)
	}
}
