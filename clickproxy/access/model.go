package access

import (
	"slices"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

// Perm is what a route needs.
type Perm string

// Permissions. Public routes (clicks, static files, health) declare
// Public; every other route one of the rest.
const (
	Public    Perm = "public" // no authentication at all
	PermCheck Perm = "check"  // the extension's hover check
	PermRead  Perm = "read"   // every read: clicks, URLs, overrides, reports, audit
	PermAct   Perm = "act"    // re-scan, override, block/allow entries, review reports
	PermAdmin Perm = "admin"  // users and tokens
)

// Perms lists every permission but Public, weakest first.
var Perms = []Perm{PermCheck, PermRead, PermAct, PermAdmin}

// Roles lists the roles, weakest first.
var Roles = []string{api.RoleViewer, api.RoleAnalyst, api.RoleAdmin}

// Scopes lists the token scopes.
var Scopes = []string{api.ScopeExtension}

var roleGrants = map[string][]Perm{
	api.RoleViewer:  {PermCheck, PermRead},
	api.RoleAnalyst: {PermCheck, PermRead, PermAct},
	api.RoleAdmin:   {PermCheck, PermRead, PermAct, PermAdmin},
}

var scopeGrants = map[string][]Perm{
	api.ScopeExtension: {PermCheck},
}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { _, ok := roleGrants[r]; return ok }

// ValidScope reports whether s is a scope.
func ValidScope(s string) bool { _, ok := scopeGrants[s]; return ok }

// Principal kinds.
const (
	KindUser        = "user"         // a console user, by session
	KindToken       = "token"        // an API token from the Store
	KindConfigToken = "config-token" // a static bearer token from the configuration: admin
	KindCLI         = "cli"          // kensa admin on the command line (audit only)
)

// Principal is who makes a request. The zero value is nobody and can do
// nothing.
type Principal struct {
	Kind  string // a Kind constant; "" is nobody
	Name  string // the user's email, the token's name
	ID    string // the token's ID, or the session's ID for a user (never logged)
	Role  string // one of Roles, or ""
	Scope string // one of Scopes, or "" (a token has a role or a scope)
	// CSRF is the session's anti-forgery token (users only).
	CSRF string
}

// Can reports whether p holds perm. Public is for everyone.
func (p Principal) Can(perm Perm) bool {
	if perm == Public {
		return true
	}
	if p.Kind == "" {
		return false
	}
	if p.Scope != "" {
		return slices.Contains(scopeGrants[p.Scope], perm)
	}
	return slices.Contains(roleGrants[p.Role], perm)
}

// Actor is p as the audit log names it.
func (p Principal) Actor() string {
	switch p.Kind {
	case KindConfigToken:
		return KindConfigToken
	case "":
		return "anonymous"
	}
	return p.Kind + ":" + p.Name
}

// RoleOrScope is the role, or the scope of a scoped token.
func (p Principal) RoleOrScope() string {
	if p.Scope != "" {
		return p.Scope
	}
	return p.Role
}
