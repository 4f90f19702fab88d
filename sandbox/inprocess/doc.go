// Package inprocess is the sandbox.Scanner that runs Chromium in the
// calling process: New starts the egress proxy (sandbox/egress) on a
// loopback port and the browser (sandbox/browser) behind it; Scan renders a
// URL, renders it again as the other mobile device classes (Android,
// iPhone) when the first render looks empty or like an error (smishing
// kits cloak by device; rules.Cloaking compares the renders), and judges
// the Reports with sandbox/rules.
//
// It exists apart from the sandbox root so that the contract (Request,
// Result, Scanner) stays free of chromedp: the click proxy's code talks to a
// Scanner and never imports this package (only its end-to-end test does);
// cmd/kensa (serve, scan) wires it in.
package inprocess
