// Package unwrap removes the link wrappers that other mail-security gateways
// put around links, so that Kensa wraps the real destination once instead of
// wrapping a wrapper.
//
// It exists because mail often reaches Kensa after another gateway has already
// rewritten it (Microsoft Safe Links, Proofpoint URL Defense, Barracuda, Trend
// Micro, FireEye, Sophos), sometimes several times over. Judging and signing
// https://nam12.safelinks.protection.outlook.com/?url=... tells the click proxy
// nothing about where the user is going, and double wrapping makes links longer
// than some mail clients can handle.
//
// Promises:
//   - A link is recognised as a wrapper only by an exact host pattern and path
//     (the host compared case-insensitively). Look-alikes such as
//     safelinks.protection.outlook.com.evil.example or evil.example/?url= are
//     never unwrapped.
//   - Unwrap reports ok only when it returns an absolute http or https URL with
//     a host. A wrapper around javascript:, data:, a relative URL, a missing or
//     repeated target parameter, or a malformed encoding is not unwrapped: ok is
//     false and the input comes back unchanged, so the caller wraps the wrapper
//     itself, which is always safe.
//   - Decoding follows each vendor's published decoder where one exists
//     (Proofpoint's urldecoder.py) and otherwise the format as seen in real
//     links; the sources are cited next to the code. Where the published
//     decoder is ambiguous (Proofpoint v3 links with non-ASCII characters),
//     the link is left wrapped rather than guessed.
//   - All stops after 8 layers and never loops.
//   - Opaque recognises wrappers that are known but carry no decodable
//     destination (Mimecast, Sophos' server-side form) so they can be logged.
//   - No function panics, whatever the input.
//
// The input is expected to be a single URL with HTML entities already decoded
// and surrounding white space removed by the caller; surrounding white space is
// tolerated.
package unwrap
