// Package rules holds the sandbox's judging rules. Each rule is a pure
// function from captured data (URLs of the redirect chain, forms, text,
// downloads ...) to verdict reasons (clickproxy/verdict): no browser, no
// network, no clock and no global state, so every rule is tested over
// hand-made fixtures.
//
// It exists apart from the browser so that the judging can be read, tested
// and changed without Chromium. The brand list (brands.go) is data; the
// indexes derived from it are built once on first use, never at import.
// The host-name checks (lookalike domains) are their own package,
// sandbox/rules/lookalike, which this package feeds with the brand list.
package rules
