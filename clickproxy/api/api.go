package api

import (
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// Version is the path prefix of this version of the API.
const Version = "/api/v1"

// Paths of the API's routes (each under the click proxy's root, not under
// the link base path).
const (
	PathOverrides = Version + "/overrides" // GET list, POST add, DELETE remove
	PathClicks    = Version + "/clicks"    // GET search click events (ClickQuery -> ClickList)
	PathCheck     = Version + "/check"     // GET ?url=: the extension's hover check
)

// Override is an administrator's decision about a URL, a host or a
// registrable domain: the body of POST /api/v1/overrides, its answer (201,
// the override as stored) and an element of OverrideList.
type Override struct {
	List    string    `json:"list"`             // "block" or "allow"
	Kind    string    `json:"kind"`             // "url", "host" or "domain"
	Value   string    `json:"value"`            // stored normalised: a URL as the click proxy normalises it, a lower-case host or domain
	Note    string    `json:"note,omitempty"`   // why: the reason, kept with the override and in the audit log
	By      string    `json:"by,omitempty"`     // who: set by the server from the caller's identity when it knows it
	Created time.Time `json:"created,omitzero"` // set by the server
	Expires time.Time `json:"expires,omitzero"` // optional: the override ends then (it is removed and no longer matches)
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

// Bounds of ClickQuery.Limit.
const (
	DefaultClicks = 100
	MaxClicks     = 1000
)

// ClickList is the answer of GET /api/v1/clicks (and of the clicks part
// of other answers), in the order asked (newest first by default). Next,
// when set, is the cursor of the following page.
type ClickList struct {
	Clicks []ClickEvent `json:"clicks"`
	Next   string       `json:"next,omitempty"`
}

// SchemaVersion is the version of ClickEvent's field names, written in
// every event as "kensa.schema_version". Version 1 (snake_case names:
// "time", "message", "url", ...) was replaced by version 2, the Elastic
// Common Schema names below (docs/siem.md); readers still accept version
// 1 entries from the Redis stream.
const SchemaVersion = 2

// ECSVersion is the Elastic Common Schema version the names follow,
// written in every event as "ecs.version".
const ECSVersion = "8.11.0"

// ClickEvent is one click, as the click log writes it (to its JSON line
// stream and its Redis stream), the API returns it and the export writes
// it. The field names are Elastic Common Schema names where ECS has one
// and "kensa.*" otherwise (docs/siem.md has the mapping); they are a
// contract with the SOC console and SIEMs. Flat dotted keys, as ECS
// ingest pipelines accept them.
type ClickEvent struct {
	Time       time.Time `json:"@timestamp"`
	ClickID    string    `json:"kensa.click_id"`
	Action     string    `json:"event.action"`  // redirect|warn|block|checking|neutral|error, or hover-check (not a click: the extension's GET /api/v1/check)
	Outcome    string    `json:"event.outcome"` // success (the user reached the destination)|failure (stopped or error)|unknown (checking, neutral)
	Recipient  string    `json:"user.email,omitempty"`
	Message    string    `json:"kensa.message_digest,omitempty"` // hex message digest sealed in the link
	MessageID  string    `json:"email.message_id,omitempty"`     // the mail's Message-ID, when the rewriter recorded it (set by the API, not the click log)
	URL        string    `json:"url.full"`
	Host       string    `json:"url.domain"`
	Domain     string    `json:"url.registered_domain,omitempty"` // the registrable domain of Host
	URLDigest  string    `json:"kensa.url_digest,omitempty"`      // the verdict cache key (hex): names the URL's page, /api/v1/urls/DIGEST
	Verdict    string    `json:"kensa.verdict"`                   // clean|suspicious|malicious|unknown|"" (not judged: bad link)
	Reasons    []string  `json:"rule.name,omitempty"`             // reason codes
	Proceeded  bool      `json:"kensa.proceeded,omitempty"`       // the user clicked "continue anyway"
	Source     string    `json:"kensa.verdict_source"`            // memory|redis|render|override|one-time|proceed|none
	LatencyMS  float64   `json:"kensa.latency_ms"`
	ClientIP   string    `json:"source.ip"`
	UserAgent  string    `json:"user_agent.original"`
	Scanner    bool      `json:"kensa.scanner,omitempty"` // looks like a security scanner, not a person
	ScannerWhy string    `json:"kensa.scanner_why,omitempty"`
	Error      string    `json:"error.code,omitempty"` // for Action=error: the link error code
	// Clipped names the fields cut to their maximum (clickproxy/clicklog:
	// url.full 2048 bytes, user_agent.original 512, other strings 256, 20
	// reasons).
	Clipped []string `json:"kensa.clipped,omitempty"`
	// Suppressed is set on an aggregate event only: how many error events
	// (forged or unsigned links) from ClientIP's network in the minute from
	// Time were counted but not logged one by one.
	Suppressed int64  `json:"kensa.suppressed,omitempty"`
	ECS        string `json:"ecs.version,omitempty"`          // ECSVersion, set by the click log
	Schema     int    `json:"kensa.schema_version,omitempty"` // SchemaVersion, set by the click log
}

// The values of ClickEvent.Outcome.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// OutcomeOf is the event.outcome of a click: "success" when the user went
// on to the destination (redirected, or "continue anyway"), "failure" when
// stopped (warned, blocked, a bad link), "unknown" while undecided.
func OutcomeOf(action string, proceeded bool) string {
	switch {
	case action == "redirect" || proceeded:
		return OutcomeSuccess
	case action == "warn" || action == "block" || action == "error":
		return OutcomeFailure
	}
	return OutcomeUnknown
}

// CheckQuery is GET /api/v1/check?url=: the link the user hovers over, as
// the page has it (a Kensa link is verified and its destination checked).
type CheckQuery struct {
	URL string `json:"url"`
}

// MaxCheckURL bounds CheckQuery.URL in bytes.
const MaxCheckURL = 4 << 10

// The values of Check.Status.
const (
	CheckDone     = "done"     // Level and Reasons are the verdict
	CheckChecking = "checking" // a render is under way: ask again after RetryMS
)

// Check is the answer of GET /api/v1/check: the verdict the interstitial
// would show for the URL, or "checking" while the sandbox renders it.
type Check struct {
	Status string `json:"status"` // CheckDone or CheckChecking
	// URL is the destination checked: the URL asked about, or a Kensa
	// link's destination.
	URL string `json:"url"`
	// KensaLink: the URL asked about was a Kensa link this server signed
	// (verified); its mail signs are among the reasons.
	KensaLink bool `json:"kensa_link,omitempty"`
	// ShownDomain: for a Kensa link, the domain its mail showed, when that
	// differed from the destination's.
	ShownDomain string        `json:"shown_domain,omitempty"`
	Level       verdict.Level `json:"level,omitempty"` // set when Status is CheckDone
	// Reasons are what the interstitial lists: code, level and one line
	// in each language (never the evidence, which may carry page text).
	Reasons []CheckReason `json:"reasons"`
	// Screenshot is the path of the rendered page's thumbnail on this
	// server (JPEG; no token needed, a MAC is in the path), when it has one.
	Screenshot string `json:"screenshot,omitempty"`
	// RetryMS: for CheckChecking, when to ask again.
	RetryMS int `json:"retry_ms,omitempty"`
}

// CheckReason is one finding of a Check.
type CheckReason struct {
	Code  verdict.Code  `json:"code"`
	Level verdict.Level `json:"level"`
	JA    string        `json:"ja"`
	EN    string        `json:"en"`
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
	CodeForbidden    = "forbidden"    // 403: authenticated, but the role or scope does not allow the route, a console change without its CSRF token, or an Origin that is not an allowed extension origin
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

// Users and API tokens (admins only).
const (
	// PathUsers: GET -> UserList; POST NewUser -> 201 User; PATCH
	// ?email= UserUpdate -> User; DELETE ?email= -> Removed.
	PathUsers = Version + "/users"
	// PathTokens: GET -> TokenList; POST NewToken -> 201 CreatedToken
	// (the secret, this once); DELETE ?id= -> Removed (revoked).
	PathTokens = Version + "/tokens"
)

// User is a console user (never the password or its hash).
type User struct {
	Email    string    `json:"email"`
	Role     string    `json:"role"`
	Created  time.Time `json:"created"`
	Disabled bool      `json:"disabled,omitempty"`
}

// UserList is the answer of GET /api/v1/users, by email.
type UserList struct {
	Users []User `json:"users"`
}

// NewUser is the body of POST /api/v1/users. Password: at least 12
// characters.
type NewUser struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// UserUpdate is the body of PATCH /api/v1/users?email=: what is set
// changes (Role and Password when not empty; Disabled always).
type UserUpdate struct {
	Role     string `json:"role,omitempty"`
	Password string `json:"password,omitempty"`
	Disabled bool   `json:"disabled"`
}

// Token is an API token as listed: never its secret.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires,omitzero"`
}

// TokenList is the answer of GET /api/v1/tokens, oldest first.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// NewToken is the body of POST /api/v1/tokens: a name and a role or a
// scope (not both); Expires is optional.
type NewToken struct {
	Name    string    `json:"name"`
	Role    string    `json:"role,omitempty"`
	Scope   string    `json:"scope,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// CreatedToken is the answer of POST /api/v1/tokens: the secret is shown
// this once; Kensa keeps only its SHA-256.
type CreatedToken struct {
	Token
	Secret string `json:"secret"`
}
