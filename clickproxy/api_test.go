package clickproxy

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// api calls the API with a bearer token ("" for none).
func (e *env) api(method, path, body, token string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

// apiError decodes an error body; every error answer is an api.Error.
func apiError(t *testing.T, what, body string) api.Error {
	t.Helper()
	var ae api.Error
	if err := json.Unmarshal([]byte(body), &ae); err != nil || ae.Error == "" || ae.Code == "" {
		t.Errorf("%s: not an api.Error: %s", what, body)
	}
	return ae
}

// TestOverrides: the API needs a token; block and allow lists win over
// verdicts, the most specific entry first.
func TestOverrides(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	for _, tok := range []string{"", "wrong-token-0123456789"} {
		code, body := e.api("GET", "/api/v1/overrides", "", tok)
		if ae := apiError(t, "no token", body); code != 401 || ae.Code != api.CodeUnauthorized {
			t.Errorf("token %q: %d %s", tok, code, body)
		}
	}
	code, body := e.api("POST", "/api/v1/overrides", `{"list":"grey","kind":"domain","value":"http://x/"}`, apiToken)
	if ae := apiError(t, "bad override", body); code != 400 || ae.Code != api.CodeBadRequest || !strings.Contains(ae.Error, "list must be") || !strings.Contains(ae.Error, "not a host name") {
		t.Errorf("bad override: %d %s", code, body)
	}
	if code, body := e.api("POST", "/api/v1/overrides", `{"list":`, apiToken); code != 400 || apiError(t, "bad JSON", body).Code != api.CodeBadRequest {
		t.Errorf("bad JSON: %d %s", code, body)
	}
	clean := "http://" + fakeClean + "/item/1"
	if a := e.get(e.link(clean)); a.action != "redirect" {
		t.Fatalf("before the override: %s", a.action)
	}
	code, body = e.api("POST", "/api/v1/overrides", `{"list":"block","kind":"domain","value":"example-shop.co.jp","note":"compromised","by":"soc"}`, apiToken)
	var added api.Override
	if err := json.Unmarshal([]byte(body), &added); code != 201 || err != nil || added.Value != "example-shop.co.jp" || added.Created.IsZero() || added.By != "config-token" {
		t.Fatalf("add: %d %s", code, body)
	}
	if a := e.get(e.link(clean)); a.action != "block" || !strings.Contains(a.body, "管理者") {
		t.Errorf("blocked domain: %s", a.action)
	}
	// An exact-URL allow beats the domain block.
	if code, body := e.api("POST", "/api/v1/overrides", `{"list":"allow","kind":"url","value":"HTTP://WWW.EXAMPLE-SHOP.CO.JP/item/1"}`, apiToken); code != 201 {
		t.Fatalf("add allow: %d %s", code, body)
	}
	if a := e.get(e.link(clean)); a.action != "redirect" {
		t.Errorf("allowed URL under a blocked domain: %s", a.action)
	}
	code, body = e.api("GET", "/api/v1/overrides", "", apiToken)
	var list api.OverrideList
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Overrides) != 2 {
		t.Errorf("list: %d %s", code, body)
	}
	code, body = e.api("DELETE", "/api/v1/overrides?list=block&kind=domain&value=example-shop.co.jp", "", apiToken)
	if rm := (api.Removed{}); code != 200 || json.Unmarshal([]byte(body), &rm) != nil || !rm.Removed {
		t.Errorf("delete: %d %s", code, body)
	}
	if code, body := e.api("DELETE", "/api/v1/overrides?list=block&kind=domain&value=example-shop.co.jp", "", apiToken); code != 404 || apiError(t, "delete again", body).Code != api.CodeNotFound {
		t.Errorf("delete again: %d %s", code, body)
	}
	if code, body := e.api("DELETE", "/api/v1/overrides?list=x", "", apiToken); code != 400 || apiError(t, "bad delete", body).Code != api.CodeBadRequest {
		t.Errorf("bad delete: %d %s", code, body)
	}
	if a := e.get(e.link("http://" + fakeClean + "/item/2")); a.action != "redirect" {
		t.Errorf("after removing the block: %s", a.action)
	}
	// A phish allowed by an administrator is let through, unrendered.
	phish := "http://" + fakePhish + "/login?allow=1"
	e.api("POST", "/api/v1/overrides", `{"list":"allow","kind":"host","value":"`+fakePhish+`"}`, apiToken)
	if a := e.get(e.link(phish)); a.action != "redirect" || e.scanner.count(phish) != 0 {
		t.Errorf("allowed host: %s, %d renders", a.action, e.scanner.count(phish))
	}
	waitWritten(t, e.events)
	code, body = e.api("GET", "/api/v1/clicks?n=5", "", apiToken)
	var clicks api.ClickList
	if err := json.Unmarshal([]byte(body), &clicks); code != 200 || err != nil || len(clicks.Clicks) != 5 || clicks.Clicks[0].ClickID == "" {
		t.Errorf("clicks API: %d %s", code, body)
	}
	// Unknown routes and methods: a JSON 404, after the token check.
	for _, c := range []struct{ method, path, tok string }{
		{"GET", "/api/v1/nothing", apiToken}, {"PUT", "/api/v1/overrides", apiToken}, {"GET", "/api/v2/clicks", apiToken},
	} {
		if code, body := e.api(c.method, c.path, "", c.tok); code != 404 || apiError(t, c.path, body).Code != api.CodeNotFound {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	if code, _ := e.api("GET", "/api/v1/nothing", "", ""); code != 401 {
		t.Errorf("unknown API path without a token: %d, want 401", code)
	}
}

// TestMetricsRoute: /metrics exists only with a Gatherer, and answers
// loopback clients (these tests' only kind) unless it is refused.
func TestMetricsRoute(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	if a := e.get(e.base + "/metrics"); a.status != 404 {
		t.Errorf("/metrics without a Gatherer: %d", a.status)
	}
	reg := prometheus.NewRegistry()
	base, _, _ := e.start(func(c *Config) { c.Registerer, c.Gatherer = reg, reg })
	a := e.get(base + "/metrics")
	if a.status != 200 || !strings.Contains(a.body, "kensa_herd_waiters") || a.header.Get("Content-Security-Policy") != "" {
		t.Errorf("/metrics: %d, CSP %q\n%s", a.status, a.header.Get("Content-Security-Policy"), a.body)
	}
	e.get(base + "/nothing-here")
	if a := e.get(base + "/metrics"); !strings.Contains(a.body, `kensa_http_errors_total{code="not-found"} 1`) {
		t.Errorf("the not-found error is not counted:\n%s", a.body)
	}
}

// TestBasePath: with a base URL that has a path, the links and the
// pages' follow-ups are under it, and health, static files, metrics and
// the API stay at the root.
func TestBasePath(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	var codec *linktoken.Codec
	base, _, _ := e.start(func(c *Config) {
		var err error
		codec, err = linktoken.NewCodec(c.Codec.Base()+"/kensa", e.keyring)
		if err != nil {
			t.Fatal(err)
		}
		c.Codec = codec
	})
	dest := "https://" + fakeWarn + "/login"
	link, err := codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour)}, dest)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, base+"/kensa/k/") {
		t.Fatalf("link %s", link)
	}
	a := e.get(link)
	if a.action != "warn" || !strings.HasPrefix(a.proceed, "/kensa/p/") {
		t.Fatalf("click under the base path: %s, continue %q", a.action, a.proceed)
	}
	if p := e.get(base + a.proceed); p.status != 303 || p.location != dest {
		t.Errorf("continue under the base path: %d %q", p.status, p.location)
	}
	for path, want := range map[string]int{
		strings.TrimPrefix(link, base+"/kensa"): 404, // a link without the base path
		"/healthz":                              200,
		"/kensa/healthz":                        404,
		"/static/kensa.css":                     200,
		"/kensa":                                404,
	} {
		if a := e.get(base + path); a.status != want {
			t.Errorf("%s: %d, want %d", path, a.status, want)
		}
	}
	if code, _ := e.api("GET", "/api/v1/overrides", "", apiToken); code != 200 {
		t.Errorf("API at the root: %d", code)
	}
}
