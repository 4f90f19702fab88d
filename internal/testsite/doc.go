// Package testsite serves test pages over HTTP and HTTPS on one loopback
// port, for tests that render pages under realistic host names through the
// sandbox's test-only host mapping (every name connects to this port).
//
// Both schemes on one port are needed because Chromium upgrades some names
// to HTTPS before it connects: every .app and .dev name and many popular
// sites (getbootstrap.com) are on its HSTS preload list, so an http:// URL
// for them is fetched as https://. The certificate is self-signed and made
// at start; the browser is told to accept it by its SPKI hash (SPKI), which
// is Chromium's --ignore-certificate-errors-spki-list and nothing wider.
//
// The protocol is told apart by the first byte of the connection: a TLS
// ClientHello starts with 0x16, an HTTP request with a method name. This
// small listener is written by hand because the standard library and
// cmux-like packages either serve one protocol per listener or pull in
// more than a test helper needs.
package testsite
