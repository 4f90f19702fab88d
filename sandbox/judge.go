package sandbox

import (
	"context"
	"net/url"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// Request is one link to check, with the clicker's browser.
type Request struct {
	URL       string
	UserAgent string // the clicker's; the render imitates it
	Language  string // Accept-Language; default ja-JP
}

// Result is what a scan returns.
type Result struct {
	Report  *capture.Report
	Verdict verdict.Verdict
}

// Scanner checks links. The click proxy uses it, in process or remote.
type Scanner interface {
	Scan(ctx context.Context, req Request) (Result, error)
}

// Policy is the organisation's part of judging.
type Policy struct {
	OwnDomains []string          // lookalikes of these are flagged like brands
	OAuth      rules.OAuthPolicy // OAuth apps the organisation allows
}

// Judge turns a Report into a Verdict with every rule's reasons. A render
// that failed gives Unknown unless what was captured is already worse.
func Judge(r *capture.Report, p Policy) verdict.Verdict {
	var reasons []verdict.Reason
	chain := []string{r.URL}
	for _, h := range r.Chain {
		chain = append(chain, h.URL)
	}
	if r.FinalURL != "" {
		chain = append(chain, r.FinalURL)
	}
	reasons = append(reasons, rules.OAuthReasons(chain, p.OAuth)...)
	reasons = append(reasons, rules.OAuthPageReasons(r, chain, p.OAuth)...)
	reasons = append(reasons, rules.CredentialReasons(r, p.OwnDomains)...)
	reasons = append(reasons, rules.DownloadReasons(r)...)
	reasons = append(reasons, rules.UnknownSourcesReasons(r)...)
	reasons = append(reasons, rules.FakeUpdateReasons(r)...)
	seen := map[string]bool{}
	for _, u := range []string{r.URL, r.FinalURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Hostname() == "" || seen[pu.Hostname()] {
			continue
		}
		seen[pu.Hostname()] = true
		reasons = append(reasons, rules.LookalikeReasons(pu.Hostname(), p.OwnDomains)...)
	}
	if r.CertError != "" {
		reasons = append(reasons, verdict.Reason{
			Code: verdict.CodeCertificateError, Level: verdict.Suspicious,
			Evidence: map[string]string{"error": r.CertError},
			JA:       "このサイトの証明書に問題があります（" + r.CertError + "）。本物のサイトではない可能性があります。",
			EN:       "This site's certificate is not valid (" + r.CertError + "); it may not be the site it claims to be.",
		})
	}
	level := verdict.FromReasons(reasons)
	if r.Err != "" {
		reasons = append(reasons, verdict.Reason{
			Code: verdict.CodeRenderFailed, Level: verdict.Unknown,
			Evidence: map[string]string{"error": r.Err},
			JA:       "リンク先を確認できませんでした（" + r.Err + "）。",
			EN:       "Kensa could not check this link (" + r.Err + ").",
		})
		if level == verdict.Clean {
			level = verdict.Unknown
		}
	}
	if reasons == nil {
		reasons = []verdict.Reason{}
	}
	return verdict.Verdict{
		Level: level, Reasons: reasons, URL: r.URL, FinalURL: r.FinalURL,
		JudgedAt: r.StartedAt.Add(r.Duration), Sandboxed: true,
	}
}
