// Package api is the wire contract of the click proxy's /api/v1: one Go
// type per request and response body, and one error body for every route.
//
// It exists apart from the server (clickproxy) because three programs must
// agree on these bytes: the click proxy that answers, the coming SOC
// console that calls it, and the browser extension whose TypeScript types
// are generated from these structs. So it imports only the standard
// library and clickproxy/verdict (deps_test.go fails otherwise): a client
// can use it without fasthttp, Redis or Chromium.
//
// Promises: field names and JSON tags do not change meaning; new fields
// may be added. Every error answer is an Error, whatever the status, and
// never carries the text of an internal failure (a Redis error, a panic):
// that goes to the service log under the same Code.
package api
