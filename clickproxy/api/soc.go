package api

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// The SOC routes (issue 13). Each is under Version; the comment says the
// method, the body or query, the answer and the least role it needs.
const (
	// GET ?ClickQuery -> ClickList. viewer.
	// (PathClicks, above.)

	// PathExport: GET ?ClickQuery&format=jsonl|csv -> a stream of
	// ClickEvent lines (JSON Lines) or CSV rows with ExportColumns as the
	// header, oldest first. viewer.
	PathExport = Version + "/clicks/export"
	// PathURLs: GET PathURLs+DIGEST -> URLPage; GET PathURLs+"?url=URL"
	// -> URLPage of that URL. viewer.
	// GET PathURLs+DIGEST+"/renders/"+RENDERID+"/screenshot" -> image/jpeg. viewer.
	PathURLs = Version + "/urls/"
	// PathRetroHunt: GET ?since=RFC3339 -> RetroHuntList. viewer.
	PathRetroHunt = Version + "/retrohunt"
	// PathRescan: POST RescanRequest -> RescanResult. analyst.
	PathRescan = Version + "/rescan"
	// PathReports: GET ?status=new|reviewed&cursor= -> ReportList. viewer.
	// POST PathReports+"/"+ID ReportReview -> Report. analyst.
	PathReports = Version + "/reports"
	// PathDecode: GET ?link=LINK or POST DecodeRequest -> Decoded. viewer.
	PathDecode = Version + "/decode"
	// PathMessages: GET ?id=MESSAGE-ID-or-DIGEST -> MessageInfo. viewer.
	PathMessages = Version + "/messages"
	// PathSummary: GET -> Summary (the console's home page). viewer.
	PathSummary = Version + "/summary"
	// Overrides (PathOverrides, above): GET viewer; POST and DELETE analyst.
)

// ClickQuery is the query of GET /api/v1/clicks and of the export: every
// field is a filter, and an empty field does not filter. Values() and
// ParseClickQuery are each other's inverse.
type ClickQuery struct {
	From time.Time // inclusive; zero: from the start of retention
	To   time.Time // exclusive; zero: now
	// Recipient is the user's address, exact (case-insensitive).
	Recipient string
	// Message is a Message-ID ("<...@...>", angle brackets optional) or
	// the 16-hex-digit digest sealed in the link.
	Message string
	// URL is a substring of the destination URL (url.full), Host a
	// substring of its host (url.domain); both case-insensitive.
	URL  string
	Host string
	// Domain is the registrable domain (url.registered_domain), exact.
	Domain string
	// URLDigest is the verdict cache key of one URL (kensa.url_digest).
	URLDigest string
	Verdict   string // clean|suspicious|malicious|unknown
	Action    string // redirect|warn|block|checking|neutral|error
	Proceeded *bool  // "continue anyway" clicked
	Scanner   *bool  // looked like a security scanner
	// Limit is the page size, 1 to MaxClicks; 0 means DefaultClicks.
	Limit int
	// Cursor is the Next of the previous page, opaque.
	Cursor string
	// Oldest asks for oldest first (the default is newest first).
	Oldest bool
}

// Values is q as URL query parameters.
func (q ClickQuery) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	set("recipient", q.Recipient)
	set("message", q.Message)
	set("url", q.URL)
	set("host", q.Host)
	set("domain", q.Domain)
	set("url_digest", q.URLDigest)
	set("verdict", q.Verdict)
	set("action", q.Action)
	if q.Proceeded != nil {
		v.Set("proceeded", strconv.FormatBool(*q.Proceeded))
	}
	if q.Scanner != nil {
		v.Set("scanner", strconv.FormatBool(*q.Scanner))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set("cursor", q.Cursor)
	if q.Oldest {
		v.Set("order", "oldest")
	}
	return v
}

// Bounds of ClickQuery's strings.
const (
	MaxQueryField = 2048 // url, host and the others
	MaxCursor     = 256
)

var (
	verdicts = []string{"clean", "suspicious", "malicious", "unknown"}
	actions  = []string{"redirect", "warn", "block", "checking", "neutral", "error"}
)

