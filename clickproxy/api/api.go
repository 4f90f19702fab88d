package api

import "time"

// Version is the path prefix of this version of the API.
const Version = "/api/v1"

// Paths of the API's routes (each under the click proxy's root, not under
// the link base path).
const (
	PathOverrides = Version + "/overrides" // GET list, POST add, DELETE remove
	PathClicks    = Version + "/clicks"    // GET recent click events
)

// Override is an administrator's decision about a URL, a host or a
// registrable domain: the body of POST /api/v1/overrides, its answer (201,
// the override as stored) and an element of OverrideList.
type Override struct {
	List    string    `json:"list"`  // "block" or "allow"
	Kind    string    `json:"kind"`  // "url", "host" or "domain"
	Value   string    `json:"value"` // stored normalised: a URL as the click proxy normalises it, a lower-case host or domain
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by,omitempty"`     // whatever the caller writes; the API does not know who holds a token
	Created time.Time `json:"created,omitzero"` // set by the server
}

// The values of Override.List and Override.Kind.
const (
	ListBlock = "block"
	ListAllow = "allow"

	KindURL    = "url"
	KindHost   = "host"
	KindDomain = "domain"
)

// OverrideList is the answer of GET /api/v1/overrides.
type OverrideList struct {
	Overrides []Override `json:"overrides"`
}

