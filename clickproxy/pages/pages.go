package pages

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/domain"
)

// Kind is which page to show.
type Kind string

// The pages.
const (
	KindWarn      Kind = "warn"      // suspicious or unknown verdict: interstitial, maybe with "continue anyway"
	KindBlock     Kind = "block"     // malicious: block page, no continue
	KindChecking  Kind = "checking"  // verdict not ready: "checking this link" page that follows up by itself
	KindError     Kind = "error"     // bad/forged/expired link: error page, never any link to a destination
	KindUnchecked Kind = "unchecked" // an unsigned link (/x?u=...): its text, no clickable link to it
	KindReported  Kind = "reported"  // the answer to "report this link": thanks, nothing else
)

// Page is what a page shows. Every string in it is treated as untrusted
// text and escaped; the URL fields (ScreenshotURL, ProceedURL, ReportURL,
// RefreshURL) are used only when they are same-origin paths (see
// SameOriginPath) and are otherwise left out of the page.
type Page struct {
	Kind           Kind
	Lang           Lang             // JA when not one of the languages
	ClickID        string           // shown for quoting to the security team (SOC)
	Dest           string           // destination URL (absolute); may be "" for KindError, and is never shown on it
	Level          verdict.Level    // for warn/block
	Reasons        []verdict.Reason // shown with JA or EN text per Lang; reasons whose Level is clean are skipped
	Chain          []string         // redirect chain URLs, shown as text, never as links
	ShownDomain    string           // the domain the mail showed when it linked another ("mismatch"), ASCII or Unicode
	ScreenshotURL  string           // same-origin path of the screenshot; "" = none
	ProceedURL     string           // "continue anyway" (same-origin path); "" = no button; never shown on KindBlock
	ReportURL      string           // same-origin path for the POST form "report this link" (with hidden input click_id); "" = none
	RefreshURL     string           // for KindChecking: same-origin path to follow up to
	RefreshSeconds int              // for KindChecking, clamped to 1..60 (0 means 2)
	ErrorKey       string           // for KindError: "malformed", "bad-signature", "unknown-key", "expired", "not-found", "not-checked", "too-many" or "internal"; picks the message
	UncheckedText  string           // for KindUnchecked: the text the unsigned link carried (shown as text only)
	// Recorded, for KindReported: the report is in the SOC's inbox. When
	// false the page says it could not be recorded (never that anyone
	// was told).
	Recorded bool
}

// errorKeys are the values of Page.ErrorKey that have their own message.
// The codes of linktoken.Code that are not in the list ("version",
// "bad-destination") are shown as "malformed"; any other key as "internal".
//
// "not-checked" answers a security scanner (or a HEAD request) on a link
// with no verdict yet: nothing was rendered, nothing is wrong with the
// link. "too-many" answers a client over its rate limit.
var errorKeys = []string{"malformed", "bad-signature", "unknown-key", "expired", "not-found", "not-checked", "too-many", "internal"}

// StylePath is where the click proxy serves CSS; every page links it.
const StylePath = "/static/kensa.css"

// CSS is the stylesheet of every page, to be served at StylePath with the
// type text/css; charset=utf-8 and the Headers.
//
//go:embed kensa.css
var CSS []byte

