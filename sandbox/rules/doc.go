// Package rules holds the sandbox's judging rules. Each rule is a pure
// function from captured data (URLs of the redirect chain, forms, text,
// downloads ...) to verdict reasons (clickproxy/verdict): no browser, no
// network, no clock and no global state, so every rule is tested over
// hand-made fixtures.
package rules
