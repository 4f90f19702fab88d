package clickproxy

import (
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/sandbox"
)

// Policy is what the organisation decides about verdicts.
type Policy struct {
	// DenyProceedSuspicious takes "continue anyway" off the warning for a
	// suspicious link. The zero value lets users continue (the default).
	DenyProceedSuspicious bool
	// Unknown is the action when the link could not be checked: "warn"
	// (default: a warning with "continue"), "block" or "redirect"
	// (fail-open, what commercial gateways are criticised for).
	Unknown string
	// DenyProceedUnknown takes "continue anyway" off the warning for a link
	// that could not be checked. The zero value lets users continue (the
	// default).
	DenyProceedUnknown bool
	// TrustedOneTime are registrable domains whose one-time links (password
	// resets, magic sign-in links, unsubscribe links) are judged from the
	// URL alone, so the render does not burn the token before the user
	// arrives. Domains with at least OneTimeCleanHistory different URLs
	// judged clean in 30 days (default 5) count as trusted too. A domain
	// with any other verdict in 30 days never does, even if listed.
	TrustedOneTime      []string
	OneTimeCleanHistory int64
}

// DefaultTrustedOneTime seeds Policy.TrustedOneTime with major providers
// whose mails carry one-time links.
var DefaultTrustedOneTime = []string{
	"google.com", "microsoft.com", "microsoftonline.com", "live.com", "apple.com", "amazon.co.jp", "amazon.com",
	"github.com", "gitlab.com", "slack.com", "zoom.us", "atlassian.com",
	"salesforce.com", "yahoo.co.jp", "line.me", "rakuten.co.jp", "docomo.ne.jp", "au.com",
	"softbank.jp", "paypay.ne.jp", "mercari.com", "smbc.co.jp", "mufg.jp", "mizuhobank.co.jp", "jp-bank.japanpost.jp",
	"stripe.com", "okta.com",
}

// Left out of DefaultTrustedOneTime on purpose: platforms whose pages
// anyone can publish under the platform's domain (dropbox.com, box.com,
// notion.so, atlassian.net, docusign.net), where a "one-time" link may be
// an attacker's shared page. userContentHosts lists such hosts under the
// trusted domains.

// RateLimit is one per-client limit (clickproxy/ratelimit). The zero value
// is the default of the limit it configures.
type RateLimit struct {
	// Rate is the sustained requests per second per client network; 0:
	// the default; negative: no limit (only behind a reverse proxy that
	// limits clients itself).
	Rate float64
	// Burst is how many requests a client network may make at once; 0:
	// twice Rate (at least 1).
	Burst int
}

// Default rate limits, per client network.
var (
	DefaultClickLimit = RateLimit{Rate: 20, Burst: 40}
	DefaultAPILimit   = RateLimit{Rate: 5, Burst: 10}
	// DefaultLoginLimit is per client network and per email address.
	DefaultLoginLimit = RateLimit{Rate: 0.2, Burst: 5}
	// DefaultPrincipalLimit is per API token or signed-in user.
	DefaultPrincipalLimit = RateLimit{Rate: 10, Burst: 20}
	// DefaultCheckLimit is per API token, not per network: the extension's
	// hover checks and their polling, from one user's browser.
	DefaultCheckLimit = RateLimit{Rate: 10, Burst: 40}
)

func (l RateLimit) withDefault(d RateLimit) RateLimit {
	if l.Rate == 0 {
		l.Rate = d.Rate
		if l.Burst == 0 {
			l.Burst = d.Burst
		}
	}
	if l.Burst == 0 {
		l.Burst = max(1, int(math.Ceil(2*l.Rate)))
	}
	return l
}

