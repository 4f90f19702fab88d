// Package lookalike tells whether a host name imitates the domain of a
// brand or of the organisation: the lexical half of phishing detection,
// which needs no page at all.
//
// It exists as a package of its own because it is a small world with its
// own vocabulary (look-alike characters, lure words, scripts, edit
// distances) that the page rules only consume: sandbox/rules builds one
// Checker for its brand list and asks it about each page's host. The
// checker knows nothing of pages or of the brand list's text matching; it
// is given the brands' names, domains and host-name keys.
//
// The host is compared by its registrable domain (domain.Registrable:
// Public Suffix List after full-width folding and IDNA). A host whose
// registrable domain belongs to a brand or to the organisation ("www.amazon.co.jp",
// "login.microsoftonline.com") never hits, nor does an IP address or an
// invalid host. The checks, strongest first:
//
//   - brand-in-subdomain: a brand domain inside the host to the left of the
//     registrable domain ("amazon.co.jp.account-verify.top",
//     "www.amazon.co.jp-login.com", "accounts-amazon.com-13.online"), or a
//     brand name as a subdomain when the host also carries a lure word
//     ("netflix.security-check-83.xyz");
//   - mixed-script: a label mixing scripts beyond what Chrome displays
//     (Latin may join only Han with Hiragana/Katakana, Bopomofo or Hangul),
//     e.g. "pаypal.com" with a Cyrillic "а"; reported without a brand when
//     the label imitates none;
//   - homoglyph: the registrable label equals a brand label once look-alike
//     characters are mapped (0/o, 1/l/i, rn/m, vv/w, cl/d, Cyrillic, Greek
//     and Armenian look-alikes, accents): "amaz0n.co.jp", "аррӏе.com";
//   - tld-swap: the brand's label under another public suffix
//     ("example.co", "example.com" and "example.jp" for "example.co.jp"; on
//     a hosting platform such as web.app it is brand-in-label);
//   - edit-distance: one edit (two for brand labels of 8 or more
//     characters, at most one of them a replaced letter) from a brand label
//     of at least 5 characters, counting a swap of neighbouring letters as
//     one edit and keeping the first letter;
//   - brand-in-label: a brand name as a hyphen-separated part of the
//     registrable label (or glued to a lure word like "my", "login",
//     "secure") together with a lure word or a TLD-like part
//     ("amazon-co-jp-login.example", "rakuten-card-security.com",
//     "mydropbox-helpdesk.xyz"); a look-alike spelling of the name
//     ("faceb00k-recovery.cfd") is a homoglyph hit even without a lure.
//
// See the comments on the helpers for the guards against false positives
package lookalike
