package clickproxy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// pwLink is a link from a message with a password form.
func (e *env) pwLink(dest string) string {
	l, err := e.codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp", MessageDigest: linktoken.MessageDigest("<pw@example.co.jp>"), Flags: linktoken.FlagPasswordForm}, dest)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// TestMailPasswordForm: a link whose message held a password form warns
// even about a clean destination, blocks a malicious one with the reason
// listed too, never softens the policy, and leaves the cached verdict of the
// destination alone.
func TestMailPasswordForm(t *testing.T) {
	clean, phish, broken := "http://"+fakeClean+"/sale?id=42", "http://"+fakePhish+"/login", "http://"+fakeBroken+"/x"
	const ja, en = "パスワードを入力させるフォーム", "contained a form asking for a password"
	cases := []struct {
		name           string
		policy         Policy
		dest           string
		action         string
		status         int
		proceedOffered bool
	}{
		{"clean", Policy{}, clean, "warn", 200, true},
		{"clean, deny proceed on suspicious", Policy{DenyProceedSuspicious: true}, clean, "warn", 200, false},
		{"malicious", Policy{}, phish, "block", 403, false},
		{"unknown", Policy{}, broken, "warn", 200, true},
		{"unknown, deny proceed on unknown", Policy{DenyProceedUnknown: true}, broken, "warn", 200, false},
		{"unknown, block", Policy{Unknown: "block"}, broken, "block", 403, false},
		{"unknown, redirect", Policy{Unknown: "redirect"}, broken, "warn", 200, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newFakeEnv(t, c.policy)
			a := e.settle(e.get(e.pwLink(c.dest)))
			if a.action != c.action || a.status != c.status || a.location != "" || (a.proceed != "") != c.proceedOffered {
				t.Fatalf("%d %s, Location %q, continue %q; want %d %s, no Location, continue offered %v", a.status, a.action, a.location, a.proceed, c.status, c.action, c.proceedOffered)
			}
			if !strings.Contains(a.body, ja) {
				t.Errorf("the page does not list the password form:\n%s", a.body)
			}
			if a.proceed != "" {
				if p := e.get(e.base + a.proceed); p.status != 303 || p.location != c.dest {
					t.Errorf("continue: %d %s %q", p.status, p.action, p.location)
				}
			}
			if b := e.get(e.pwLink(c.dest), "Accept-Language", "en"); !strings.Contains(b.body, en) {
				t.Errorf("the English page does not list the password form")
			}
			if c.dest != clean {
				return
			}
			// The same destination from another message: the cached
			// verdict is the destination's own.
			if b := e.get(e.link(c.dest)); b.status != 303 || b.location != c.dest {
				t.Errorf("without the flag: %d %s %q, want 303 to the destination", b.status, b.action, b.location)
			}
			waitWritten(t, e.events)
			evs, err := e.events.Recent(context.Background(), 10)
			if err != nil {
				t.Fatal(err)
			}
			var warned, redirected bool
			for _, ev := range evs {
				has := slices.Contains(ev.Reasons, string(verdict.CodeMailPasswordForm))
				switch {
				case ev.Action == "warn" && has && ev.Verdict == string(verdict.Suspicious):
					warned = true
				case ev.Action == "redirect" && !ev.Proceeded && !has && ev.Verdict == string(verdict.Clean):
					redirected = true
				}
			}
			if !warned || !redirected {
				t.Errorf("click log: warned with the reason %v, redirected without it %v: %+v", warned, redirected, evs)
			}
		})
	}
}

func TestWithMailSigns(t *testing.T) {
	cached := verdict.Verdict{Level: verdict.Clean, Reasons: make([]verdict.Reason, 1, 4)}
	v := withMailSigns(cached, &pendingClick{PasswordForm: true})
	if v.Level != verdict.Suspicious || len(v.Reasons) != 2 || v.Reasons[1].Code != verdict.CodeMailPasswordForm {
		t.Errorf("withMailSigns = %+v", v)
	}
	if cached.Level != verdict.Clean || cached.Reasons[:2][1].Code != "" {
		t.Errorf("the cached verdict changed: %+v", cached)
	}
	if v := withMailSigns(verdict.Verdict{Level: verdict.Malicious}, &pendingClick{PasswordForm: true}); v.Level != verdict.Malicious {
		t.Errorf("malicious became %s", v.Level)
	}
	if v := withMailSigns(cached, &pendingClick{}); v.Level != verdict.Clean || len(v.Reasons) != 1 {
		t.Errorf("without the flag: %+v", v)
	}
}