// Config configures the service. Codec, Redis, Scanner and Events are
// required.
type Config struct {
	Codec   *linktoken.Codec
	Keyring *linktoken.Keyring // for the proceed and screenshot keys
	Redis   redis.UniversalClient
	Scanner sandbox.Scanner
	Events  *clicklog.Log
	Policy  Policy
	TTLs    TTLs
	// Wait is how long a click waits for a new destination's verdict
	// before it gets the "checking" page; default 3 s.
	Wait time.Duration
	// RenderTimeout bounds one destination's check (both renders);
	// default 25 s.
	RenderTimeout time.Duration
	// CacheSize is the in-process verdict cache's entry count; default
	// 100 000.
	CacheSize int
	// ProceedTTL is how long a "continue anyway" button works; default 10 min.
	ProceedTTL time.Duration
	// APITokens are static bearer tokens of the API from the
	// configuration: each is admin-equivalent (access.KindConfigToken).
	// Prefer tokens made with `kensa admin token`, which have a role or a
	// scope and can be revoked (clickproxy/access).
	APITokens []string
	// SessionTTL is how long a console sign-in lasts; default 8 h.
	SessionTTL time.Duration
	// InsecureCookies sets the console's session cookie without Secure,
	// for plain http on loopback only: the cookie is then set only for a
	// loopback client (cmd/kensa refuses it for another listen address).
	InsecureCookies bool
	// LoginLimit limits console sign-in attempts per client network and
	// per email address. Default 0.2/s (12 a minute), burst 5.
	LoginLimit RateLimit
	// PrincipalLimit limits the API and console requests of one token or
	// one signed-in user, wherever they come from. Default 10/s, burst 20.
	PrincipalLimit RateLimit
	// Scanners helps tell security scanners from people in the click log.
	Scanners ScannerHints
	// ClickLimit limits every route but the API per client network (an
	// IPv4 address, an IPv6 /64): clicks, the pages' follow-ups, static
	// files, health and metrics. Default 20 requests/s, burst 40.
	ClickLimit RateLimit
	// APILimit limits the API per client network: API clients are few and
	// their requests heavier. Default 5 requests/s, burst 10.
	APILimit RateLimit
	// CheckLimit limits GET /api/v1/check (the extension's hover checks)
	// per API token instead: a company's browsers share a few NAT
	// addresses, each has its own token. Default 10 requests/s, burst 40.
	// Requests without a valid token count against APILimit.
	CheckLimit RateLimit
	// ExtensionOrigins are the browser extension origins
	// ("chrome-extension://ID") allowed to call GET /api/v1/check with
	// CORS. A request from any other Origin is refused; no wildcard.
	ExtensionOrigins []string
	// TrustProxyHeaders takes the client address from X-Forwarded-For
	// (only behind a reverse proxy that sets it).
	TrustProxyHeaders bool
	Log               *zap.Logger
	// Registerer receives the click proxy's metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Gatherer is served at /metrics; nil: no /metrics route.
	Gatherer prometheus.Gatherer
	// MetricsPublic answers /metrics to every client, not only to
	// loopback ones (the click port faces every employee).
	MetricsPublic bool
	// Retention is how long the SOC's records last: condemnations (the
	// retro-hunt), message records; the click log's own is
	// clicklog.Config.Retention (set both from serve.click_retention).
	// Default 30 days.
	Retention time.Duration
	// Recheck is the scheduled re-check of recently clicked clean URLs.
	Recheck Recheck
	// Reports configures the report inbox's webhook.
	Reports ReportConfig
	// Now is the clock; tests set it. Default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1), safe for concurrent use: where in
	// [TTLs.Clean, TTLs.CleanMax) a clean verdict expires. Tests set it.
	// Default math/rand/v2.Float64.
	Rand func() float64
}

func (c *Config) defaults() {
	if c.Wait == 0 {
		c.Wait = 3 * time.Second
	}
	if c.RenderTimeout == 0 {
		c.RenderTimeout = 25 * time.Second
	}
	if c.CacheSize == 0 {
		c.CacheSize = 100_000
	}
	if c.ProceedTTL == 0 {
		c.ProceedTTL = 10 * time.Minute
	}
	if c.TTLs == (TTLs{}) {
		c.TTLs = DefaultTTLs
	}
	if c.Policy.Unknown == "" {
		c.Policy.Unknown = "warn"
	}
	if c.Policy.OneTimeCleanHistory == 0 {
		c.Policy.OneTimeCleanHistory = 5
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.Recheck.Every == 0 {
		c.Recheck.Every = DefaultRecheck.Every
	}
	if c.Recheck.Window == 0 {
		c.Recheck.Window = DefaultRecheck.Window
	}
	if c.Recheck.Max == 0 {
		c.Recheck.Max = DefaultRecheck.Max
	}
	if c.Reports.Timeout == 0 {
		c.Reports.Timeout = DefaultReportConfig.Timeout
	}
	c.ClickLimit = c.ClickLimit.withDefault(DefaultClickLimit)
	c.APILimit = c.APILimit.withDefault(DefaultAPILimit)
	c.LoginLimit = c.LoginLimit.withDefault(DefaultLoginLimit)
	c.PrincipalLimit = c.PrincipalLimit.withDefault(DefaultPrincipalLimit)
	if c.SessionTTL == 0 {
		c.SessionTTL = 8 * time.Hour
	}
	c.CheckLimit = c.CheckLimit.withDefault(DefaultCheckLimit)
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = mrand.Float64
	}
}

