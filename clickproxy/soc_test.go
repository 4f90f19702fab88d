package clickproxy

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// turningScanner is the fake scanner, except that the hosts in bad are
// found malicious: a page that turns bad after its clean verdict.
type turningScanner struct {
	*fakeScanner
	mu  sync.Mutex
	bad map[string]bool
}

func (s *turningScanner) turn(host string) {
	s.mu.Lock()
	s.bad[host] = true
	s.mu.Unlock()
}

func (s *turningScanner) Scan(ctx context.Context, r sandbox.Request) (sandbox.Result, error) {
	host := hostOf(r.URL)
	s.mu.Lock()
	bad := s.bad[host]
	s.mu.Unlock()
	if !bad {
		return s.fakeScanner.Scan(ctx, r)
	}
	return sandbox.Result{
		Report: &capture.Report{URL: r.URL, FinalURL: r.URL + "#landed", Status: 200, Chain: []capture.Hop{{URL: r.URL, Kind: "initial"}}, Screenshot: fakeShot, UserAgent: r.UserAgent},
		Verdict: verdict.Verdict{Level: verdict.Malicious, URL: r.URL, JudgedAt: time.Now(), Reasons: []verdict.Reason{{
			Code: verdict.CodeCredentialForm, Level: verdict.Malicious, JA: "偽のログイン", EN: "a fake login"}}},
	}, nil
}