// Headers returns the security headers every Kensa page, and every click
// response including redirects, must carry, as name/value pairs. The
// Content-Security-Policy allows the stylesheet and images from the click
// proxy itself, forms posting back to it, and nothing else: no script at all
// (there is no script-src, so default-src 'none' forbids every script), no
// inline style, no framing. The slice is new on every call.
func Headers() [][2]string {
	return [][2]string{
		{"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
		{"Referrer-Policy", "no-referrer"},
		{"X-Frame-Options", "DENY"},
		{"X-Content-Type-Options", "nosniff"},
		{"Cache-Control", "no-store"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
	}
}

//go:embed templates/*.html
var templateFS embed.FS

// templates holds one parsed template set per language, so that the msg
// function needs no language argument and rendering needs no cloning.
var templates = func() map[Lang]*template.Template {
	m := make(map[Lang]*template.Template, len(messages))
	for l := range messages {
		m[l] = template.Must(template.New("").Funcs(funcs(l)).ParseFS(templateFS, "templates/*.html"))
	}
	return m
}()

// funcs returns the template functions for language l. msg returns the
// text of a message key and fails the rendering for a key that does not
// exist, so a typo never shows a blank.
func funcs(l Lang) template.FuncMap {
	return template.FuncMap{
		"msg": func(key string) (string, error) {
			s, ok := messages[l][key]
			if !ok {
				return "", fmt.Errorf("pages: no message %q", key)
			}
			return s, nil
		},
	}
}

// Render writes the page's complete HTML document (UTF-8) to w. The page is
// rendered in full before anything is written, so a template error never
// leaves half a page; the error is for a Kind this package does not know
// or for a failed write.
func Render(w io.Writer, p Page) error {
	v, err := newView(p)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := templates[v.Lang].ExecuteTemplate(&b, "page", v); err != nil {
		return fmt.Errorf("pages: render %s: %w", p.Kind, err)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// errKind is returned by Render for a Kind it does not know.
var errKind = errors.New("pages: unknown page kind")

// Limits on what a page shows of untrusted text, so that a hostile URL
// cannot make a page of megabytes.
const (
	maxClickID   = 64
	maxPath      = 160
	maxReason    = 400
	maxReasons   = 20
	maxChain     = 12
	maxChainPath = 80
	maxUnchecked = 2000
)

// view is what the templates see. Everything in it is plain text, except
// the URLs, which have been checked by SameOriginPath.
type view struct {
	Lang      Lang
	Kind      Kind
	Level     verdict.Level
	TitleKey  string
	LeadKey   string
	BodyKey   string // a second paragraph (the error message), "" for none
	AdviceKey string // what to do, for warn and block
	ClickID   string

	Dest     *hostView // nil: no destination shown
	Shown    *hostView // the domain the mail showed, when it differs
	Reasons  []reasonView
	Chain    []*hostView
	ChainCut bool // Chain was shortened

	Screenshot string
	Proceed    string
	Report     string
	Refresh    string
	RefreshSec int

	Unchecked string // shortened to maxUnchecked runes
}

// hostView is a Destination ready to show, with the path shortened, or
// with the whole URL shortened when it has no host.
type hostView struct {
	Destination
	ShortPath string
	ShortRaw  string // set when HostUnicode is ""
}

// reasonView is one finding in the page's language.
type reasonView struct {
	Level    verdict.Level
	BadgeKey string
	Text     string
}

func newView(p Page) (*view, error) {
	v := &view{
		Lang:    p.Lang,
		Kind:    p.Kind,
		Level:   p.Level,
		ClickID: truncate(p.ClickID, maxClickID),
		Report:  SameOriginPath(p.ReportURL),
	}
	if !v.Lang.valid() {
		v.Lang = JA
	}
	switch p.Kind {
	case KindWarn, KindBlock:
		if p.Kind == KindBlock {
			v.Level = verdict.Malicious
			v.TitleKey, v.LeadKey, v.AdviceKey = "title.block", "lead.block", "advice.block"
		} else {
			switch p.Level {
			case verdict.Unknown:
				v.TitleKey, v.LeadKey, v.AdviceKey = "title.warn.unknown", "lead.warn.unknown", "advice.unknown"
			case verdict.Malicious:
				v.TitleKey, v.LeadKey, v.AdviceKey = "title.warn.malicious", "lead.warn.malicious", "advice.warn"
			default:
				v.Level = verdict.Suspicious
				v.TitleKey, v.LeadKey, v.AdviceKey = "title.warn.suspicious", "lead.warn.suspicious", "advice.warn"
			}
			v.Proceed = SameOriginPath(p.ProceedURL)
		}
		v.Dest = describeForView(p.Dest, maxPath)
		v.Shown = shownView(p.ShownDomain, v.Dest)
		v.Reasons = reasonViews(p.Reasons, v.Lang)
		for i, c := range p.Chain {
			if i == maxChain {
				v.ChainCut = true
				break
			}
			if h := describeForView(c, maxChainPath); h != nil {
				v.Chain = append(v.Chain, h)
			}
		}
		v.Screenshot = SameOriginPath(p.ScreenshotURL)
	case KindChecking:
		v.TitleKey, v.LeadKey = "title.checking", "lead.checking"
		v.Dest = describeForView(p.Dest, maxPath)
		v.Refresh = SameOriginPath(p.RefreshURL)
		v.RefreshSec = p.RefreshSeconds
		switch {
		case v.RefreshSec == 0:
			v.RefreshSec = 2
		case v.RefreshSec < 1:
			v.RefreshSec = 1
		case v.RefreshSec > 60:
			v.RefreshSec = 60
		}
	case KindError:
		// Never a destination: the link may be forged, and what it names is
		// exactly what an attacker wants shown on Kensa's own origin.
		k := errorKey(p.ErrorKey)
		v.TitleKey, v.LeadKey, v.BodyKey = "error."+k+".title", "error."+k+".body", "error.advice"
	case KindUnchecked:
		v.TitleKey, v.LeadKey = "title.unchecked", "lead.unchecked"
		v.Unchecked = truncate(p.UncheckedText, maxUnchecked)
		if d := describeForView(p.UncheckedText, maxPath); d != nil && d.HostUnicode != "" {
			v.Dest = d
		}
	case KindReported:
		// It says only what is true: recorded in the inbox, or not. That
		// tells a prober nothing: only the page's own MAC-signed report
		// URL can be recorded, so a guessed click ID never is.
		v.TitleKey, v.LeadKey = "title.reported", "lead.reported"
		if !p.Recorded {
			v.TitleKey, v.LeadKey = "title.report-failed", "lead.report-failed"
		}
	default:
		return nil, fmt.Errorf("%w %q", errKind, p.Kind)
	}
	return v, nil
}

// errorKey maps Page.ErrorKey to one of errorKeys.
func errorKey(k string) string {
	switch k {
	case "version", "bad-destination":
		return "malformed"
	}
	for _, e := range errorKeys {
		if k == e {
			return k
		}
	}
	return "internal"
}

// describeForView describes a URL for a page, or returns nil for "". A URL
// without a host (a javascript: or data: URL in a redirect chain, text that
// is not a URL) is shown as shortened text.
func describeForView(raw string, maxPath int) *hostView {
	if raw == "" {
		return nil
	}
	d := Describe(raw)
	h := &hostView{Destination: d, ShortPath: truncate(d.Path, maxPath)}
	if d.HostUnicode == "" {
		h.ShortRaw = truncate(raw, maxPath)
	}
	return h
}

// shownView describes the domain the mail showed, or returns nil when there
// is none, it does not look like a domain, or it names the destination's
// own registrable domain.
func shownView(shown string, dest *hostView) *hostView {
	shown = strings.TrimSpace(shown)
	if len(shown) > maxHost {
		return nil
	}
	reg, ok := domain.Shown(shown)
	if !ok || dest != nil && reg == dest.Registrable {
		return nil
	}
	d := Destination{Host: shown}
	splitHost(&d)
	return &hostView{Destination: d}
}

// reasonViews picks the text of each non-clean reason in the language,
// falling back to the other language, and drops repeats.
func reasonViews(rs []verdict.Reason, l Lang) []reasonView {
	var out []reasonView
	seen := make(map[string]bool)
	for _, r := range rs {
		if r.Level == verdict.Clean {
			continue
		}
		text, other := r.JA, r.EN
		if l == EN {
			text, other = r.EN, r.JA
		}
		text = strings.TrimSpace(text)
		if text == "" {
			text = strings.TrimSpace(other)
		}
		if text == "" {
			text = string(r.Code)
		}
		text = truncate(text, maxReason)
		if text == "" || seen[text] {
			continue
		}
		seen[text] = true
		lvl := r.Level
		if lvl != verdict.Suspicious && lvl != verdict.Malicious {
			lvl = verdict.Unknown
		}
		out = append(out, reasonView{Level: lvl, BadgeKey: "level." + string(lvl), Text: text})
		if len(out) == maxReasons {
			break
		}
	}
	return out
}

// truncate shortens s to at most n runes, ending it with "…" when cut, and
// replaces invalid UTF-8.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n-1 {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

// SameOriginPath returns u when it is a path on the click proxy's own
// origin, and "" otherwise. A same-origin path starts with exactly one "/"
// and has only printable ASCII without a backslash: browsers read "//host",
// "/\host" and "/<TAB>/host" as another origin, and a URL Kensa signed never
// needs anything else.
func SameOriginPath(u string) string {
	if len(u) < 1 || u[0] != '/' || len(u) > 4096 {
		return ""
	}
	if len(u) > 1 && (u[1] == '/' || u[1] == '\\') {
		return ""
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return ""
		}
	}
	return u
}
