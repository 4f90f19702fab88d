// Package milter runs Kensa's link rewriter inside a mail server, as a milter
// (the Sendmail/Postfix mail filter protocol, version 6).
//
// It exists so that mail admins can protect every inbound message where it
// already flows: Postfix hands each message to the milter at the end of DATA,
// the milter rewrites the links with package rewriter and sends back the new
// body and header changes. It is the only package in Kensa that imports the
// milter library (github.com/d--j/go-milter, chosen because it is maintained,
// speaks protocol version 6 with Postfix's quirks handled, chunks body
// replacements, keeps header order, and ships a client for in-process tests):
// the protocol stays at this edge, package rewriter knows nothing of it, and
// replacing the library touches this package alone. internal/deptest's
// TestOwners fails if any other package imports it. It uses the library's
// protocol level (its Milter interface), not its mailfilter package, so as
// to choose the negotiation: the MTA skips the steps Kensa does not read and
// waits for the milter only at the end of each message (backend.go).
//
// Promises:
//   - The milter never rejects, tempfails or drops a message because of its
//     own trouble. Any error or panic is accepted unchanged and logged with
//     the queue ID. A message it cannot parse is rewritten best effort (or,
//     under on_unparsable: hold, quarantined), never let through with live
//     links because it is broken.
//   - Each connection has its own state, reset on abort and on every new
//     message; connections share nothing mutable but counters.
//   - A message larger than the configured maximum is accepted unchanged.
//   - Links carry the recipient only when the message has exactly one
//     envelope recipient.
package milter
