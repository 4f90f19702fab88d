package console

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// Prefix is where the click proxy mounts the console (at its root, like
// the API: keep it internal).
const Prefix = "/console/"

// Paths of the console's pages and forms.
const (
	PathHome      = Prefix
	PathLogin     = Prefix + "login"
	PathLogout    = Prefix + "logout"
	PathClicks    = Prefix + "clicks"
	PathURL       = Prefix + "url"
	PathOverrides = Prefix + "overrides"
	PathRescan    = Prefix + "rescan"
	PathReports   = Prefix + "reports"
	PathAudit     = Prefix + "audit"
	PathUsers     = Prefix + "users"
	PathTokens    = Prefix + "tokens"
	PathStyle     = Prefix + "console.css" // public, like the pages' CSS
)

// Page names: the template of each page, and its navigation entry.
const (
	PageLogin     = "login"
	PageHome      = "home"
	PageClicks    = "clicks"
	PageURL       = "url"
	PageOverrides = "overrides"
	PageReports   = "reports"
	PageAudit     = "audit"
	PageUsers     = "users"
	PageError     = "error"
)

var pageNames = []string{PageLogin, PageHome, PageClicks, PageURL, PageOverrides, PageReports, PageAudit, PageUsers, PageError}

// View is what every page gets.
type View struct {
	Lang pages.Lang
	Page string // one of the Page constants
	// The signed-in user (empty on the login and some error pages).
	User, Role string
	// CSRF is the session's token, put in every form that changes
	// something (on the login page: the sign-in form's own token).
	CSRF string
	// CanAct and CanAdmin show the forms the user's role allows; the
	// server checks again on every request.
	CanAct, CanAdmin bool
	// Flash is a message key shown once at the top ("done.override", ...).
	Flash string
	// Problem is a message to show as an error (validation problems).
	Problem string
	Data    any // the page's own data: Home, Clicks, URLPage, ...
}

// Count is a label with a number.
type Count struct {
	Label string
	N     int
}

// Home is the home page's data.
type Home struct {
	Since, Until   time.Time
	Total          int
	ByAction       []Count
	Chart          Chart
	TopDomains     []Count
	Retro          []RetroRow
	ReportsWaiting int
	Reports        []ReportRow
}

// RetroRow is one click let through to a URL now known to be malicious.
type RetroRow struct {
	ClickID   string
	ClickTime time.Time
	KnownTime time.Time // when the URL was condemned
	Recipient string
	URL       string
	Digest    string
	Proceeded bool // through "continue anyway", not a clean verdict
	Via       string
}

// ReportRow is one "report this link" from a user.
type ReportRow struct {
	ID         string
	ClickID    string
	Time       time.Time
	URL        string
	Digest     string
	Recipient  string
	Status     string // new|reviewed
	Outcome    string
	Note       string
	ReviewedBy string
	Reviewed   time.Time
}

// Outcomes an analyst may give a report.
var Outcomes = []string{"malicious", "suspicious", "benign", "spam"}

// Clicks is the click search page's data.
type Clicks struct {
	Query  url.Values // the filters as submitted (redisplayed in the form)
	Rows   []api.ClickEvent
	Next   string // the query string of the next page, or ""
	Errors []string
	// ExportCSV and ExportJSONL are the API's export of the same search
	// (same origin: the session authenticates the download).
	ExportCSV, ExportJSONL string
	// Link and Decoded: a Kensa link an analyst pasted, and what it says.
	Link    string
	Decoded *api.Decoded
}

// Get returns a filter's value for the form.
func (c Clicks) Get(k string) string { return c.Query.Get(k) }

// URLPage is a URL's page data.
type URLPage struct {
	URL     string
	Digest  string
	Verdict string // the current verdict, or "" if none cached
	Reasons []string
	Known   *RetroRow // when it was condemned, if it was
	Renders []RenderRow
	Clicks  []api.ClickEvent
}

// RenderRow is one render of a URL.
type RenderRow struct {
	Time      time.Time
	Verdict   string
	Reasons   []string
	ShotURL   string // a console path, or ""
	Chain     []string
	FinalURL  string
	UserAgent string
	Trigger   string
	By        string
}

// Overrides is the overrides page's data.
type Overrides struct {
	Rows []OverrideRow
}

// OverrideRow is one override or block/allow entry.
type OverrideRow struct {
	List, Kind, Value string
	Note, By          string
	Created, Expires  time.Time
}

// Reports is the reports page's data.
type Reports struct {
	Status string // the filter: new|reviewed|""
	Rows   []ReportRow
	Next   string
}

// Audit is the audit log page's data.
type Audit struct {
	Entries []api.AuditEntry
	Next    string // before= of the next page
}

// Users is the users and tokens page's data (admins only).
type Users struct {
	Users  []UserRow
	Tokens []TokenRow
	// NewSecret is a token just created: shown on this one answer only.
	NewSecret, NewSecretName string
	Roles, Scopes            []string
}

// UserRow is a console user.
type UserRow struct {
	Email, Role string
	Created     time.Time
	Disabled    bool
}

// TokenRow is an API token (never its secret).
type TokenRow struct {
	ID, Name, Role, Scope, CreatedBy string
	Created, Expires                 time.Time
}

// ErrorData is the error page's data.
type ErrorData struct {
	Status int
	Key    string // message key suffix: error.KEY
}

//go:embed templates/*.html
var templateFS embed.FS

// CSS is the console's stylesheet, served at PathStyle.
//
//go:embed console.css
var CSS []byte

// sets holds, per language, one template set per page (layout + page).
var sets = func() map[pages.Lang]map[string]*template.Template {
	m := map[pages.Lang]map[string]*template.Template{}
	for _, l := range []pages.Lang{pages.JA, pages.EN} {
		base := template.Must(template.New("").Funcs(funcs(l)).ParseFS(templateFS, "templates/layout.html"))
		m[l] = map[string]*template.Template{}
		for _, p := range pageNames {
			m[l][p] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+p+".html"))
		}
	}
	return m
}()

func funcs(l pages.Lang) template.FuncMap {
	return template.FuncMap{
		"msg": func(key string) (string, error) {
			s, ok := messages[l][key]
			if !ok {
				return "", fmt.Errorf("console: no message %q", key)
			}
			return s, nil
		},
		// msgOr is for keys built from data (an action, a verdict): the
		// value itself when there is no message.
		"msgOr": func(prefix, v string) string {
			if s, ok := messages[l][prefix+v]; ok {
				return s
			}
			return v
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
		"short": func(s string, n int) string {
			r := []rune(s)
			if len(r) <= n {
				return s
			}
			return string(r[:n-1]) + "…"
		},
		"join":     strings.Join,
		"list":     func(s ...string) []string { return s },
		"outcomes": func() []string { return Outcomes },
		"urlq": func(path string, kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return path + "?" + v.Encode()
		},
		"other": func() pages.Lang {
			if l == pages.JA {
				return pages.EN
			}
			return pages.JA
		},
	}
}

// Render writes the page's complete HTML document; nothing is written
// when the template fails.
func Render(w io.Writer, v *View) error {
	l := v.Lang
	if l != pages.EN {
		l = pages.JA
	}
	v.Lang = l
	t, ok := sets[l][v.Page]
	if !ok {
		return fmt.Errorf("console: no page %q", v.Page)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return fmt.Errorf("console: render %s: %w", v.Page, err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Message is the text of a message key in l ("" if there is none).
func Message(l pages.Lang, key string) string { return messages[l][key] }
