// Package egress is the sandbox's only way out to the network: an HTTP
// forward proxy (CONNECT for https, absolute-form requests for http) that
// Chromium is forced through, and that refuses to connect to anything but
// public internet addresses.
//
// It exists because the sandbox fetches attacker-chosen URLs, and Chromium
// does its own DNS: a public-looking name that resolves to 169.254.169.254,
// a redirect, a meta refresh, an iframe or a subresource can all aim the
// browser at the cloud metadata service or the internal network. Checking
// the clicked URL first is not enough. So the check runs here, at
// connection time, on the exact IP address being dialled (net.Dialer's
// Control hook, after DNS and before connect): DNS rebinding cannot slip
// between the check and the connection.
//
// Promises:
//   - No connection to loopback, RFC 1918, 100.64/10, link-local (cloud
//     metadata), multicast, reserved or documentation ranges, ::1, fc00::/7,
//     fe80::/10 or IPv4-mapped IPv6 addresses (code.dny.dev/ssrf's
//     registries, IPv6 limited to global unicast).
//   - Every refusal is reported (OnBlock), so the render can record it.
//   - The test-only host mapping (Config.TestMapHosts) sends every host name
//     to one loopback address; it refuses anything but loopback and must be
//     switched on explicitly.
//
// Chromium must be started with --proxy-server pointing here and
// --proxy-bypass-list=<-loopback>, or it bypasses proxies for localhost,
// 127/8, [::1], 169.254/16 and fe80::/10.
package egress
