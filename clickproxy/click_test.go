package clickproxy

import (
	"context"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/clicklog"
)

// TestClicks runs every verdict path with the fake scanner (no browser),
// real Redis, and the proxy over loopback HTTP.
func TestClicks(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	cases := []verdictCase{
		{"clean", "http://" + fakeClean + "/sale?id=42", "redirect", 303, nil},
		{"malicious", "http://" + fakePhish + "/login", "block", 403, []string{"楽天", fakePhish, "/shot/"}},
		{"suspicious", "https://" + fakeWarn + "/login", "warn", 200, []string{"github.io", "/p/"}},
		{"unknown", "http://" + fakeBroken + "/story", "warn", 200, []string{"/p/"}},
	}
	checkVerdicts(t, e, cases)

	// The block page's screenshot is served with its MAC only.
	blk := e.get(e.link("http://" + fakePhish + "/login"))
	if m := reShot.FindStringSubmatch(blk.body); m == nil {
		t.Errorf("block page without a screenshot")
	} else {
		shot := strings.ReplaceAll(m[1], "&amp;", "&")
		if s := e.get(e.base + shot); s.status != 200 || s.body != string(fakeShot) || s.header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("screenshot: %d %q", s.status, s.header.Get("Content-Type"))
		}
		if s := e.get(e.base + shot[:strings.Index(shot, "?")] + "?s=AAAA"); s.status != 404 {
			t.Errorf("screenshot with a wrong MAC: %d", s.status)
		}
	}

	// A warning's "continue anyway" goes on, once per click, to that
	// destination only.
	a := e.get(e.link("https://"+fakeWarn+"/login"), "Accept-Language", "en-US,en;q=0.9")
	if a.proceed == "" || !strings.Contains(a.body, "lang=\"en\"") {
		t.Fatalf("warning without a continue link, or not in English: %s", a.body)
	}
	p := e.get(e.base + a.proceed)
	if p.status != 303 || p.location != "https://"+fakeWarn+"/login" || p.action != "redirect" || p.clickID != a.clickID {
		t.Errorf("proceed: %d %q %s", p.status, p.location, p.action)
	}
	forged := strings.Replace(a.proceed, a.proceed[len(a.proceed)-3:], "AAA", 1)
	if f := e.get(e.base + forged); f.status != 410 || f.location != "" || f.action != "error" {
		t.Errorf("forged proceed token: %d %q", f.status, f.location)
	}

	// "Report this" on a block page reaches the SOC's inbox; a forged one
	// (another click ID with this MAC) does not, and its page says so.
	m := reReport.FindStringSubmatch(blk.body)
	if m == nil {
		t.Fatalf("block page without a report form")
	}
	report := strings.ReplaceAll(m[1], "&amp;", "&")
	for i, u := range []string{report, strings.Replace(report, "c="+blk.clickID, "c="+strings.Repeat("0", 16), 1)} {
		r := e.do("POST", e.base+u, "click_id="+blk.clickID, "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
		want := []string{"recorded for your security team to review", "could not be recorded"}[i]
		if r.status != 200 || !strings.Contains(r.body, want) || strings.Contains(r.body, "has been told") {
			t.Errorf("report %d: %d %s", i, r.status, r.body)
		}
	}
	if n, _ := e.rdb.ZCard(context.Background(), keyReportsAll).Result(); n != 1 {
		t.Errorf("%d reports recorded, want 1", n)
	}
	if r := e.get(e.base + "/report"); r.status != 404 {
		t.Errorf("GET /report: %d, want 404", r.status)
	}

	// The checking page follows up by itself, under the same click ID.
	slow := e.get(e.link("http://" + fakeSlow + "/story"))
	if slow.action != "checking" || slow.refresh == "" || slow.status != 200 {
		t.Errorf("slow destination: %d %s, refresh %q", slow.status, slow.action, slow.refresh)
	} else if fin := e.settle(slow); fin.action != "redirect" || fin.clickID != slow.clickID {
		t.Errorf("after checking: %s (click %s, was %s)", fin.action, fin.clickID, slow.clickID)
	}
	// The follow-up of a click needs its MAC, not only the click ID.
	if f := e.get(e.base + "/w/" + slow.clickID); f.status != 410 || f.location != "" {
		t.Errorf("follow-up without its MAC: %d %q", f.status, f.location)
	}

	// A destination net/url cannot parse (a stray "%") is still a link
	// Kensa signed: it is checked and answered, and the service lives on.
	// (On a host the fake cannot render: a warning. Go's client cannot
	// read such a URL in a Location header.)
	odd := "http://" + fakeBroken + "/sale%zz"
	if a := e.settle(e.get(e.link(odd))); a.status != 200 || a.action != "warn" || a.location != "" {
		t.Errorf("stray %%: %d %s %q", a.status, a.action, a.location)
	}

	// The unsigned form is shown, never followed.
	x := e.get(e.codec.Unsigned("http://" + fakeClean + "/" + strings.Repeat("a", 40)))
	if x.status != 200 || x.location != "" || x.action != "error" || !strings.Contains(x.body, fakeClean) {
		t.Errorf("unsigned link: %d %q", x.status, x.location)
	}

	// A link opened with another method is refused, never followed.
	if d := e.do("DELETE", e.link("http://"+fakeClean+"/"), ""); d.status != 405 || d.location != "" || d.action != "error" {
		t.Errorf("DELETE on a link: %d %q %s", d.status, d.location, d.action)
	}

	// Static files, health and readiness.
	if h := e.get(e.base + "/healthz"); h.status != 200 || h.body != "ok\n" {
		t.Errorf("healthz %d", h.status)
	}
	if r := e.get(e.base + "/readyz"); r.status != 200 {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
	if c := e.get(e.base + "/static/kensa.css"); c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/css") {
		t.Errorf("style sheet: %d %q", c.status, c.header.Get("Content-Type"))
	}
	if f := e.get(e.base + "/favicon.ico"); f.status != 204 {
		t.Errorf("favicon: %d", f.status)
	}
	if n := e.get(e.base + "/nothing-here"); n.status != 404 || n.action != "error" || n.clickID == "" {
		t.Errorf("unknown path: %d %s", n.status, n.action)
	}

	// Every click is in the click log, with its action.
	waitWritten(t, e.events)
	evs, err := e.events.Recent(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	proceeded := 0
	for _, ev := range evs {
		actions[ev.Action]++
		if ev.ClickID == "" || ev.Time.IsZero() {
			t.Errorf("incomplete event %+v", ev)
		}
		if ev.Proceeded && ev.Action == "redirect" && ev.Source == "proceed" {
			proceeded++
		}
	}
	if actions["redirect"] < 3 || actions["block"] < 3 || actions["warn"] < 5 || proceeded != 1 || actions["checking"] < 1 || actions["error"] < 1 {
		t.Errorf("click log actions %v, %d proceeded", actions, proceeded)
	}
}

// TestPolicy: the policy switches for suspicious and unknown verdicts,
// on the first answer and again on "continue anyway".
func TestPolicy(t *testing.T) {
	warn, broken := "https://"+fakeWarn+"/login", "http://"+fakeBroken+"/x"
	cases := []struct {
		name             string
		policy           Policy
		dest             string
		action           string
		status           int
		proceedOffered   bool
		proceedRedirects bool
	}{
		{"suspicious, default", Policy{}, warn, "warn", 200, true, true},
		{"suspicious, deny proceed", Policy{DenyProceedSuspicious: true}, warn, "warn", 200, false, false},
		{"unknown, default", Policy{}, broken, "warn", 200, true, true},
		{"unknown, deny proceed", Policy{DenyProceedUnknown: true}, broken, "warn", 200, false, false},
		{"unknown, block", Policy{Unknown: "block"}, broken, "block", 403, false, false},
		{"unknown, redirect", Policy{Unknown: "redirect"}, broken, "redirect", 303, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newFakeEnv(t, c.policy)
			a := e.settle(e.get(e.link(c.dest)))
			if a.action != c.action || a.status != c.status || (a.proceed != "") != c.proceedOffered {
				t.Fatalf("%d %s, continue %q; want %d %s, continue offered %v", a.status, a.action, a.proceed, c.status, c.action, c.proceedOffered)
			}
			if a.proceed != "" {
				if p := e.get(e.base + a.proceed); (p.status == 303) != c.proceedRedirects {
					t.Errorf("continue: %d %s", p.status, p.action)
				}
			}
		})
	}
}

