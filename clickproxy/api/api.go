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
	PathClicks    = Version + "/clicks"    // GET recent click events
	PathCheck     = Version + "/check"     // GET ?url=: the extension's hover check
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
	Action     string    `json:"action"`              // redirect|warn|block|checking|error, or hover-check (not a click: the extension's GET /api/v1/check)
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
	CodeUnauthorized = "unauthorized" // 401: no or wrong bearer token
	CodeBadRequest   = "bad-request"  // 400: the body or the parameters are wrong; Error lists every problem
	CodeNotFound     = "not-found"    // 404: no such route, or no such override
	CodeForbidden    = "forbidden"    // 403: the request's Origin is not an allowed extension origin
	CodeRateLimited  = "rate-limited" // 429: too many requests from the client's network; retry after Retry-After
	CodeUnavailable  = "unavailable"  // 503: Redis is unreachable; retry later
	CodeInternal     = "internal"     // 500: a bug; the service log has the details
)