func (e *env) apiJSON(method, path, body string, want int, out any) {
	e.t.Helper()
	code, b := e.api(method, path, body, apiToken)
	if code != want {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// The retro-hunt: URLs clicked while clean (and let through), later
// condemned by a re-scan, an override and the scheduled re-check, appear
// with the click's time and the time the threat became known.
func TestRetroHunt(t *testing.T) {
	sc := &turningScanner{fakeScanner: newFakeScanner(), bad: map[string]bool{}}
	e := newEnvWith(t, Policy{}, sc)
	hosts := map[string]string{ // how each is condemned -> its host
		"rescan":   "rescan.example-shop.co.jp",
		"override": "override.example-shop.co.jp",
		"recheck":  "recheck.example-shop.co.jp",
	}
	clicked := map[string]time.Time{}
	urls := map[string]string{}
	for via, h := range hosts {
		u := "https://" + h + "/campaign?id=" + via
		urls[via] = u
		before := time.Now()
		if a := e.get(e.link(u)); a.action != "redirect" {
			t.Fatalf("%s: first click %s, want redirect (clean)", via, a.action)
		}
		clicked[via] = before
	}
	// A URL that stays clean is never a hit.
	if a := e.get(e.link("https://" + fakeClean + "/stays-clean")); a.action != "redirect" {
		t.Fatal(a.action)
	}
	waitWritten(t, e.events)
	// A click's render is recorded in the URL's history just after the
	// click is answered: wait for the three (a hang guard, not a timing).
	for _, u := range urls {
		pu, _ := parseDest(u)
		key := keyRenders + urlDigest(canonicalURL(u, pu))
		for i := 0; ; i++ {
			if n, _ := e.rdb.LLen(context.Background(), key).Result(); n == 1 {
				break
			}
			if i == 600 {
				t.Fatalf("render of %s never recorded", u)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var list api.RetroHuntList
	e.apiJSON("GET", api.PathRetroHunt, "", 200, &list)
	if len(list.Hits) != 0 {
		t.Fatalf("retro-hunt before any condemnation: %+v", list.Hits)
	}

	for _, h := range hosts {
		sc.turn(h)
	}
	// 1. An analyst's re-scan.
	var rs api.RescanResult
	e.apiJSON("POST", api.PathRescan, `{"url":"`+urls["rescan"]+`","reason":"user report"}`, 200, &rs)
	if rs.Render.Verdict != verdict.Malicious || rs.RetroHits != 1 || rs.Render.Trigger != api.TriggerRescan || rs.Render.By != "config-token" {
		t.Errorf("rescan: %+v", rs)
	}
	// The new verdict is what the next click gets, at once.
	if a := e.get(e.link(urls["rescan"])); a.action != "block" {
		t.Errorf("click after the re-scan: %s, want block", a.action)
	}
	// 2. A block override of the URL.
	e.apiJSON("POST", api.PathOverrides, `{"list":"block","kind":"url","value":"`+urls["override"]+`","note":"campaign 12"}`, 201, nil)
	// 3. The scheduled re-check (run here by hand, not by its timer).
	if n, err := e.srv.recheckOnce(context.Background()); err != nil || n < 1 {
		t.Errorf("recheckOnce: %d, %v", n, err)
	}

	e.apiJSON("GET", api.PathRetroHunt, "", 200, &list)
	got := map[string]api.RetroHit{}
	for _, h := range list.Hits {
		got[h.Condemned.Via] = h
	}
	for via, h := range hosts {
		hit, ok := got[via]
		if !ok {
			t.Errorf("%s: no retro-hunt hit; hits %+v", via, list.Hits)
			continue
		}
		if hit.Click.Host != h || hit.Click.Action != "redirect" || hit.Click.Outcome != api.OutcomeSuccess {
			t.Errorf("%s: hit on %+v", via, hit.Click)
		}
		// Both times: the click's, and the later one the threat became known.
		if hit.Click.Time.Before(clicked[via].Add(-time.Second)) || !hit.Condemned.Time.After(hit.Click.Time) {
			t.Errorf("%s: clicked %v, condemned %v", via, hit.Click.Time, hit.Condemned.Time)
		}
	}
	if got["override"].Condemned.Reason != "campaign 12" || got["override"].Condemned.By != "config-token" {
		t.Errorf("override condemnation: %+v", got["override"].Condemned)
	}
	if len(list.Hits) != 3 {
		t.Errorf("%d hits, want 3 (the blocked click after the re-scan is no hit): %+v", len(list.Hits), list.Hits)
	}

	// The URL's page: the renders (click, then re-scan), the clicks and
	// what they were shown, the condemnation.
	var pg api.URLPage
	e.apiJSON("GET", api.PathURLs+"?url="+url.QueryEscape(urls["rescan"]), "", 200, &pg)
	if len(pg.Renders) != 2 || pg.Renders[0].Trigger != api.TriggerRescan || pg.Renders[1].Trigger != api.TriggerClick ||
		pg.Renders[0].Verdict != verdict.Malicious || pg.Renders[1].Verdict != verdict.Clean || pg.Renders[0].FinalURL != urls["rescan"]+"#landed" {
		t.Errorf("renders: %+v", pg.Renders)
	}
	if len(pg.Clicks) != 2 || pg.Clicks[0].Action != "block" || pg.Clicks[1].Action != "redirect" || pg.Condemned == nil || pg.Condemned.Via != "rescan" {
		t.Errorf("url page: clicks %+v condemned %+v", pg.Clicks, pg.Condemned)
	}
	if pg.Verdict == nil || pg.Verdict.Level != verdict.Malicious {
		t.Errorf("url page verdict %+v", pg.Verdict)
	}
	shot := pg.Renders[0].Screenshot
	if shot == "" {
		t.Fatal("no screenshot ref")
	}
	req, _ := http.NewRequest("GET", e.base+shot, nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != string(fakeShot) {
		t.Errorf("screenshot: %d %q", resp.StatusCode, b)
	}

	// Every change is in the audit log: who, what, why.
	var audit api.AuditList
	e.apiJSON("GET", api.PathAudit, "", 200, &audit)
	seen := map[string]api.AuditEntry{}
	for _, a := range audit.Entries {
		seen[a.Action] = a
	}
	if a := seen[api.AuditRescan]; a.Actor != "config-token" || a.Reason != "user report" || a.Target != urls["rescan"] {
		t.Errorf("rescan audit: %+v", a)
	}
	if a := seen[api.AuditOverrideAdd]; a.Reason != "campaign 12" || a.Time.IsZero() {
		t.Errorf("override audit: %+v", a)
	}
}

// Search, export, decode, the report inbox and override expiry through
// the API.
func TestSOCAPI(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	for i, d := range []string{"http://" + fakeClean + "/a", "http://" + fakeClean + "/b", "http://" + fakePhish + "/login"} {
		_ = i
		e.get(e.link(d))
	}
	blk := e.get(e.link("http://" + fakePhish + "/login"))
	waitWritten(t, e.events)

	var cl api.ClickList
	e.apiJSON("GET", api.PathClicks+"?domain=account-check.top", "", 200, &cl)
	if len(cl.Clicks) != 2 || cl.Clicks[0].Action != "block" || cl.Clicks[0].Domain != "account-check.top" || cl.Clicks[0].Schema != api.SchemaVersion {
		t.Errorf("search by domain: %+v", cl)
	}
	e.apiJSON("GET", api.PathClicks+"?limit=1&action=redirect", "", 200, &cl)
	if len(cl.Clicks) != 1 || cl.Next == "" {
		t.Fatalf("page 1: %+v", cl)
	}
	first := cl.Clicks[0].ClickID
	e.apiJSON("GET", api.PathClicks+"?limit=1&action=redirect&cursor="+cl.Next, "", 200, &cl)
	if len(cl.Clicks) != 1 || cl.Clicks[0].ClickID == first {
		t.Errorf("page 2: %+v", cl)
	}
	for _, bad := range []string{"?verdict=evil", "?from=yesterday", "?limit=0", "?cursor=xyz", "?color=red", "?message=nonsense"} {
		if code, body := e.api("GET", api.PathClicks+bad, "", apiToken); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	// A Message-ID the rewriter recorded finds the clicks of its digest.
	if err := RecordMessage(context.Background(), e.rdb, api.MessageInfo{Digest: strings.Repeat("ab", 8), MessageID: "<m1@example.co.jp>", Recipients: []string{"taro@example.co.jp"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	var mi api.MessageInfo
	e.apiJSON("GET", api.PathMessages+"?id="+url.QueryEscape("m1@example.co.jp"), "", 200, &mi)
	if mi.Digest != strings.Repeat("ab", 8) || mi.Recipients[0] != "taro@example.co.jp" {
		t.Errorf("message: %+v", mi)
	}
	e.apiJSON("GET", api.PathClicks+"?message="+url.QueryEscape("<unknown@example.co.jp>"), "", 200, &cl)
	if len(cl.Clicks) != 0 {
		t.Errorf("unknown Message-ID found %d clicks", len(cl.Clicks))
	}

	// Export: every click, oldest first, in both formats.
	for _, f := range []string{api.FormatJSONL, api.FormatCSV} {
		req, _ := http.NewRequest("GET", e.base+api.PathExport+"?format="+f, nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rows int
		if f == api.FormatCSV {
			recs, err := csv.NewReader(resp.Body).ReadAll()
			if err != nil || len(recs) != 5 || strings.Join(recs[0], ",") != strings.Join(api.ExportColumns, ",") || recs[4][2] != "block" {
				t.Errorf("csv: %v %q", err, recs)
			}
			rows = len(recs) - 1
		} else {
			sc := bufio.NewScanner(resp.Body)
			var last time.Time
			for sc.Scan() {
				ev, err := clicklog.Decode(sc.Bytes())
				if err != nil || ev.Time.Before(last) {
					t.Errorf("jsonl line %s: %v", sc.Text(), err)
				}
				last = ev.Time
				rows++
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || rows != 4 {
			t.Errorf("export %s: %d, %d rows", f, resp.StatusCode, rows)
		}
	}

	// Decode, with text a mail client ran into the link.
	link := e.link("http://" + fakePhish + "/login")
	var d api.Decoded
	e.apiJSON("POST", api.PathDecode, `{"link":"`+link+`）です"}`, 200, &d)
	if d.URL != "http://"+fakePhish+"/login" || d.Trimmed != "）です" || d.URLDigest == "" {
		t.Errorf("decode: %+v", d)
	}
	d = api.Decoded{}
	e.apiJSON("GET", api.PathDecode+"?link="+url.QueryEscape(link), "", 200, &d)
	if d.Trimmed != "" || d.URL != "http://"+fakePhish+"/login" {
		t.Errorf("decode GET: %+v", d)
	}
	if code, _ := e.api("POST", api.PathDecode, `{"link":"`+link[:len(link)-3]+`xyz"}`, apiToken); code != 400 {
		t.Errorf("forged link decoded: %d", code)
	}

	// The report inbox: a user's report, reviewed by an analyst.
	m := reReport.FindStringSubmatch(blk.body)
	if m == nil {
		t.Fatal("no report form")
	}
	e.do("POST", e.base+strings.ReplaceAll(m[1], "&amp;", "&"), "", "Content-Type", "application/x-www-form-urlencoded")
	var rl api.ReportList
	e.apiJSON("GET", api.PathReports+"?status=new", "", 200, &rl)
	if len(rl.Reports) != 1 || rl.Reports[0].ClickID != blk.clickID || rl.Reports[0].Verdict != "malicious" || rl.Reports[0].Status != api.ReportNew {
		t.Fatalf("inbox: %+v", rl)
	}
	if code, _ := e.api("POST", api.PathReports+"/"+blk.clickID, `{"outcome":"maybe"}`, apiToken); code != 400 {
		t.Errorf("bad outcome: %d", code)
	}
	var rep api.Report
	e.apiJSON("POST", api.PathReports+"/"+blk.clickID, `{"outcome":"malicious","note":"known campaign"}`, 200, &rep)
	if rep.Status != api.ReportReviewed || rep.ReviewedBy != "config-token" || rep.ReviewedAt.IsZero() {
		t.Errorf("review: %+v", rep)
	}
	e.apiJSON("GET", api.PathReports+"?status=new", "", 200, &rl)
	if len(rl.Reports) != 0 {
		t.Errorf("still new: %+v", rl)
	}
	e.apiJSON("GET", api.PathReports+"?status=reviewed", "", 200, &rl)
	if len(rl.Reports) != 1 || rl.Reports[0].Outcome != "malicious" {
		t.Errorf("reviewed: %+v", rl)
	}

	// The home page's summary: today's clicks by action, top domains, the
	// inbox (one report reviewed: none waiting).
	var sum api.Summary
	e.apiJSON("GET", api.PathSummary, "", 200, &sum)
	if sum.ByAction["redirect"] != 2 || sum.ByAction["block"] != 2 || len(sum.Hours) < 24 || sum.ReportsNew != 0 ||
		len(sum.TopDomains) != 2 || sum.TopDomains[0].Domain != "account-check.top" && sum.TopDomains[0].Domain != "example-shop.co.jp" {
		t.Errorf("summary: %+v", sum)
	}

	// An override with an expiry in the past is refused; one in the future is listed.
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if code, _ := e.api("POST", api.PathOverrides, `{"list":"allow","kind":"host","value":"a.example","expires":"`+past+`"}`, apiToken); code != 400 {
		t.Errorf("past expiry: %d", code)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	e.apiJSON("POST", api.PathOverrides, `{"list":"allow","kind":"host","value":"a.example","note":"vendor","expires":"`+future+`"}`, 201, nil)
	var ol api.OverrideList
	e.apiJSON("GET", api.PathOverrides, "", 200, &ol)
	if len(ol.Overrides) != 1 || ol.Overrides[0].Expires.IsZero() {
		t.Errorf("overrides: %+v", ol)
	}
}

// An override past its expiry no longer matches and is removed.
func TestOverrideExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	o := newOverrides(nil, nil, func() time.Time { return now })
	o.set["block|host|a.example"] = Override{List: "block", Kind: "host", Value: "a.example", Expires: now.Add(time.Minute)}
	if _, ok := o.match("", "a.example", func() string { return "" }); !ok {
		t.Error("live override did not match")
	}
	now = now.Add(time.Minute)
	if _, ok := o.match("", "a.example", func() string { return "" }); ok {
		t.Error("expired override matched")
	}
	if len(o.list()) != 0 {
		t.Error("expired override listed")
	}
}

// Reports in the list of earlier releases move into the inbox.
func TestMigrateReports(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	ctx := context.Background()
	e.rdb.LPush(ctx, keyReportsV1, `{"click_id":"0123456789abcdef","url":"http://`+fakePhish+`/login","recipient":"taro@example.co.jp","time":"2026-11-30T03:00:00Z"}`, `garbage`)
	e.srv.migrateReports(ctx)
	var rl api.ReportList
	e.apiJSON("GET", api.PathReports+"?status=new", "", 200, &rl)
	if len(rl.Reports) != 1 || rl.Reports[0].ClickID != "0123456789abcdef" || rl.Reports[0].Host != fakePhish {
		t.Errorf("migrated: %+v", rl)
	}
	if n, _ := e.rdb.Exists(ctx, keyReportsV1).Result(); n != 0 {
		t.Error("old list left")
	}
}

// The report webhook gets each new report as JSON, at the configured URL
// only: a redirect from it is not followed.
func TestReportWebhook(t *testing.T) {
	got := make(chan api.Report, 4)
	elsewhere := make(chan string, 4)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere <- r.URL.Path }))
	defer other.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rep api.Report
		if err := json.NewDecoder(r.Body).Decode(&rep); err != nil || r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook: %s %v", r.Method, err)
		}
		got <- rep
		http.Redirect(w, r, other.URL+"/internal", http.StatusFound)
	}))
	defer hook.Close()
	e := newFakeEnv(t, Policy{})
	base, _, _ := e.start(func(c *Config) { c.Reports = ReportConfig{Webhook: hook.URL + "/kensa"} })
	blk := e.get(strings.Replace(e.link("http://"+fakePhish+"/login"), e.base, base, 1))
	m := reReport.FindStringSubmatch(blk.body)
	if m == nil {
		t.Fatal("no report form")
	}
	e.do("POST", base+strings.ReplaceAll(m[1], "&amp;", "&"), "", "Content-Type", "application/x-www-form-urlencoded")
	select {
	case rep := <-got:
		if rep.ClickID != blk.clickID || rep.Status != api.ReportNew || rep.URL != "http://"+fakePhish+"/login" {
			t.Errorf("webhook got %+v", rep)
		}
	case <-time.After(60 * time.Second): // a hang guard
		t.Fatal("webhook never called")
	}
	select {
	case p := <-elsewhere:
		t.Errorf("the webhook's redirect was followed to %s", p)
	default:
	}
	for _, bad := range []string{"http://hooks.example.com/x", "ftp://127.0.0.1/x", "https://user:pw@hooks.example.com/", "/relative"} {
		if err := (ReportConfig{Webhook: bad}).Validate(); err == nil {
			t.Errorf("webhook %q accepted", bad)
		}
	}
	if err := (ReportConfig{Webhook: "https://hooks.example.com/kensa"}).Validate(); err != nil {
		t.Error(err)
	}
}
