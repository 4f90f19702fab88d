package capture

import "time"

// Report is everything one render captured.
type Report struct {
	URL       string     `json:"url"`       // what was asked for
	FinalURL  string     `json:"final_url"` // where the page ended up
	Status    int        `json:"status"`    // HTTP status of the final document (0 if none)
	Title     string     `json:"title"`
	Text      string     `json:"text"`   // visible text, truncated
	Chain     []Hop      `json:"chain"`  // every navigation, first to last
	Forms     []Form     `json:"forms"`  // in the page, its shadow roots (open and closed), same-origin iframes and the page's own iframes in other processes (sandboxed, srcdoc)
	Images    []Image    `json:"images"` // alt text and sources (logos carry brand names)
	Links     []Link     `json:"links"`  // where the page's links and buttons lead (never followed)
	Scripts   Scripts    `json:"scripts"`
	Downloads []Download `json:"downloads"`
	Blocked   []Blocked  `json:"blocked"` // requests the egress proxy refused
	CertError string     `json:"cert_error,omitempty"`
	// Clicked is the text of the call to action ("ログイン", "Sign in",
	// "ダウンロード") the sandbox clicked because the page showed no
	// password field and started no download without it; "" when it
	// clicked nothing. When it is set, every download in Downloads began
	// after the click.
	Clicked string `json:"clicked,omitempty"`

	// Where a site names itself, for the rules that work out which brand
	// a page claims to be (sandbox/rules): og:site_name (or
	// application-name), the declared icons, the visible headings and
	// legends, and the copyright line of the footer.
	SiteName  string   `json:"site_name,omitempty"`
	Icons     []string `json:"icons,omitempty"`    // URLs of <link rel=icon|apple-touch-icon>
	Headings  []string `json:"headings,omitempty"` // visible h1-h3, legend and role=heading texts, clipped
	Copyright string   `json:"copyright,omitempty"`

	UserAgent string `json:"user_agent"`
	Language  string `json:"language"`
	Mobile    bool   `json:"mobile"`

	Screenshot []byte        `json:"screenshot,omitempty"` // JPEG, viewport; base64 in JSON, so a remote worker's Report carries it
	StartedAt  time.Time     `json:"started_at"`
	Duration   time.Duration `json:"duration_ns"`
	Err        string        `json:"error,omitempty"` // the render failed or timed out
}

// Hop is one step of the redirect chain.
type Hop struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"` // for HTTP redirects
	Kind   string `json:"kind"`             // "initial", "http-redirect", "https-upgrade" (the browser's own, HSTS), "meta-refresh", "script", "other"
}

// Form is one form (or a set of inputs outside any form).
type Form struct {
	Action string  `json:"action"` // resolved against the page URL; "" for none
	Method string  `json:"method"`
	Frame  string  `json:"frame"` // URL of the frame it was found in
	Inputs []Input `json:"inputs"`
}

// Input is one form field.
type Input struct {
	Type         string `json:"type"` // lower-case; "text" when absent
	Name         string `json:"name,omitempty"`
	ID           string `json:"id,omitempty"`
	Placeholder  string `json:"placeholder,omitempty"`
	Label        string `json:"label,omitempty"` // text of its <label> or aria-label
	Autocomplete string `json:"autocomplete,omitempty"`
	Visible      bool   `json:"visible"`
	// Masked is a text field drawn with dots instead of characters (CSS
	// -webkit-text-security other than none, computed): a password field
	// that does not say type=password.
	Masked bool `json:"masked,omitempty"`
}

// Image is an <img> of the page.
type Image struct {
	Src string `json:"src"`
	Alt string `json:"alt,omitempty"`
}

// Link is an <a> or <area> of the page. The sandbox never follows it; the
// rules read where it leads (a consent screen, a program to download).
type Link struct {
	URL  string `json:"url"`            // resolved against the page URL
	Text string `json:"text,omitempty"` // its text, aria-label or title, clipped
}

// Scripts is what the page's scripts are, for rules that recognise kits
// by their code (an OAuth consent request set up in the page's script).
type Scripts struct {
	Sources []string `json:"sources,omitempty"` // src of external scripts
	Inline  string   `json:"inline,omitempty"`  // inline script text, truncated
}

// Download is a file the page tried to make the browser save. It is never
// opened.
type Download struct {
	URL      string `json:"url"`
	FileName string `json:"file_name"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size"`
	Magic    []byte `json:"magic,omitempty"` // the first bytes, when saved
}

// Blocked is a request the egress proxy refused.
type Blocked struct {
	Host   string `json:"host"`
	Reason string `json:"reason"`
}
