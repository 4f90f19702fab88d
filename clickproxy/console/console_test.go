package console

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// sample is one View per page, with data in every field a template reads.
func sample() []*View {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	click := api.ClickEvent{ClickID: "0123456789abcdef", Time: t0, Recipient: "taro@example.co.jp", URL: "https://login.example-phish.test/<script>", Host: "login.example-phish.test", Verdict: "malicious", Action: "block"}
	var buckets []Bucket
	for i := range 24 {
		buckets = append(buckets, Bucket{Start: t0.Add(time.Duration(i) * time.Hour), Counts: map[string]int{"redirect": i, "block": i % 3}})
	}
	rep := ReportRow{ID: "r1", ClickID: click.ClickID, Time: t0, URL: click.URL, Recipient: click.Recipient, Status: "new"}
	rev := rep
	rev.Status, rev.Outcome, rev.ReviewedBy, rev.Reviewed = "reviewed", "malicious", "user:a@example.com", t0
	v := func(page string, data any) *View {
		return &View{Page: page, User: "a@example.com", Role: api.RoleAdmin, CSRF: "tok\"en", CanAct: true, CanAdmin: true, Flash: "override", Problem: "<b>x</b>", Data: data}
	}
	login := v(PageLogin, nil)
	login.User, login.Flash = "", ""
	return []*View{
		login,
		v(PageHome, Home{Since: t0, Until: t0.Add(24 * time.Hour), Total: 3, ByAction: []Count{{"block", 1}}, Chart: NewChart(buckets), TopDomains: []Count{{"example-phish.test", 2}},
			Retro: []RetroRow{{ClickTime: t0, KnownTime: t0.Add(time.Hour), Recipient: "taro@example.co.jp", URL: click.URL, Proceeded: true}}, ReportsWaiting: 1, Reports: []ReportRow{rep}}),
		v(PageClicks, Clicks{Query: url.Values{"verdict": {"malicious"}}, Rows: []api.ClickEvent{click}, Next: "cursor=abc", Errors: []string{"bad from"}, ExportCSV: "/api/v1/clicks/export?format=csv", ExportJSONL: "/api/v1/clicks/export?format=jsonl",
			Link: "https://k.example/k/x", Decoded: &api.Decoded{URL: click.URL, Recipient: click.Recipient, MessageDigest: "0123456789abcdef", MessageID: "<m@x>", Issued: t0, ShownDomain: "rakuten.co.jp", Flags: []string{"password-form"}, Trimmed: "）"}}),
		v(PageURL, URLPage{URL: click.URL, Digest: "00", Verdict: "malicious", Reasons: []string{"credential-form"}, Known: &RetroRow{KnownTime: t0, Via: "override"},
			Renders: []RenderRow{{Time: t0, Verdict: "malicious", ShotURL: "/console/shot/00", Chain: []string{"https://a.test/", click.URL}, FinalURL: click.URL, UserAgent: "Mozilla/5.0", Trigger: "click"}},
			Clicks:  []api.ClickEvent{click}}),
		v(PageOverrides, Overrides{Rows: []OverrideRow{{List: "block", Kind: "domain", Value: "example-phish.test", Note: "phish", By: "user:a@example.com", Created: t0, Expires: t0.Add(time.Hour)}}}),
		v(PageReports, Reports{Status: "", Rows: []ReportRow{rep, rev}}),
		v(PageAudit, Audit{Entries: []api.AuditEntry{{Time: t0, Actor: "user:a@example.com", Role: "admin", Action: api.AuditOverrideAdd, Target: "block|domain|x", Reason: "phish", Outcome: "success", Detail: map[string]string{"expires": "1h"}}}, Next: "1-0"}),
		v(PageUsers, Users{Users: []UserRow{{Email: "b@example.com", Role: "viewer", Created: t0}}, Tokens: []TokenRow{{ID: "ab", Name: "siem", Role: "viewer", Created: t0}}, NewSecret: "kensa_secret", NewSecretName: "siem", Roles: []string{"viewer", "analyst", "admin"}, Scopes: []string{"extension"}}),
		v(PageError, ErrorData{Status: 403, Key: "forbidden"}),
	}
}

// TestRenderEveryPage renders every page in both languages: no missing
// message, no script, no inline style, every form that changes
// something carries the CSRF token, and untrusted text is escaped.
func TestRenderEveryPage(t *testing.T) {
	for _, l := range []pages.Lang{pages.JA, pages.EN} {
		for _, v := range sample() {
			v.Lang = l
			t.Run(string(l)+"/"+v.Page, func(t *testing.T) {
				var b strings.Builder
				if err := Render(&b, v); err != nil {
					t.Fatal(err)
				}
				h := b.String()
				for _, bad := range []string{"<script", " style=", "<style", "http://", "<b>x</b>"} {
					if strings.Contains(h, bad) {
						t.Errorf("page contains %q", bad)
					}
				}
				if !strings.Contains(h, `<html lang="`+string(l)+`">`) {
					t.Error("no lang attribute")
				}
				forms := strings.Count(h, `method="post"`)
				if tokens := strings.Count(h, `name="csrf" value="tok&#34;en"`); tokens != forms {
					t.Errorf("%d post forms, %d CSRF fields", forms, tokens)
				}
			})
		}
	}
}

func TestMessagesBothLanguages(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range texts {
		if m.ja == "" || m.en == "" {
			t.Errorf("%q: a text is missing (ja %q, en %q)", m.key, m.ja, m.en)
		}
		if seen[m.key] {
			t.Errorf("%q is defined twice", m.key)
		}
		seen[m.key] = true
	}
	if len(messages[pages.JA]) != len(texts) || len(messages[pages.EN]) != len(texts) {
		t.Errorf("%d texts, %d ja and %d en messages", len(texts), len(messages[pages.JA]), len(messages[pages.EN]))
	}
}

func TestChart(t *testing.T) {
	c := NewChart([]Bucket{{Counts: map[string]int{"block": 3}}, {Counts: map[string]int{"block": 7, "redirect": 1}}})
	if len(c.Series) != 2 || c.Series[0].Action != "redirect" || c.Series[1].Total != 10 || c.Empty {
		t.Fatalf("%+v", c.Series)
	}
	if top := c.YTicks[len(c.YTicks)-1].Label; top != "8" {
		t.Errorf("top tick %s, want 8", top)
	}
	if e := NewChart(nil); !e.Empty || len(e.Series) != 0 {
		t.Errorf("empty chart %+v", e)
	}
}
