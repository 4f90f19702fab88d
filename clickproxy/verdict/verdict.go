package verdict

import (
	"encoding/json"
	"fmt"
	"time"
)

// Level is how dangerous a destination is.
type Level string

// The levels, from least to most severe. Unknown sits apart: it means the
// check could not be completed, and policy decides what happens.
const (
	Clean      Level = "clean"
	Suspicious Level = "suspicious"
	Malicious  Level = "malicious"
	Unknown    Level = "unknown"
)

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool {
	switch l {
	case Clean, Suspicious, Malicious, Unknown:
		return true
	}
	return false
}

// severity orders levels for Worst: unknown ranks between clean and
// suspicious, so any real finding outranks it, and it outranks clean.
func (l Level) severity() int {
	switch l {
	case Clean:
		return 0
	case Unknown:
		return 1
	case Suspicious:
		return 2
	case Malicious:
		return 3
	}
	return 1 // anything else is treated as unknown, never as clean
}

// Worst returns the most severe of the levels (Clean for none).
func Worst(levels ...Level) Level {
	w := Clean
	for _, l := range levels {
		if !l.Valid() {
			l = Unknown
		}
		if l.severity() > w.severity() {
			w = l
		}
	}
	return w
}

// UnmarshalJSON accepts only the four levels.
func (l *Level) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if !Level(s).Valid() {
		return fmt.Errorf("verdict: unknown level %q", s)
	}
	*l = Level(s)
	return nil
}

// Code identifies a kind of finding. Codes are stable.
type Code string

// Reason codes. The sandbox's rules add to this list.
const (
	CodeCredentialForm     Code = "credential-form"     // a form asks for a password, PIN or card number
	CodeBrandImpersonated  Code = "brand-impersonation" // a brand's look on a domain the brand does not own
	CodeFormPostsElsewhere Code = "form-posts-elsewhere"
	CodeFreeHosting        Code = "free-hosting"
	CodeRiskyTLD           Code = "risky-tld"          // a credential form under a top-level domain phishers favour
	CodeCredentialPretext  Code = "credential-pretext" // a credential form dressed as a system, network or account alert
	CodeOAuthConsent       Code = "oauth-consent"      // the chain reaches an OAuth authorisation endpoint
	CodeOAuthHighRisk      Code = "oauth-high-risk"    // ... asking for mail, contacts, files or admin consent
	CodeDownload           Code = "download"           // the page pushes a file
	CodeUnknownSources     Code = "unknown-sources"    // text tells the user to allow apps from unknown sources
	CodeFakeUpdate         Code = "fake-update"        // the page claims the browser or a plugin needs an update
	CodeLookalikeDomain    Code = "lookalike-domain"   // the domain imitates a brand or the organisation
	CodeLureDomain         Code = "lure-domain"        // the registrable domain is padded with words like login, verify, support
	CodeDownloadLink       Code = "download-link"      // the page links straight to an app, program or script
	CodeCombinedSignals    Code = "combined-signals"   // several independent signs together raise the level (sandbox/rules scoring)
	CodeShownMismatch      Code = "shown-mismatch"     // the mail showed one domain and linked another
	CodeMailPasswordForm   Code = "mail-password-form" // the mail the link came from held a password form (added at the click, never cached)
	CodeCloaking           Code = "cloaking"           // different content for different user agents
	CodeCertificateError   Code = "certificate-error"
	CodeRenderFailed       Code = "render-failed"  // the check could not be completed
	CodeSandboxBusy        Code = "sandbox-busy"   // too many links waiting to be checked; not cached, retried on the next click
	CodeAdminOverride      Code = "admin-override" // an administrator decided
	CodeOneTimeLink        Code = "one-time-link"  // judged from the URL alone to keep a one-time token usable
	CodeHoverOneTime       Code = "hover-one-time" // a hover check did not open a one-time link (it is checked at the click)
)

// Reason is one finding.
type Reason struct {
	Code     Code              `json:"code"`
	Level    Level             `json:"level"`              // what this finding alone implies
	Evidence map[string]string `json:"evidence,omitempty"` // e.g. {"field": "password", "brand": "楽天"}
	JA       string            `json:"ja"`                 // one line for people, in Japanese
	EN       string            `json:"en"`                 // the same in English
}

// Verdict is the conclusion about one destination.
type Verdict struct {
	Level     Level     `json:"level"`
	Reasons   []Reason  `json:"reasons"`
	URL       string    `json:"url"`       // the destination judged
	FinalURL  string    `json:"final_url"` // where the redirect chain ended
	JudgedAt  time.Time `json:"judged_at"`
	Sandboxed bool      `json:"sandboxed"` // rendered, or judged from the URL alone
}

// FromReasons returns the level the reasons imply: the worst of them, Clean
// when there are none.
func FromReasons(rs []Reason) Level {
	levels := make([]Level, len(rs))
	for i, r := range rs {
		levels[i] = r.Level
	}
	return Worst(levels...)
}
