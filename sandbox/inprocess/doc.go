// Package inprocess is the sandbox.Scanner that runs Chromium in the
// calling process: New starts the egress proxy (sandbox/egress) on a
// loopback port and the browser (sandbox/browser) behind it; Scan renders a
// URL, renders it once more with another mobile User-Agent when the first
// render looks empty (smishing kits cloak by device), and judges the
// Report with sandbox/rules.
//
// It exists apart from the sandbox root so that the contract (Request,
// Result, Scanner) stays free of chromedp: the click proxy's code talks to a
// Scanner and never imports this package (only its end-to-end test does);
// cmd/kensa (serve, scan) wires it in.
package inprocess