// validate lists every problem.
func (c *Config) validate() error {
	var errs []error
	if c.Codec == nil {
		errs = append(errs, errors.New("no link codec (key file and base URL)"))
	}
	if c.Keyring == nil {
		errs = append(errs, errors.New("no keyring"))
	}
	if c.Redis == nil {
		errs = append(errs, errors.New("no Redis client"))
	}
	if c.Scanner == nil {
		errs = append(errs, errors.New("no scanner (sandbox)"))
	}
	if c.Events == nil {
		errs = append(errs, errors.New("no click log"))
	}
	switch c.Policy.Unknown {
	case "warn", "block", "redirect":
	default:
		errs = append(errs, fmt.Errorf("policy for unknown verdicts must be warn, block or redirect, not %q", c.Policy.Unknown))
	}
	for _, t := range c.APITokens {
		if len(t) < 16 {
			errs = append(errs, errors.New("an API token is shorter than 16 characters"))
			break
		}
	}
	if c.Retention < 0 || c.Recheck.Window < 0 || c.Recheck.Max < 0 {
		errs = append(errs, errors.New("retention, re-check window and re-check max must not be negative"))
	}
	if c.Recheck.Every > 0 && c.Recheck.Every < time.Minute {
		errs = append(errs, fmt.Errorf("re-check interval %v is under a minute", c.Recheck.Every))
	}
	if err := c.Reports.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Wait < 0 || c.RenderTimeout < 0 || c.ProceedTTL < 0 || c.SessionTTL < 0 {
		errs = append(errs, errors.New("negative duration"))
	}
	for _, l := range []struct {
		name string
		RateLimit
	}{{"click", c.ClickLimit}, {"API", c.APILimit}, {"login", c.LoginLimit}, {"principal", c.PrincipalLimit}, {"check", c.CheckLimit}} {
		if math.IsNaN(l.Rate) || math.IsInf(l.Rate, 0) || l.Burst < 0 {
			errs = append(errs, fmt.Errorf("%s rate limit: want a finite rate and a burst of 0 or more, not %v and %d", l.name, l.Rate, l.Burst))
		}
	}
	for _, o := range c.ExtensionOrigins {
		if err := ValidExtensionOrigin(o); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range c.Scanners.Ranges {
		if !p.IsValid() {
			errs = append(errs, errors.New("invalid scanner range"))
		}
	}
	return errors.Join(errs...)
}

// ParseRanges parses comma-separated CIDR prefixes (scanner ranges).
func ParseRanges(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p.Masked())
	}
	return out, errors.Join(errs...)
}

// extensionSchemes are the origin schemes of browser extensions.
var extensionSchemes = []string{"chrome-extension://", "moz-extension://", "safari-web-extension://"}

// ValidExtensionOrigin checks one entry of Config.ExtensionOrigins: an
// extension scheme and an ID of letters, digits and hyphens, nothing else
// (no wildcard, no path, no trailing slash).
func ValidExtensionOrigin(o string) error {
	for _, sch := range extensionSchemes {
		id, ok := strings.CutPrefix(o, sch)
		if !ok {
			continue
		}
		if id == "" || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			break
		}
		return nil
	}
	return fmt.Errorf("extension origin %q: want chrome-extension://ID (or moz-extension://UUID), without wildcard or path", o)
}
