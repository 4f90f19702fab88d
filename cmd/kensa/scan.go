package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/logging"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/inprocess"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// scanOutput is what `kensa scan --json` prints.
type scanOutput struct {
	URL       string             `json:"url"`
	FinalURL  string             `json:"final_url"`
	Level     verdict.Level      `json:"level"`
	Reasons   []verdict.Reason   `json:"reasons"`
	Chain     []capture.Hop      `json:"chain"`
	Downloads []capture.Download `json:"downloads"`
	Report    *capture.Report    `json:"report"`
}

// ScanConfig is the configuration of `kensa scan`: flags only.
type ScanConfig struct {
	URL          string // the one positional argument
	UserAgent    string // default: a desktop Chrome
	Lang         string // Accept-Language; default ja-JP
	JSON         bool
	TestMapHosts string
	// TestTrustSPKI, with TestMapHosts: the test server's certificate's
	// SPKI hash (base64 SHA-256), accepted despite certificate errors.
	TestTrustSPKI string
	Timeout       time.Duration // render deadline; default 10s
	OwnDomains    []string
	Chromium      string

	args []string
}

func (c *ScanConfig) settings() []setting {
	return []setting{
		{flag: "ua", v: stringValue{&c.UserAgent}, usage: "the clicker's User-Agent `UA` (default: a desktop Chrome)"},
		{flag: "lang", v: stringValue{&c.Lang}, usage: "Accept-Language `LANG` (default " + defaultScanLang + ")"},
		{flag: "json", v: boolValue{&c.JSON}, usage: "print one JSON object"},
		{flag: "test-map-hosts", v: stringValue{&c.TestMapHosts}, usage: "TEST ONLY: connect every host name to this loopback `HOST:PORT`"},
		{flag: "test-trust-spki", v: stringValue{&c.TestTrustSPKI}, usage: "TEST ONLY, with --test-map-hosts: the SPKI `HASH` (base64 SHA-256) of the test server's certificate, accepted despite errors"},
		{flag: "timeout", v: durationValue{&c.Timeout}, usage: "render deadline, a `duration` (default " + defaultScanTimeout.String() + ")"},
		{flag: "own-domains", v: listValue{&c.OwnDomains}, usage: "the organisation's `DOMAINS`, comma-separated (lookalikes are flagged)"},
		{flag: "chromium", v: stringValue{&c.Chromium}, usage: "Chromium `BINARY` (default: Debian's)"},
	}
}

func (c *ScanConfig) setArgs(args []string) {
	c.args = args
	if len(args) == 1 {
		c.URL = args[0]
	}
}

// Validate reports every problem at once; it is pure.
func (c *ScanConfig) Validate() error {
	var errs []error
	if len(c.args) != 1 {
		errs = append(errs, fmt.Errorf("want exactly one URL, got %d", len(c.args)))
	}
	if c.TestMapHosts != "" {
		_, err := parseTestMapHosts(c.TestMapHosts)
		errs = append(errs, err)
	}
	if c.TestTrustSPKI != "" && c.TestMapHosts == "" {
		errs = append(errs, errors.New("--test-trust-spki needs --test-map-hosts"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("--timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// runScan renders one URL in the sandbox and prints the report and verdict.
func runScan(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg ScanConfig
	if err := load("scan", &cfg, args, stderr, "kensa scan URL [--ua UA] [--lang LANG] [--json] [--test-map-hosts 127.0.0.1:PORT [--test-trust-spki HASH]]"); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	var mapTo netip.AddrPort
	if cfg.TestMapHosts != "" {
		mapTo, _ = parseTestMapHosts(cfg.TestMapHosts) // checked by Validate
	}
	var trustSPKI []string
	if cfg.TestTrustSPKI != "" {
		trustSPKI = []string{cfg.TestTrustSPKI}
	}
	log, err := logging.New(stderr, logging.ForTerminal(), "warn")
	if err != nil {
		return err
	}
	s, err := inprocess.New(ctx, inprocess.Config{
		Browser:       browser.Config{ExecPath: cfg.Chromium, RenderTimeout: cfg.Timeout, Concurrency: 1},
		Policy:        rules.Policy{OwnDomains: cfg.OwnDomains},
		TestMapHosts:  mapTo,
		TestTrustSPKI: trustSPKI,
		Log:           log,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Scan(ctx, sandbox.Request{URL: cfg.URL, UserAgent: cfg.UserAgent, Language: cfg.Lang})
	if err != nil {
		return err
	}
	r, v := res.Report, res.Verdict
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		shown := *r
		shown.Screenshot = nil // a terminal has no use for base64 JPEG
		return enc.Encode(scanOutput{URL: r.URL, FinalURL: r.FinalURL, Level: v.Level, Reasons: v.Reasons, Chain: r.Chain, Downloads: r.Downloads, Report: &shown})
	}
	fmt.Fprintf(stdout, "%s → %s\nverdict: %s\n", r.URL, r.FinalURL, strings.ToUpper(string(v.Level)))
	for _, rs := range v.Reasons {
		fmt.Fprintf(stdout, "  [%s %s] %s\n           %s\n", rs.Level, rs.Code, rs.JA, rs.EN)
	}
	fmt.Fprintf(stdout, "chain:\n")
	for _, h := range r.Chain {
		fmt.Fprintf(stdout, "  %-14s %3d %s\n", h.Kind, h.Status, h.URL)
	}
	fmt.Fprintf(stdout, "title: %q, status %d, %d forms, %d downloads, %d requests refused, %s\n", r.Title, r.Status, len(r.Forms), len(r.Downloads), len(r.Blocked), r.Duration.Round(time.Millisecond))
	if r.Err != "" {
		fmt.Fprintf(stdout, "render error: %s\n", r.Err)
	}
	return nil
}
