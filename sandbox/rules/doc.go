// Package rules holds the sandbox's judging rules. Each rule is a pure
// function from captured data (URLs of the redirect chain, forms, text,
// downloads ...) to verdict reasons (clickproxy/verdict): no browser, no
// network, no clock and no global state, so every rule is tested over
// hand-made fixtures.
//
// It exists apart from the browser so that the judging can be read, tested
// and changed without Chromium. Judge runs every rule and adds up what
// they found (score.go): each reason is a signal with a weight, a family of
// signals that say the same thing counts once, and the sum decides the
// level, so that independent weak signs make a warning or a block while one
// weak sign alone does not. docs/detection.md lists every signal, its
// weight and why.
//
// The brand a page claims is read from the page itself (claim.go: title,
// site name, logo, icons, headings, copyright) and compared with its host
// without a list (lookalike.NameInHost), so that brands nobody listed are
// caught too. The brand list (brands.go) is data for what a page cannot
// tell: which domains a brand really owns, and which hosts are lookalikes
// of them. Judge uses Policy.Brands (DefaultBrands when nil); the indexes
// of a list are built once, never at import. The host-name checks are
// their own package, sandbox/rules/lookalike.
package rules
