package rules

import (
	"sort"
	"strconv"
	"strings"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// The scoring model (docs/detection.md). Every reason a rule gives is a
// signal with a weight; signals of one family say the same thing twice
// (a lookalike domain and a brand named in the host), so a family counts
// with its strongest signal only, except the host family, whose facts
// (free hosting, a phishing-favoured TLD, lure words in the name) add up
// to a cap. The sum decides the level: scoreMalicious or more is
// malicious, scoreSuspicious or more suspicious. A reason's own level
// (what it implies alone) is a floor, so a single strong signal (an APK
// download, a brand claimed beside a password form) is malicious alone,
// and a single weak one stays clean or suspicious.
const (
	scoreMalicious  = 100
	scoreSuspicious = 40
	hostFamilyCap   = 40
	// hostOnlyCap bounds what the host name alone can add up to (a
	// lookalike domain plus the host family): below scoreMalicious, so
	// that a parked lookalike on a cheap TLD with "login" in its name is
	// suspicious until the page itself does or says something.
	hostOnlyCap = 80
)

// signal is a reason's part in the score.
type signal struct {
	family string
	weight int
}

// signalOf gives the family and weight of a reason; see docs/detection.md
// for why each weight is what it is.
func signalOf(r verdict.Reason) signal {
	byLevel := func(family string, mal, sus, clean int) signal {
		switch r.Level {
		case verdict.Malicious:
			return signal{family, mal}
		case verdict.Suspicious:
			return signal{family, sus}
		}
		return signal{family, clean}
	}
	switch r.Code {
	case verdict.CodeCredentialForm:
		return signal{"form", 20}
	case verdict.CodeFreeHosting:
		return byLevel("host", 40, 40, 15)
	case verdict.CodeRiskyTLD:
		return byLevel("host", 25, 25, 20)
	case verdict.CodeLureDomain:
		// 15 a word, at most two: "secure-twitch-support" says more than
		// "cloud-support".
		return signal{"host", 15 * min(2, strings.Count(r.Evidence["words"], ",")+1)}
	case verdict.CodeFormPostsElsewhere:
		return signal{"posts-elsewhere", 45}
	case verdict.CodeCredentialPretext:
		if r.Evidence["kind"] == "network" {
			return signal{"pretext", 60}
		}
		return signal{"pretext", 45}
	case verdict.CodeLookalikeDomain:
		return signal{"imitation", 65}
	case verdict.CodeBrandImpersonated:
		if r.Level == verdict.Malicious {
			return signal{"imitation", 100}
		}
		switch r.Evidence["claim"] {
		case "identity":
			return signal{"brand-content", 50}
		case "text":
			return signal{"brand-content", 35}
		case "text-host":
			return signal{"imitation", 50}
		}
		return signal{"imitation", 65}
	case verdict.CodeUnknownSources:
		return signal{"unknown-sources", 65}
	case verdict.CodeDownloadLink:
		return signal{"download-link", 35}
	case verdict.CodeDownload:
		return byLevel("download", 100, 45, 0)
	case verdict.CodeFakeUpdate:
		return byLevel("fake-update", 100, 50, 0)
	case verdict.CodeCertificateError:
		return signal{"certificate", 40}
	case verdict.CodeOAuthConsent, verdict.CodeOAuthHighRisk:
		return byLevel("oauth", 100, 50, 0)
	case verdict.CodeRenderFailed, verdict.CodeCombinedSignals:
		return signal{}
	}
	return byLevel(string(r.Code), 100, 50, 0)
}

// familyWords name a family in the combined reason's sentence.
var familyWords = map[string][2]string{
	"form":            {"パスワードなどの入力欄", "a password or card form"},
	"host":            {"フィッシングに多用される種類のドメイン", "a kind of domain phishing favours"},
	"posts-elsewhere": {"入力内容を別のサイトへ送るフォーム", "a form that sends what you type to another site"},
	"pretext":         {"アカウントやシステムの警告を装う文面", "text dressed up as an account or system alert"},
	"imitation":       {"有名なサービスを装う名前やドメイン", "a name or domain made to pass for a known brand"},
	"brand-content":   {"そのサービスを名乗る内容", "content that claims to be that brand"},
	"unknown-sources": {"「提供元不明のアプリ」を許可させる指示", "instructions to allow apps from unknown sources"},
	"download-link":   {"アプリやプログラムへの直接リンク", "a direct link to an app or program"},
	"download":        {"ファイルのダウンロード", "a file download"},
	"fake-update":     {"偽の更新の案内", "a fake update notice"},
	"certificate":     {"証明書の問題", "a certificate problem"},
	"oauth":           {"アカウントへのアクセス許可の要求", "a request for access to your account"},
}

// score adds up the reasons' signals and returns the total and the
// families that contributed, strongest first.
func score(rs []verdict.Reason) (int, []string) {
	best := map[string]int{}
	host, pageSaid := 0, 0 // pageSaid: the strongest imitation sign that comes from the page, not the host name
	for _, r := range rs {
		s := signalOf(r)
		if s.weight <= 0 {
			continue
		}
		if s.family == "host" {
			host += s.weight
			continue
		}
		if s.family == "imitation" && r.Code != verdict.CodeLookalikeDomain {
			pageSaid = max(pageSaid, s.weight)
		}
		best[s.family] = max(best[s.family], s.weight)
	}
	if host > 0 {
		best["host"] = min(host, hostFamilyCap)
	}
	if im := best["imitation"]; im > 0 && pageSaid < im && im+best["host"] > hostOnlyCap {
		// Only the host name speaks: cap it (hostOnlyCap).
		best["host"] = max(0, hostOnlyCap-im)
		if best["host"] == 0 {
			delete(best, "host")
		}
	}
	total := 0
	var fams []string
	for f, w := range best {
		total += w
		fams = append(fams, f)
	}
	sort.Slice(fams, func(i, j int) bool {
		if best[fams[i]] != best[fams[j]] {
			return best[fams[i]] > best[fams[j]]
		}
		return fams[i] < fams[j]
	})
	return total, fams
}

func levelOfScore(n int) verdict.Level {
	switch {
	case n >= scoreMalicious:
		return verdict.Malicious
	case n >= scoreSuspicious:
		return verdict.Suspicious
	}
	return verdict.Clean
}

// combine returns the level the reasons imply together, and the reason
// that explains it when it is worse than every reason alone (nil
// otherwise).
func combine(rs []verdict.Reason) (verdict.Level, *verdict.Reason) {
	alone := verdict.FromReasons(rs)
	total, fams := score(rs)
	together := levelOfScore(total)
	if verdict.Worst(alone, together) == alone {
		return alone, nil
	}
	var ja, en []string
	for _, f := range fams {
		if w, ok := familyWords[f]; ok {
			ja, en = append(ja, w[0]), append(en, w[1])
		}
	}
	r := &verdict.Reason{
		Code: verdict.CodeCombinedSignals, Level: together,
		Evidence: map[string]string{"signals": strings.Join(fams, ","), "score": strconv.Itoa(total)},
		JA:       "このページには、一つだけなら決め手にならない危険な兆候がいくつも重なっています（" + strings.Join(ja, "、") + "）。これらがそろうのは詐欺サイトの特徴です。",
		EN:       "This page shows several warning signs that together mark a scam site (" + strings.Join(en, "; ") + ").",
	}
	if together == verdict.Suspicious {
		r.JA = "このページには、一つだけなら問題のない兆候がいくつも重なっています（" + strings.Join(ja, "、") + "）。注意してください。"
		r.EN = "This page shows several signs that are harmless alone but worrying together (" + strings.Join(en, "; ") + ")."
	}
	return together, r
}