// TestProceedAfterBlock: an override that blocks the destination after
// the warning wins over "continue anyway".
func TestProceedAfterBlock(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	a := e.get(e.link("https://" + fakeWarn + "/login"))
	if a.proceed == "" {
		t.Fatalf("no continue link: %s", a.action)
	}
	if code, body := e.api("POST", "/api/v1/overrides", `{"list":"block","kind":"host","value":"`+fakeWarn+`"}`, apiToken); code != 201 {
		t.Fatalf("add: %d %s", code, body)
	}
	if p := e.get(e.base + a.proceed); p.status != 403 || p.action != "block" || p.location != "" {
		t.Errorf("continue after a block: %d %s %q", p.status, p.action, p.location)
	}
}

// TestOneTimeLinks: a one-time link on a trusted domain is judged from the
// URL alone (no render burns it); the same on an unknown domain is
// rendered.
func TestOneTimeLinks(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	trusted := "https://accounts.example-idp.com/reset-password?token=Zx81kPq0LmN3vB7tR2yW&user=42"
	a := e.get(e.link(trusted))
	if a.action != "redirect" || a.location != trusted || e.scanner.count(trusted) != 0 {
		t.Errorf("trusted one-time link: %s %q, %d renders", a.action, a.location, e.scanner.count(trusted))
	}
	other := "http://news.example-media.jp/confirm?token=Zx81kPq0LmN3vB7tR2yW"
	if a := e.settle(e.get(e.link(other))); a.action != "redirect" || e.scanner.count(other) != 1 {
		t.Errorf("untrusted one-time link: %s, %d renders", a.action, e.scanner.count(other))
	}
	// Once the trusted domain had a bad verdict, its one-time links are
	// rendered too.
	if a := e.settle(e.get(e.link("http://" + fakeIdPPhish + "/login"))); a.action != "block" {
		t.Fatalf("phish on the trusted domain: %s", a.action)
	}
	again := "https://accounts.example-idp.com/reset-password?token=Qw81kPq0LmN3vB7tR2yZ"
	if a := e.settle(e.get(e.link(again))); e.scanner.count(again) != 1 {
		t.Errorf("one-time link on a domain with a bad record: %s, %d renders", a.action, e.scanner.count(again))
	}
	waitWritten(t, e.events)
	evs, _ := e.events.Recent(context.Background(), 10)
	found := false
	for _, ev := range evs {
		if ev.URL == trusted && ev.Source == "one-time" && strings.Contains(strings.Join(ev.Reasons, ","), "one-time-link") {
			found = true
		}
	}
	if !found {
		t.Errorf("no one-time event for %s in %+v", trusted, evs)
	}
}

