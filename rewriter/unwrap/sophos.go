package unwrap

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// decodeSophos decodes
// https://<aws-region>.protection.sophos.com/?d=<domain>&u=<base64 url>&i=...&t=...&h=...&s=...
//
// QUIRK: u is base64 of the target with "=" padding, in the standard alphabet
// in most links (ninoseki/kachi tests/test_main.py: u=aHR0cHM6Ly93d3cuc29waG9z
// LmNvbS9kZS1kZS9wcm9kdWN0cy9zb3Bob3MtZW1haWw= is
// https://www.sophos.com/de-de/products/sophos-email) but with "_" from the
// URL-safe alphabet in others (a Sophos link around a Barracuda link quoted in
// a public repository has u=aHR0cHM6Ly9saW5rcHJvdGVjdC5jdWRhc3ZjLmNvbS91cmw_YT1...).
// A "+" arrives as a space after query decoding. All of these are accepted;
// mixing "+" or "/" with "-" or "_" is not.
func decodeSophos(w wrapper) (string, bool) {
	v, ok := singleParam(w.query, "u")
	if !ok || v == "" {
		return "", false
	}
	v = strings.ReplaceAll(v, " ", "+")
	v = strings.TrimRight(v, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(v, "-_") {
		if strings.ContainsAny(v, "+/") {
			return "", false
		}
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(v)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}
