// Package access decides who may do what in the SOC console and the API.
//
// The model is small on purpose: a route declares one Perm (in the click
// proxy's route table, clickproxy/routes.go), a request is made by one
// Principal (a console user's session, an API token, or a static token
// from the configuration), and Principal.Can is the only question ever
// asked, in one place (clickproxy's serve). Roles are fixed sets of
// permissions:
//
//	viewer   read, check
//	analyst  read, check, act (re-scan, override, block/allow, reports)
//	admin    read, check, act, admin (users and tokens)
//
// A token may instead carry a scope, which grants exactly one permission:
// scope "extension" grants only check (the extension's hover check).
//
// The package also keeps users, API tokens and sessions in Redis (Store):
// tokens are 32 random bytes, shown once and stored as their SHA-256;
// passwords are hashed with argon2id; sessions are random IDs with a CSRF
// token and an expiry, held server-side.
package access