// OverrideKey names one override: the query parameters of
// DELETE /api/v1/overrides?list=&kind=&value=.
type OverrideKey struct {
	List  string `json:"list"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Removed is the answer of DELETE /api/v1/overrides (200).
type Removed struct {
	Removed bool `json:"removed"`
}

// ClicksQuery is GET /api/v1/clicks?n=: how many of the newest click
// events to return, 1 to MaxClicks (anything else means DefaultClicks).
type ClicksQuery struct {
	N int64 `json:"n"`
}

// Bounds of ClicksQuery.N.
const (
	DefaultClicks = 100
	MaxClicks     = 1000
)

// ClickList is the answer of GET /api/v1/clicks, newest first.
type ClickList struct {
	Clicks []ClickEvent `json:"clicks"`
}

// ClickEvent is one click, as the click log writes it (to its JSON line
// stream and its Redis stream) and the API returns it. The field names are
// a contract with the SOC console and SIEM exports.
type ClickEvent struct {
	ClickID    string    `json:"click_id"`
	Time       time.Time `json:"time"`
	Recipient  string    `json:"recipient,omitempty"`
	Message    string    `json:"message,omitempty"` // hex message digest from the link
	URL        string    `json:"url"`
	Host       string    `json:"host"`
	Verdict    string    `json:"verdict"`             // clean|suspicious|malicious|unknown|"" (not judged: bad link)
	Reasons    []string  `json:"reasons,omitempty"`   // reason codes
	Action     string    `json:"action"`              // redirect|warn|block|checking|error
	Proceeded  bool      `json:"proceeded,omitempty"` // the user clicked "continue anyway"
	Source     string    `json:"source"`              // where the verdict came from: memory|redis|render|override|one-time|proceed|none
	LatencyMS  float64   `json:"latency_ms"`
	ClientIP   string    `json:"client_ip"`
	UserAgent  string    `json:"user_agent"`
	Scanner    bool      `json:"scanner,omitempty"` // looks like a security scanner, not a person
	ScannerWhy string    `json:"scanner_why,omitempty"`
	Error      string    `json:"error,omitempty"` // for Action=error: the link error code
	// Clipped names the fields cut to their maximum (clickproxy/clicklog:
	// url 2048 bytes, user_agent 512, other strings 256, 20 reasons).
	Clipped []string `json:"clipped,omitempty"`
	// Suppressed is set on an aggregate event only: how many error events
	// (forged or unsigned links) from ClientIP's network in the minute from
	// Time were counted but not logged one by one.
	Suppressed int64 `json:"suppressed,omitempty"`
}

// Error is the body of every error answer of the API (4xx and 5xx).
// Error is for people; Code is for programs and is one of the Code
// constants. ClickID is set when the error belongs to a click.
type Error struct {
	Error   string `json:"error"`
	Code    string `json:"code"`
	ClickID string `json:"click_id,omitempty"`
}

// Error codes.
const (
	CodeUnauthorized = "unauthorized" // 401: no or wrong bearer token, no or expired session
	CodeForbidden    = "forbidden"    // 403: authenticated, but the role or scope does not allow the route, or a console change without its CSRF token
	CodeBadRequest   = "bad-request"  // 400: the body or the parameters are wrong; Error lists every problem
	CodeNotFound     = "not-found"    // 404: no such route, or no such override
	CodeRateLimited  = "rate-limited" // 429: too many requests from the client's network; retry after Retry-After
	CodeUnavailable  = "unavailable"  // 503: Redis is unreachable; retry later
	CodeInternal     = "internal"     // 500: a bug; the service log has the details
)

// Roles of console users and API tokens: what they may do (clickproxy/access
// maps each to permissions). On the wire and in Redis as these strings.
const (
	RoleViewer  = "viewer"  // read: clicks, URLs, retro-hunt, overrides, reports, audit
	RoleAnalyst = "analyst" // read, re-scan, override, review reports
	RoleAdmin   = "admin"   // all of the above, users and tokens
)

// Scopes narrow an API token to one purpose instead of a role.
const (
	ScopeExtension = "extension" // the browser extension: only the hover check
)

// PathAudit is GET /api/v1/audit?before=ID&n=: the audit log, newest first.
const PathAudit = Version + "/audit"

// AuditEntry is one security-relevant change, as the audit log
// (clickproxy/audit) keeps it and GET /api/v1/audit returns it: who, when,
// what, why. Every change to users, tokens, overrides, block and allow
// entries and report outcomes, and every login, is one entry.
type AuditEntry struct {
	ID       string    `json:"id"`             // the audit stream's entry ID, set when stored; a cursor
	Time     time.Time `json:"time"`           // set by the writer (the server's clock)
	Actor    string    `json:"actor"`          // who: "user:EMAIL", "token:NAME", "config-token", "cli:USER"
	Role     string    `json:"role,omitempty"` // the actor's role or scope then
	Action   string    `json:"action"`         // one of the Audit* constants
	Target   string    `json:"target,omitempty"`
	Reason   string    `json:"reason,omitempty"`    // the actor's reason (an override's note, a report's outcome)
	ClientIP string    `json:"client_ip,omitempty"` // where the request came from; empty from the CLI
	// Detail holds what else the action needs to be understood later
	// (an override's list and kind, a new role, an expiry).
	Detail  map[string]string `json:"detail,omitempty"`
	Outcome string            `json:"outcome,omitempty"` // "success" (default) or "failure" (a failed login)
}

// Audit actions: "area.verb".
const (
	AuditLogin        = "login"           // a console sign-in; Outcome failure for a wrong password
	AuditLogout       = "logout"          //
	AuditUserCreate   = "user.create"     // Target: the email; Detail role
	AuditUserUpdate   = "user.update"     // role, password or disabled changed
	AuditUserDelete   = "user.delete"     //
	AuditTokenCreate  = "token.create"    // Target: the token's ID; Detail name, role or scope
	AuditTokenRevoke  = "token.revoke"    //
	AuditOverrideAdd  = "override.add"    // Target: list|kind|value; Reason: the note
	AuditOverrideDel  = "override.remove" //
	AuditRescan       = "url.rescan"      // Target: the URL
	AuditReportReview = "report.review"   // Target: the report's click ID; Reason: the outcome
)

// AuditList is the answer of GET /api/v1/audit, newest first. Next, when
// set, is the before= of the following page.
type AuditList struct {
	Entries []AuditEntry `json:"entries"`
	Next    string       `json:"next,omitempty"`
}