// ParseClickQuery reads the query parameters of GET /api/v1/clicks. Every
// problem is reported at once; unknown parameters are errors too (a typo
// must not silently widen a search). "n" is accepted as an old name of
// "limit". The cursor is checked only for its size here: the server
// decodes it.
func ParseClickQuery(v url.Values) (ClickQuery, error) {
	var q ClickQuery
	var errs []error
	one := func(k string) string {
		vs := v[k]
		if len(vs) > 1 {
			errs = append(errs, fmt.Errorf("%s given %d times", k, len(vs)))
		}
		if len(vs) == 0 {
			return ""
		}
		s := strings.TrimSpace(vs[0])
		if len(s) > MaxQueryField {
			errs = append(errs, fmt.Errorf("%s longer than %d bytes", k, MaxQueryField))
			return ""
		}
		return s
	}
	tm := func(k string) time.Time {
		s := one(k)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not an RFC 3339 time", k, s))
		}
		return t
	}
	boolean := func(k string) *bool {
		s := one(k)
		if s == "" {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false, not %q", k, s))
			return nil
		}
		return &b
	}
	enum := func(k string, allowed []string) string {
		s := strings.ToLower(one(k))
		if s == "" {
			return ""
		}
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
		errs = append(errs, fmt.Errorf("%s must be one of %s, not %q", k, strings.Join(allowed, ", "), s))
		return ""
	}
	for k := range v {
		switch k {
		case "from", "to", "recipient", "message", "url", "host", "domain", "url_digest", "verdict", "action",
			"proceeded", "scanner", "limit", "n", "cursor", "order", "format":
		default:
			errs = append(errs, fmt.Errorf("unknown parameter %q", k))
		}
	}
	q.From, q.To = tm("from"), tm("to")
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		errs = append(errs, errors.New("from must be before to"))
	}
	q.Recipient = strings.ToLower(one("recipient"))
	q.Message = one("message")
	if q.Message != "" && !IsDigest(q.Message) && !strings.Contains(q.Message, "@") {
		errs = append(errs, fmt.Errorf("message %q is neither a Message-ID nor a 16-hex-digit digest", q.Message))
	}
	q.URL = one("url")
	q.Host = strings.ToLower(one("host"))
	q.Domain = strings.TrimSuffix(strings.ToLower(one("domain")), ".")
	q.URLDigest = strings.ToLower(one("url_digest"))
	if q.URLDigest != "" && !isHex(q.URLDigest, 32) {
		errs = append(errs, fmt.Errorf("url_digest %q is not 32 hex digits", q.URLDigest))
	}
	q.Verdict = enum("verdict", verdicts)
	q.Action = enum("action", actions)
	q.Proceeded, q.Scanner = boolean("proceeded"), boolean("scanner")
	lim := one("limit")
	if lim == "" {
		lim = one("n")
	}
	if lim != "" {
		n, err := strconv.Atoi(lim)
		if err != nil || n < 1 || n > MaxClicks {
			errs = append(errs, fmt.Errorf("limit must be 1 to %d, not %q", MaxClicks, lim))
		} else {
			q.Limit = n
		}
	}
	q.Cursor = one("cursor")
	if len(q.Cursor) > MaxCursor {
		errs = append(errs, errors.New("cursor too long"))
		q.Cursor = ""
	}
	switch o := one("order"); o {
	case "", "newest":
	case "oldest":
		q.Oldest = true
	default:
		errs = append(errs, fmt.Errorf("order must be newest or oldest, not %q", o))
	}
	return q, errors.Join(errs...)
}

// IsDigest reports whether s is a message digest as links carry it: 16
// lower- or upper-case hex digits.
func IsDigest(s string) bool { return isHex(s, 16) }

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Export formats (the "format" parameter of PathExport).
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// ExportColumns are the CSV export's columns, in order: ECS names
// (docs/siem.md). rule.name and kensa.clipped are joined with "|".
var ExportColumns = []string{
	"@timestamp", "kensa.click_id", "event.action", "event.outcome", "user.email", "kensa.message_digest",
	"url.full", "url.domain", "url.registered_domain", "kensa.url_digest", "kensa.verdict", "rule.name",
	"kensa.proceeded", "kensa.verdict_source", "kensa.latency_ms", "source.ip", "user_agent.original",
	"kensa.scanner", "kensa.scanner_why", "error.code", "kensa.clipped", "kensa.suppressed",
	"ecs.version", "kensa.schema_version",
}

// Render is one render of a URL, from the URL's render history.
type Render struct {
	ID      string           `json:"id"` // names the screenshot
	Time    time.Time        `json:"time"`
	Verdict verdict.Level    `json:"verdict"`
	Reasons []verdict.Reason `json:"reasons,omitempty"`
	// Screenshot is the API path of the render's screenshot, while it is
	// kept (as long as the verdict is); empty if none.
	Screenshot string   `json:"screenshot,omitempty"`
	Chain      []string `json:"chain,omitempty"` // the redirect chain, first URL first
	FinalURL   string   `json:"final_url,omitempty"`
	UserAgent  string   `json:"user_agent,omitempty"` // the User-Agent the sandbox rendered as
	Trigger    string   `json:"trigger"`              // click|rescan|recheck
	By         string   `json:"by,omitempty"`         // who asked for a rescan
}

// Render triggers.
const (
	TriggerClick   = "click"
	TriggerRescan  = "rescan"
	TriggerRecheck = "recheck"
)

