// Package textlink finds web links in the plain text of a mail and tells
// whether the visible text of an HTML link names a different site than the
// link really opens.
//
// Kensa's rewriter replaces every web link in a message with a signed Kensa
// link. In HTML parts the links are explicit (<a href>); in text/plain parts
// they have to be found, and where a link ends decides what the reader can
// click. Japanese text has no spaces between words, so "https://example.jp/
// loginからログイン" is common, and a finder that follows the URL grammar
// alone (as some commercial gateways do) swallows the Japanese text into the
// link and breaks it. This package promises:
//
//   - Find returns http, https and schemeless "www." links, in order and
//     without overlap, as byte offsets into the text. A link never contains
//     white space or a line break, its path, query and fragment end at the
//     first Japanese character (Han, Hiragana, Katakana, full-width forms, CJK
//     symbols and punctuation), and trailing punctuation and unbalanced closing
//     brackets stay outside. A host may be an internationalized domain name
//     ("https://例え.jp/"). Every returned link is also found, alone and whole,
//     when Find is run on its own text.
//   - Which site a link's visible text names, and whether it is the site the
//     link opens, is internal/domain's question (Shown, Mismatch), shared
//     with the click proxy and the sandbox.
//
// All functions are pure functions of their arguments over decoded UTF-8 text
// (the caller has already undone quoted-printable and base64 and converted the
// charset), are safe for concurrent use, and never panic, whatever the input.
//
// The libraries do the heavy lifting: mvdan.cc/xurls/v2 supplies the URL
// grammar (which characters a URL may contain, which may end it, balanced
// brackets), golang.org/x/net/publicsuffix the registrable domain,
// golang.org/x/net/idna the punycode conversion and golang.org/x/text/width the
// full-width folding. Only the rules that no library has are written here by
// hand, and each says so: where Japanese text cuts a link, how far a host
// reaches into Japanese text, which character may precede a link, and what
// makes a piece of visible text look like a domain.
package textlink
