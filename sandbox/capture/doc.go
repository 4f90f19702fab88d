// Package capture holds what the sandbox saw when it rendered a link: the
// Report. The browser driver fills it in; the rules (sandbox/rules) judge
// it; the click proxy, the SOC console and the extension show parts of it.
// It is plain data with standard-library types only, so rules can be
// tested on hand-made Reports without a browser.
package capture