// Condemnation is when and how a URL became known as malicious.
type Condemnation struct {
	Time   time.Time `json:"time"`
	Via    string    `json:"via"` // override|rescan|recheck|render
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// URLPage is the answer of GET /api/v1/urls/DIGEST: what Kensa knows of
// one URL (as the verdict cache keys it), every render in its history,
// and the clicks on it, newest first.
type URLPage struct {
	URL       string           `json:"url"`
	URLDigest string           `json:"url_digest"`
	Host      string           `json:"host"`
	Domain    string           `json:"registered_domain,omitempty"`
	Verdict   *verdict.Verdict `json:"verdict,omitempty"` // cached now, if any
	Override  *Override        `json:"override,omitempty"`
	Condemned *Condemnation    `json:"condemned,omitempty"`
	Renders   []Render         `json:"renders"`
	Clicks    []ClickEvent     `json:"clicks"`
	Next      string           `json:"next,omitempty"` // cursor of more clicks: GET /api/v1/clicks?url_digest=DIGEST&cursor=
}

// RetroHit is a click that was let through (redirected, or "continue
// anyway") on a URL now known to be malicious.
type RetroHit struct {
	Click     ClickEvent   `json:"click"`
	Condemned Condemnation `json:"condemned"`
}

// RetroHuntList is the answer of GET /api/v1/retrohunt, newest
// condemnation first; at most MaxRetroHits.
type RetroHuntList struct {
	Hits []RetroHit `json:"hits"`
}

// MaxRetroHits bounds a RetroHuntList.
const MaxRetroHits = 1000

// RescanRequest is the body of POST /api/v1/rescan.
type RescanRequest struct {
	URL    string `json:"url"`
	Reason string `json:"reason,omitempty"`
}

// RescanResult is its answer: the new render, and how many let-through
// clicks it turned into retro-hunt hits.
type RescanResult struct {
	URLDigest string `json:"url_digest"`
	Render    Render `json:"render"`
	RetroHits int    `json:"retro_hits"`
}

// Report is a user's "report this link".
type Report struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	ClickID    string    `json:"click_id"`
	URL        string    `json:"url"`
	URLDigest  string    `json:"url_digest,omitempty"`
	Host       string    `json:"host,omitempty"`
	Recipient  string    `json:"recipient,omitempty"`
	Verdict    string    `json:"verdict,omitempty"` // what the user was shown
	Status     string    `json:"status"`            // new|reviewed
	Outcome    string    `json:"outcome,omitempty"` // the analyst's: malicious|suspicious|benign|spam
	Note       string    `json:"note,omitempty"`
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
}

// Report statuses and outcomes.
const (
	ReportNew      = "new"
	ReportReviewed = "reviewed"

	ReportMalicious  = "malicious"
	ReportSuspicious = "suspicious"
	ReportBenign     = "benign"
	ReportSpam       = "spam"
)

// ReportList is the answer of GET /api/v1/reports, newest first.
type ReportList struct {
	Reports []Report `json:"reports"`
	Next    string   `json:"next,omitempty"`
}

// ReportReview is the body of POST /api/v1/reports/ID: the analyst's
// outcome. Status defaults to "reviewed"; "new" reopens.
type ReportReview struct {
	Status  string `json:"status,omitempty"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

// DecodeRequest is the body of POST /api/v1/decode.
type DecodeRequest struct {
	Link string `json:"link"`
}

// Decoded is what a Kensa link says (what `kensa decode` prints), for an
// analyst who pasted one. Trimmed is what was cut from the end of the
// pasted text to find the link (as the click proxy trims a link a mail
// client ran into the text after it).
type Decoded struct {
	URL           string    `json:"url"`
	Base          string    `json:"base"`
	Version       uint8     `json:"version"`
	KeyID         uint8     `json:"key_id"`
	Issued        time.Time `json:"issued"`
	Flags         []string  `json:"flags"`
	MessageDigest string    `json:"message_digest"`
	Recipient     string    `json:"recipient,omitempty"`
	ShownDomain   string    `json:"shown_domain,omitempty"`
	Trimmed       string    `json:"trimmed,omitempty"`
	URLDigest     string    `json:"url_digest"`           // its page: /api/v1/urls/URL_DIGEST
	MessageID     string    `json:"message_id,omitempty"` // when the rewriter recorded it
}

// MessageInfo is a rewritten mail, as the rewriter recorded it.
type MessageInfo struct {
	Digest     string    `json:"digest"`
	MessageID  string    `json:"message_id"`
	Recipients []string  `json:"recipients,omitempty"`
	Time       time.Time `json:"time"`
	Links      int       `json:"links"`
}

// Summary is the answer of GET /api/v1/summary: the console's home page.
type Summary struct {
	Since      time.Time        `json:"since"`     // 24 hours ago
	ByAction   map[string]int64 `json:"by_action"` // clicks since Since
	Hours      []HourCount      `json:"hours"`     // clicks per hour since Since, oldest first
	TopDomains []DomainCount    `json:"top_domains"`
	RetroHunt  int              `json:"retro_hunt"`  // hits (see RetroHuntList)
	ReportsNew int64            `json:"reports_new"` // reports waiting
}

// HourCount is the clicks of one hour, by action.
type HourCount struct {
	Start    time.Time        `json:"start"`
	ByAction map[string]int64 `json:"by_action"`
}

// DomainCount is a registrable domain and its clicks.
type DomainCount struct {
	Domain string `json:"domain"`
	Clicks int64  `json:"clicks"`
}
