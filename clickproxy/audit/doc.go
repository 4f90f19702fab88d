// Package audit is the one audit log of Kensa: who changed what, when and
// why, for every security-relevant change (users, tokens, logins,
// overrides, block and allow entries, re-scans, report outcomes).
//
// It exists as its own package so that the console, the API handlers and
// `kensa admin` on the command line write the same records to the same
// place: a Redis stream (Key), one entry per change, field "e" holding the
// JSON of an api.AuditEntry. The stream is capped (MaxLen, approximate
// trimming) so it cannot grow without bound; at the default cap it holds
// years of changes for a normal organisation.
//
// Promises: Record never drops an entry silently (it returns the Redis
// error, and a caller that cannot record refuses the change or logs it);
// entries are never edited; List pages newest first with a cursor.
package audit