// TestRedisOutage: Redis is killed mid-test and restarted. Clicks keep
// being answered (from memory, or by rendering), nothing crashes, and no
// click event is lost: they wait in memory and reach the stream later.
func TestRedisOutage(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	known := "http://" + fakeClean + "/known"
	if a := e.settle(e.get(e.link(known))); a.action != "redirect" {
		t.Fatalf("before: %s", a.action)
	}
	e.redis.Stop()
	if a := e.get(e.link(known)); a.action != "redirect" {
		t.Errorf("cached verdict with Redis down: %s", a.action)
	}
	if a := e.settle(e.get(e.link("http://" + fakePhish + "/login?outage=1"))); a.action != "block" {
		t.Errorf("new destination with Redis down: %s", a.action)
	}
	if r := e.get(e.base + "/readyz"); r.status != 503 || r.body != "redis: unreachable\n" {
		t.Errorf("readyz with Redis down: %d %q", r.status, r.body)
	}
	// The API says the storage is unavailable, without Redis's words.
	code, body := e.api("POST", "/api/v1/overrides", `{"list":"block","kind":"host","value":"a.example"}`, apiToken)
	if code != 503 || !strings.Contains(body, `"code":"unavailable"`) || strings.Contains(body, "dial") || strings.Contains(body, "127.0.0.1") {
		t.Errorf("API with Redis down: %d %s", code, body)
	}
	if code, body := e.api("GET", "/api/v1/clicks", "", apiToken); code != 503 || strings.Contains(body, "127.0.0.1") {
		t.Errorf("clicks API with Redis down: %d %s", code, body)
	}
	for i := 0; i < 20; i++ {
		e.get(e.link(known))
	}
	e.redis.Restart()
	waitWritten(t, e.events)
	st := e.events.Stats()
	if st.Dropped != 0 || st.Written < st.Emitted {
		t.Errorf("events lost: %+v", st)
	}
	n, err := e.rdb.XLen(context.Background(), clicklog.DefaultStream).Result()
	if err != nil {
		t.Fatal(err)
	}
	// The stream was lost with Redis (no persistence): what the outage
	// buffered, and what came after, must all be there.
	if n < 22 {
		t.Errorf("%d events in the stream after the restart, want at least 22 (%+v)", n, st)
	}
	if r := e.get(e.base + "/readyz"); r.status != 200 {
		t.Errorf("readyz after restart: %d %s", r.status, r.body)
	}
}
