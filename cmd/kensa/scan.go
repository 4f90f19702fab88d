package main

import (
	"context"
	"encoding/json"
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

// runScan renders one URL in the sandbox and prints the report and verdict.
func runScan(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", stderr)
	ua := fs.String("ua", "", "the clicker's User-Agent (default: a desktop Chrome)")
	lang := fs.String("lang", "ja-JP", "Accept-Language")
	asJSON := fs.Bool("json", false, "print one JSON object")
	testMap := fs.String("test-map-hosts", "", "TEST ONLY: connect every host name to this loopback HOST:PORT")
	timeout := fs.Duration("timeout", 10*time.Second, "render deadline")
	own := fs.String("own-domains", "", "the organisation's domains, comma-separated (lookalikes are flagged)")
	chromium := fs.String("chromium", "", "Chromium binary (default: Debian's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kensa scan URL [--ua UA] [--lang LANG] [--json] [--test-map-hosts 127.0.0.1:PORT]")
		fs.PrintDefaults()
	}
	// Flags may come after the URL.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return usageError("%w", err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return usageError("want exactly one URL, got %d", len(rest))
	}
	var mapTo netip.AddrPort
	if *testMap != "" {
		ap, err := netip.ParseAddrPort(*testMap)
		if err != nil || !ap.Addr().IsLoopback() {
			return usageError("--test-map-hosts %q: must be a loopback HOST:PORT such as 127.0.0.1:8080", *testMap)
		}
		mapTo = ap
	}
	log, err := logging.New(stderr, logging.ForTerminal(), "warn")
	if err != nil {
		return err
	}
	var ownDomains []string
	for _, d := range strings.Split(*own, ",") {
		if d = strings.TrimSpace(d); d != "" {
			ownDomains = append(ownDomains, d)
		}
	}
	s, err := inprocess.New(ctx, inprocess.Config{
		Browser:      browser.Config{ExecPath: *chromium, RenderTimeout: *timeout, Concurrency: 1},
		Policy:       rules.Policy{OwnDomains: ownDomains},
		TestMapHosts: mapTo,
		Log:          log,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Scan(ctx, sandbox.Request{URL: rest[0], UserAgent: *ua, Language: *lang})
	if err != nil {
		return err
	}
	r, v := res.Report, res.Verdict
	if *asJSON {
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
