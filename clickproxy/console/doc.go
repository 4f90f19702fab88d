// Package console renders the SOC console's pages: login, home (clicks of
// the last 24 hours by action, an inline SVG chart of clicks over time,
// top clicked domains, the retro-hunt list, reports waiting), click
// search, a URL's page (renders, screenshots, chain, clickers), overrides,
// reports, the audit log, and users and tokens.
//
// It exists apart from the click proxy so that the pages are a pure
// function of a View: the click proxy (clickproxy/console.go) gathers the
// data, checks who may see it (clickproxy/access) and hands a View to
// Render; this package knows nothing of Redis or HTTP, and its tests
// render every page in both languages without a server.
//
// Promises, shared with the interstitials (clickproxy/pages): server-
// rendered with html/template, Japanese and English (pages.PickLang over
// Accept-Language), no script, no inline style, no third-party resource,
// so the same strict Content-Security-Policy applies (pages.Headers);
// charts are inline SVG with presentation attributes and classes only.
// Every form that changes something carries the session's CSRF token.
package console
