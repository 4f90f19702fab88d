// Package linktoken writes and verifies Kensa links, the signed wrappers that
// replace every web link in a protected message (docs/link-format.md, version 1).
//
// The rewriter, the click proxy and the browser extension all depend on this
// format, so the package is the reference implementation of that document, and
// testdata/linktoken/vectors.json records its exact output for other
// implementations to check against.
//
// A Kensa link keeps the destination readable in the link itself and adds a
// short token with a public header (version, key ID, issue time, flags,
// message digest), an encrypted context (recipient, shown domain) and a 128-bit
// HMAC-SHA-256 tag. The package promises:
//
//   - Open accepts a link only if its tag verifies under a key of the Keyring,
//     so a change to any byte of the destination, header or context is
//     rejected, and only if the destination is an absolute http or https URL
//     with a host. Nothing else is ever returned as a destination.
//   - Link is deterministic: the same key, context and destination give the
//     same link.
//   - Links end, in plain text, at a byte that is never punctuation, so Find
//     can tell where a link stops.
//   - Failures wrap one of the sentinel errors (ErrMalformed, ErrVersion,
//     ErrUnknownKey, ErrBadSignature, ErrBadDestination); Code maps them to the
//     short codes used by the test vectors and by `kensa decode`.
//
// The package never reads the clock: issue times and key creation times are
// passed in. Codec and Keyring are immutable and safe for concurrent use. Only
// the standard library is used, so the package can be audited on its own.
package linktoken
