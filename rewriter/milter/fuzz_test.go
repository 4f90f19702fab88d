package milter

import (
	"strings"
	"testing"
)

// FuzzDKIMPassDomains: the Authentication-Results reader never panics, never
// reports a domain from a field another authserv-id wrote (anyone can write
// such a field), and never reports one without a dkim=pass result in the
// field. Seeds are TestDKIMPassDomains' cases and testdata/fuzz.
//
// The two seeds named after the issue-16 bug (a ';' inside a comment split
// the field before comments were dropped, so "dkim=fail (x; dkim=pass
// header.d=bank.example)" read as a pass) stay in the corpus, and the check
// below holds the reader to it: a reported domain needs a dkim=pass outside
// comments.
func FuzzDKIMPassDomains(f *testing.F) {
	for _, v := range []string{
		"mx.example.co.jp; dkim=pass header.d=a.example",
		"MX.example.co.jp 1; dkim=pass (good) header.i=@a.example header.d=a.example; dkim=pass header.d=\"b.example\"",
		"mx.example.co.jp; dkim=fail header.d=a.example; dkim=neutral header.d=b.example",
		"other.example; dkim=pass header.d=a.example",
		"mx.example.co.jp.evil; dkim=pass header.d=a.example",
		"mx.example.co.jp; none",
	} {
		f.Add(v, "mx.example.co.jp")
	}
	f.Fuzz(func(t *testing.T, value, authservID string) {
		if authservID == "" {
			return // Config.TrustedAuthservID "" turns the check off before it parses
		}
		got := dkimPassDomains(value, authservID)
		if len(got) == 0 {
			return
		}
		id, _, _ := strings.Cut(value, ";")
		if f := strings.Fields(id); len(f) == 0 || !strings.EqualFold(f[0], authservID) {
			t.Fatalf("dkimPassDomains(%q, %q) = %q from another authserv-id", value, authservID, got)
		}
		if !strings.Contains(strings.ToLower(stripComments(value)), "dkim=pass") {
			t.Fatalf("dkimPassDomains(%q, %q) = %q without dkim=pass", value, authservID, got)
		}
		for _, d := range got {
			if strings.ContainsAny(d, " \t\r\n;") {
				t.Fatalf("dkimPassDomains(%q, %q): domain %q holds a separator", value, authservID, d)
			}
		}
	})
}
