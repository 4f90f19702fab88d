// Package verdict is the contract for what Kensa concluded about a link: a
// level and the reasons for it. The sandbox writes verdicts, the click
// proxy caches them and turns them into an action and a page, the SOC API
// and the browser extension show them. It imports only the standard
// library, so every component (and the extension's generated types) can
// depend on it.
//
// Promises:
//   - Levels and reason codes are strings on the wire and never change
//     meaning once released; new codes may be added.
//   - "unknown" (we could not tell) is its own level and is never treated as
//     clean: a failed or timed-out render gives unknown.
//   - Every reason has a stable code, evidence, and an explanation in
//     Japanese and in English for people who are not security experts.
package verdict
