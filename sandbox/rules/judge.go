package rules

import (
	"cmp"
	"net/url"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Policy is the organisation's part of judging.
type Policy struct {
	OwnDomains []string    // lookalikes of these are flagged like brands
	OAuth      OAuthPolicy // OAuth apps the organisation allows
	// Brands is the brand list to judge with; nil means DefaultBrands.
	// The corpus evaluation judges pages without their own brand
	// (BrandList.Without) to show that the rules do not need the list.
	Brands *BrandList
}

func (p Policy) brands() *BrandList {
	if p.Brands == nil {
		return DefaultBrands()
	}
	return p.Brands
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
	op := p.OAuth
	if op.OwnDomains == nil {
		op.OwnDomains = p.OwnDomains
	}
	reasons = append(reasons, OAuthReasons(chain, op)...)
	reasons = append(reasons, OAuthPageReasons(r, chain, op)...)
	brands := p.brands()
	cred := credentialReasons(r, p.OwnDomains, brands)
	reasons = append(reasons, cred...)
	reasons = append(reasons, DownloadReasons(r)...)
	reasons = append(reasons, DownloadLinkReasons(r)...)
	reasons = append(reasons, UnknownSourcesReasons(r)...)
	reasons = append(reasons, FakeUpdateReasons(r)...)
	seen := map[string]bool{}
	for _, u := range []string{r.URL, r.FinalURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Hostname() == "" || seen[pu.Hostname()] {
			continue
		}
		seen[pu.Hostname()] = true
		look := brands.LookalikeReasons(pu.Hostname(), p.OwnDomains)
		if look == nil {
			look = EmbeddedDomainReasons(pu.Hostname())
		}
		reasons = append(reasons, look...)
		reasons = append(reasons, LureDomainReasons(pu.Hostname())...)
	}
	if cred == nil {
		// Without a credential form, a claimed brand in a borrowed host
		// and the TLD are signs among others (a download lure, unknown
		// sources); CredentialReasons covers them for forms.
		reasons = append(reasons, BrandClaimReasons(r, brands)...)
		if page := cmp.Or(r.FinalURL, r.URL); page != "" {
			if host, _ := registrable(page); host != "" {
				reasons = append(reasons, HostRiskyTLDReasons(host)...)
			}
		}
	}
	if r.CertError != "" {
		reasons = append(reasons, verdict.Reason{
			Code: verdict.CodeCertificateError, Level: verdict.Suspicious,
			Evidence: map[string]string{"error": r.CertError},
			JA:       "このサイトの証明書に問題があります（" + r.CertError + "）。本物のサイトではない可能性があります。",
			EN:       "This site's certificate is not valid (" + r.CertError + "); it may not be the site it claims to be.",
		})
	}
	level, combined := combine(reasons)
	if combined != nil {
		reasons = append(reasons, *combined)
	}
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
