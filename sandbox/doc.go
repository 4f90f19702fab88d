// Package sandbox is Kensa's judge: given a URL and the clicking user's
// User-Agent and language, it renders the destination in headless Chromium
// (sandbox/browser, through the egress proxy of sandbox/egress) and says,
// with evidence, whether it harvests credentials, asks for OAuth consent or
// pushes a download.
//
// The click proxy depends only on the Scanner interface. Judging is a pure
// function over the captured Report (Judge, built from sandbox/rules), so
// it is tested without a browser.
//
// Promise: a render that fails or times out is judged Unknown, never Clean.
package sandbox
