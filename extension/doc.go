// Package extension holds no Go code: it is the home of Kensa's browser
// extension (Manifest V3, JavaScript, built with esbuild from npm; see
// docs/extension.md), and of the Go tests that keep it honest:
//
//   - TestGenerated writes what the extension must agree on with the Go
//     side (verdict levels and reason codes, the api.Check fields, the
//     link format's flags, the pages' words, the brand list for local
//     look-alike warnings) into src/generated/contract.js, and fails when
//     the committed file differs (regenerate with -update), so the two
//     cannot drift;
//   - TestUnit runs the extension's unit tests (node --test);
//   - TestEndToEnd loads the built extension into Debian's Chromium with
//     playwright-core, against a real `kensa serve` with Redis and the
//     real sandbox, and hovers over links of a local webmail-like page.
//
// They live in a Go package so that `make test` (go test ./...) runs and
// counts them like every other test.
package extension
