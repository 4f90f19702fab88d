// Package rewriter replaces every web link in an e-mail message with a signed
// Kensa link and leaves every other byte as it was.
//
// It exists because a link-protection gateway is only trusted when it does
// not damage mail: Japanese text in ISO-2022-JP or Shift_JIS must come out
// exactly as it went in, attachments and signed parts must stay
// byte-identical, and a message Kensa cannot understand must still be
// delivered. So the rewriter does not parse and re-serialise messages. It
// locates MIME entities over the raw bytes (mime.go), decodes only the
// leaves a reader sees or opens (attach.go: text/plain and text/html,
// calendar invites, HTML and SVG attachments; part.go, charset.go), finds
// links in them (html.go, forms.go, text.go, ical.go, with rewriter/textlink
// and rewriter/unwrap; an href is read as a browser reads it, whatwg.go),
// and splices
// the new links back, re-encoding only the lines that changed, in the part's
// own charset and transfer encoding.
//
// Promises:
//   - Rewrite always writes a complete message. When the message is too
//     large, or anything goes wrong inside, the output is the input.
//   - Failing to parse is never a reason to leave links live (issue 16):
//     where the structure cannot be parsed or is absurd, or a part cannot be
//     decoded, links are found best effort in what can be read and
//     rewritten (fallback.go), each fallback is reported in
//     Result.Fallbacks and named in X-Kensa-Fallback; Policy.OnUnparsable
//     may ask to tag or hold the message instead.
//   - Outside the rewritten links and the added trace headers
//     (X-Kensa-Links, X-Kensa-Attachments, X-Kensa-Fallback), decoded text
//     is unchanged, and so
//     are all bytes of untouched lines, parts, headers, boundaries, preamble
//     and epilogue; a part decoded leniently is encoded again as a whole.
//   - Calendar invites (text/calendar, application/ics, .ics files) have
//     their links rewritten in the properties clients show or open, and
//     only the content lines that held a changed link are refolded (RFC
//     5545 §3.1, §3.3.11). HTML and SVG attachments are rewritten like
//     HTML parts, in their own charset and transfer encoding, unless
//     Policy.RewriteAttachments is false. Other attachments (PDF, Office)
//     are not read.
//   - multipart/signed, multipart/encrypted and PKCS#7 parts are not touched;
//     message/rfc822 parts are rewritten recursively.
//   - Rewriting a rewritten message changes nothing.
package rewriter
