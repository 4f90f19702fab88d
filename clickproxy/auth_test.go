package clickproxy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/console"
	"github.com/kensa-mail/kensa/clickproxy/pages"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// caller is one way of calling a route in the authorization walk.
type caller struct {
	name string
	p    access.Principal // what the server should see; zero: nobody
	hdr  func() []string  // fresh headers for one request
}

// walkCallers makes every kind of caller: nobody, wrong credentials, an
// expired session, a session and a token of each role, the extension
// scope and a static token from the configuration.
func walkCallers(t *testing.T, e *env) []caller {
	ctx := context.Background()
	st := e.srv.access
	cookie := e.srv.sessionCookie()
	users := map[string]string{}
	for _, role := range access.Roles {
		email := role + "@example.com"
		if _, err := st.CreateUser(ctx, email, role, "walk-password-"+role); err != nil {
			t.Fatal(err)
		}
		users[role] = email
	}
	session := func(email string) func() []string {
		return func() []string {
			id, ss, err := st.NewSession(ctx, email, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return []string{"Cookie", cookie + "=" + id, "X-CSRF-Token", ss.CSRF, "Sec-Fetch-Site", "same-origin"}
		}
	}
	token := func(tk access.Token) func() []string {
		secret, _, err := st.CreateToken(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		return func() []string { return []string{"Authorization", "Bearer " + secret} }
	}
	// A session that expired: made by a store whose clock is 9 hours
	// behind, with 8 hours to live (Redis still holds it).
	past := access.NewStore(e.rdb, func() time.Time { return time.Now().Add(-9 * time.Hour) })
	expiredID, expired, err := past.NewSession(ctx, users[api.RoleAdmin], 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedTok, _ := st.CreateToken(ctx, access.Token{Name: "revoked", Role: api.RoleAdmin})
	if _, err := st.RevokeToken(ctx, revokedTok.ID); err != nil {
		t.Fatal(err)
	}
	fixed := func(h ...string) func() []string { return func() []string { return h } }
	cs := []caller{
		{name: "no credentials", hdr: fixed()},
		{name: "wrong bearer token", hdr: fixed("Authorization", "Bearer kensa_"+strings.Repeat("A", 43))},
		{name: "wrong config-like token", hdr: fixed("Authorization", "Bearer "+apiToken+"x")},
		{name: "revoked token", hdr: fixed("Authorization", "Bearer "+revoked)},
		{name: "basic auth", hdr: fixed("Authorization", "Basic YWRtaW46YWRtaW4=")},
		{name: "wrong session cookie", hdr: fixed("Cookie", cookie+"="+access.RandomSecret(32))},
		{name: "expired session", hdr: fixed("Cookie", cookie+"="+expiredID, "X-CSRF-Token", expired.CSRF)},
		{name: "config token", p: access.Principal{Kind: access.KindConfigToken, Role: api.RoleAdmin}, hdr: fixed("Authorization", "Bearer "+apiToken)},
		{name: "extension token", p: access.Principal{Kind: access.KindToken, Scope: api.ScopeExtension}, hdr: token(access.Token{Name: "ext", Scope: api.ScopeExtension})},
	}
	for _, role := range access.Roles {
		cs = append(cs,
			caller{name: role + " session", p: access.Principal{Kind: access.KindUser, Role: role}, hdr: session(users[role])},
			caller{name: role + " token", p: access.Principal{Kind: access.KindToken, Role: role}, hdr: token(access.Token{Name: role, Role: role})},
		)
	}
	return cs
}

// walkRequests lists one request per route and method of the route
// table itself, so a new route cannot escape the walk: a prefix route is
// called at its prefix and below it.
func walkRequests(s *Server) (reqs [][2]string) {
	for _, rs := range [][]route{s.base, s.root} {
		for _, r := range rs {
			methods := r.methods
			if methods == nil {
				methods = []string{"GET", "POST", "DELETE"}
			}
			paths := []string{r.path}
			if strings.HasSuffix(r.path, "/") {
				paths = append(paths, r.path+"walk")
			}
			for _, m := range methods {
				for _, p := range paths {
					reqs = append(reqs, [2]string{m, p})
				}
			}
		}
	}
	return reqs
}

// TestAuthorizationWalk calls every route of the route table with every
// kind of caller and checks the answer against the route's permission:
// nobody gets past a non-public route (401 from the API, a redirect to
// the sign-in page from the console), a principal without the permission
// gets 403, one with it gets past the check, and public routes (clicks,
// static files, health) answer everyone.
func TestAuthorizationWalk(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newFakeEnv(t, Policy{})
	callers := walkCallers(t, e)
	reqs := walkRequests(e.srv)
	if len(reqs) < 40 {
		t.Fatalf("only %d requests: is the route table read?", len(reqs))
	}
	public := 0
	for _, rq := range reqs {
		method, path := rq[0], rq[1]
		r, _, ok := find(e.srv.base, method, path)
		if !ok {
			r, _, ok = find(e.srv.root, method, path)
		}
		if !ok {
			t.Errorf("%s %s matches no route", method, path)
			continue
		}
		if r.perm == "" {
			t.Errorf("%s %s: route without a permission", method, path)
		}
		if r.perm == access.Public {
			public++
			preflight := r.path == api.PathCheck && method == "OPTIONS"
			if (r.api && !preflight) || !slices.Contains(publicPaths, r.path) {
				t.Errorf("%s %s is public, and not one of the click paths, static files, health checks or the sign-in page", method, path)
			}
		}
		for _, c := range callers {
			a := e.do(method, e.base+path, "", c.hdr()...)
			what := method + " " + path + " as " + c.name
			switch {
			case r.perm == access.Public:
				if a.status == 401 || strings.HasSuffix(a.location, console.PathLogin) {
					t.Errorf("%s: public route answered %d %s", what, a.status, a.location)
				}
			case c.p.Kind == "":
				if r.console {
					if a.status != http.StatusSeeOther || a.location != console.PathLogin {
						t.Errorf("%s: %d %q, want a redirect to the sign-in page", what, a.status, a.location)
					}
				} else if a.status != 401 {
					t.Errorf("%s: %d, want 401", what, a.status)
				}
			case !c.p.Can(r.perm):
				if a.status != 403 {
					t.Errorf("%s: %d, want 403 (needs %s)", what, a.status, r.perm)
				}
			default:
				if a.status == 401 || a.status == 403 || a.status >= 500 {
					t.Errorf("%s: %d, want past the permission check\n%s", what, a.status, a.body)
				}
			}
		}
	}
	if public == 0 {
		t.Error("no public route walked")
	}
}

// publicPaths are the only routes anyone may call without credentials:
// the click paths, static files, health checks and metrics (loopback
// only, checked by its handler), and the console's sign-in page and
// stylesheet.
var publicPaths = []string{
	"/k/", "/w/", "/p/", "/x", "/shot/", "/report",
	pages.StylePath, "/favicon.ico", "/healthz", "/readyz", "/metrics",
	console.PathLogin, console.PathStyle,
	api.PathCheck, // its OPTIONS preflight only (allowed extension origins); the GET needs access.PermCheck
}

// TestCSRF: a change made with a session cookie needs the session's CSRF
// token and a same-origin request; a bearer token needs neither.
func TestCSRF(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newFakeEnv(t, Policy{})
	ctx := context.Background()
	st := e.srv.access
	if _, err := st.CreateUser(ctx, "admin@example.com", api.RoleAdmin, "csrf-test-password"); err != nil {
		t.Fatal(err)
	}
	cookie := e.srv.sessionCookie()
	host := strings.TrimPrefix(e.base, "http://")
	for _, rq := range walkRequests(e.srv) {
		method, path := rq[0], rq[1]
		if method == "GET" || method == "HEAD" {
			continue
		}
		r, _, _ := find(e.srv.root, method, path)
		if r.perm == access.Public || r.h == nil {
			continue
		}
		for _, tc := range []struct {
			name string
			hdr  func(id, csrf string) []string
		}{
			{"no token", func(id, _ string) []string { return []string{"Cookie", cookie + "=" + id} }},
			{"wrong token", func(id, csrf string) []string {
				return []string{"Cookie", cookie + "=" + id, "X-CSRF-Token", csrf + "x"}
			}},
			{"other origin", func(id, csrf string) []string {
				return []string{"Cookie", cookie + "=" + id, "X-CSRF-Token", csrf, "Origin", "https://evil.example"}
			}},
			{"cross-site fetch", func(id, csrf string) []string {
				return []string{"Cookie", cookie + "=" + id, "X-CSRF-Token", csrf, "Sec-Fetch-Site", "cross-site"}
			}},
		} {
			id, ss, err := st.NewSession(ctx, "admin@example.com", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if a := e.do(method, e.base+path, "", tc.hdr(id, ss.CSRF)...); a.status != 403 {
				t.Errorf("%s %s, %s: %d, want 403", method, path, tc.name, a.status)
			}
		}
	}
	// The same origin, with the token, gets through (a bad request: empty form).
	id, ss, _ := st.NewSession(ctx, "admin@example.com", time.Hour)
	if a := e.do("POST", e.base+console.PathOverrides, "", "Cookie", cookie+"="+id, "X-CSRF-Token", ss.CSRF, "Origin", "http://"+host); a.status != 400 {
		t.Errorf("same origin with token: %d", a.status)
	}
}

// TestLoginAndTokenLimits: sign-in attempts are limited per client
// network and per email, and requests per token wherever they come from.
func TestLoginAndTokenLimits(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newFakeEnv(t, Policy{})
	base, _, srv := e.start(func(c *Config) {
		c.LoginLimit = RateLimit{Rate: 0.001, Burst: 3}
		c.PrincipalLimit = RateLimit{Rate: 0.001, Burst: 4}
	})
	ctx := context.Background()
	if _, err := srv.access.CreateUser(ctx, "a@example.com", api.RoleViewer, "login-limit-password"); err != nil {
		t.Fatal(err)
	}
	statuses := func(n int, f func() int) (out []int) {
		for range n {
			out = append(out, f())
		}
		return out
	}
	login := func() int {
		a := e.do("POST", base+console.PathLogin, "email=a%40example.com&password=wrong&csrf=x",
			"Content-Type", "application/x-www-form-urlencoded", "Cookie", "kensa-login=x")
		return a.status
	}
	// Three wrong passwords are answered (401 with the form), then 429.
	if got := statuses(5, login); fmt.Sprint(got) != "[401 401 401 429 429]" {
		t.Errorf("sign-in attempts: %v", got)
	}
	secret, _, err := srv.access.CreateToken(ctx, access.Token{Name: "busy", Role: api.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	call := func() int {
		a := e.do("GET", base+api.PathAudit, "", "Authorization", "Bearer "+secret)
		return a.status
	}
	if got := statuses(6, call); fmt.Sprint(got) != "[200 200 200 200 429 429]" {
		t.Errorf("token requests: %v", got)
	}
}

// TestAdminAPI: users and tokens through the API, with their audit
// entries; a token made there works at once and stops when revoked.
func TestAdminAPI(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newFakeEnv(t, Policy{})
	var u api.User
	e.apiJSON("POST", api.PathUsers, `{"email":"Hanako@Example.co.jp","role":"analyst","password":"a long enough password"}`, 201, &u)
	if u.Email != "hanako@example.co.jp" || u.Role != api.RoleAnalyst {
		t.Errorf("created %+v", u)
	}
	for _, bad := range []string{`{"email":"x","role":"analyst","password":"a long enough password"}`, `{"email":"b@example.com","role":"root","password":"a long enough password"}`,
		`{"email":"b@example.com","role":"viewer","password":"short"}`, `{"email":"hanako@example.co.jp","role":"viewer","password":"a long enough password"}`, `{`} {
		if code, body := e.api("POST", api.PathUsers, bad, apiToken); code != 400 {
			t.Errorf("POST users %s: %d %s", bad, code, body)
		}
	}
	e.apiJSON("PATCH", api.PathUsers+"?email=hanako@example.co.jp", `{"role":"viewer","disabled":true}`, 200, &u)
	if u.Role != api.RoleViewer || !u.Disabled {
		t.Errorf("updated %+v", u)
	}
	var ct api.CreatedToken
	e.apiJSON("POST", api.PathTokens, `{"name":"ext","scope":"extension"}`, 201, &ct)
	if !strings.HasPrefix(ct.Secret, "kensa_") || ct.Scope != api.ScopeExtension || ct.CreatedBy != "config-token" {
		t.Fatalf("token %+v", ct)
	}
	var tl api.TokenList
	e.apiJSON("GET", api.PathTokens, "", 200, &tl)
	if len(tl.Tokens) != 1 || tl.Tokens[0].ID != ct.ID || strings.Contains(fmt.Sprint(tl), ct.Secret) {
		t.Errorf("tokens %+v", tl)
	}
	// The extension token may not read the audit log; nobody after revocation.
	if code, _ := e.api("GET", api.PathAudit, "", ct.Secret); code != 403 {
		t.Errorf("extension token on the audit log: %d", code)
	}
	e.apiJSON("DELETE", api.PathTokens+"?id="+ct.ID, "", 200, nil)
	if code, _ := e.api("GET", api.PathAudit, "", ct.Secret); code != 401 {
		t.Errorf("revoked token: %d", code)
	}
	if code, _ := e.api("DELETE", api.PathTokens+"?id="+ct.ID, "", apiToken); code != 404 {
		t.Errorf("second revocation: %d", code)
	}
	e.apiJSON("DELETE", api.PathUsers+"?email=hanako@example.co.jp", "", 200, nil)
	var al api.AuditList
	e.apiJSON("GET", api.PathAudit, "", 200, &al)
	var got []string
	for _, a := range al.Entries {
		got = append(got, a.Action)
		if a.Actor != "config-token" {
			t.Errorf("actor %q", a.Actor)
		}
	}
	if s := strings.Join(got, " "); s != "user.delete token.revoke token.create user.update user.create" {
		t.Errorf("audit: %s", s)
	}
}

// TestSessionCookie: the cookie a sign-in sets, with and without
// insecure_cookies; and a sign-in with insecure cookies is refused to a
// client that is not on loopback (here: one behind a trusted proxy).
func TestSessionCookie(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	e := newFakeEnv(t, Policy{})
	if _, err := e.srv.access.CreateUser(context.Background(), "a@example.com", api.RoleViewer, "session-cookie-password"); err != nil {
		t.Fatal(err)
	}
	signIn := func(base string, hdr ...string) answer {
		return e.do("POST", base+console.PathLogin, "email=a%40example.com&password=session-cookie-password&csrf=x",
			append([]string{"Content-Type", "application/x-www-form-urlencoded", "Cookie", "kensa-login=x"}, hdr...)...)
	}
	a := signIn(e.base)
	c := a.header.Get("Set-Cookie")
	if a.status != 303 || a.location != console.PathHome || !strings.HasPrefix(c, "__Host-kensa-session=") ||
		!strings.Contains(c, "; secure") || !strings.Contains(c, "; HttpOnly") || !strings.Contains(c, "; SameSite=Strict") || !strings.Contains(c, "; path=/") {
		t.Errorf("secure sign-in: %d %q %q", a.status, a.location, c)
	}
	insecure, _, _ := e.start(func(c *Config) { c.InsecureCookies, c.TrustProxyHeaders = true, true })
	a = signIn(insecure)
	if c := a.header.Get("Set-Cookie"); a.status != 303 || !strings.HasPrefix(c, "kensa-session=") || strings.Contains(c, "secure") {
		t.Errorf("insecure sign-in on loopback: %d %q", a.status, c)
	}
	if a := signIn(insecure, "X-Forwarded-For", "192.0.2.7"); a.status != 403 || a.header.Get("Set-Cookie") != "" {
		t.Errorf("insecure sign-in from the network: %d %q", a.status, a.header.Get("Set-Cookie"))
	}
}
