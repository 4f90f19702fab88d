package clickproxy

import "github.com/kensa-mail/kensa/clickproxy/verdict"

// Signs about the mail a link came from, carried in the link's flags. A
// verdict is about a destination and is cached under its URL; these belong
// to one message, so they are added to the verdict at each click, to what
// the person is shown and what the click log records, never to the cache.

// withMailSigns returns v with the reasons the click's link carries added,
// and its level raised to match. v's Reasons are not modified.
func withMailSigns(v verdict.Verdict, p *pendingClick) verdict.Verdict {
	if !p.PasswordForm {
		return v
	}
	r := mailPasswordFormReason()
	v.Reasons = append(append(make([]verdict.Reason, 0, len(v.Reasons)+1), v.Reasons...), r)
	v.Level = verdict.Worst(v.Level, r.Level)
	return v
}

// shownAction returns the verdict a click is shown (withMailSigns) and the
// action it leads to: the stricter of what the cached verdict and the shown
// one lead to, so that a sign never softens the policy (an unknown verdict
// under "unknown: block" stays blocked).
func (s *Server) shownAction(cv verdict.Verdict, p *pendingClick) (v verdict.Verdict, action string, proceed bool) {
	v = withMailSigns(cv, p)
	action, proceed = s.action(v.Level)
	if v.Level != cv.Level {
		switch a, pr := s.action(cv.Level); {
		case a == "block":
			action, proceed = a, false
		case a == "warn" && action == "warn":
			proceed = proceed && pr
		}
	}
	return v, action, proceed
}

// mailPasswordFormReason: the rewriter found a password field in the
// message (linktoken.FlagPasswordForm, docs/mail-forms.md). Legitimate mail
// does not carry one; a clean destination gets a warning, with "continue
// anyway" as the policy allows.
func mailPasswordFormReason() verdict.Reason {
	return verdict.Reason{
		Code: verdict.CodeMailPasswordForm, Level: verdict.Suspicious,
		JA: "このメールには、パスワードを入力させるフォームが含まれていました。本物のサービスがメールの中でパスワードを尋ねることはありません。",
		EN: "The mail this link came from contained a form asking for a password; real services do not ask for passwords in mail.",
	}
}
