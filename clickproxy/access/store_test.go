package access_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t *testing.T) (*access.Store, *redis.Client, *clock) {
	testenv.Require(t, testenv.Redis)
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	c := &clock{time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	return access.NewStore(rdb, c.now), rdb, c
}

func TestUsers(t *testing.T) {
	st, rdb, _ := newStore(t)
	ctx := context.Background()
	if _, err := st.CreateUser(ctx, "Ana@Example.com", api.RoleAnalyst, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		email, role, pw string
		want            error
	}{
		{"ana@example.com", api.RoleViewer, "another long password", access.ErrExists},
		{"not an email", api.RoleViewer, "another long password", access.ErrBadEmail},
		{"b@example.com", "root", "another long password", access.ErrBadRole},
		{"b@example.com", api.RoleViewer, "short", access.ErrWeak},
	} {
		if _, err := st.CreateUser(ctx, tc.email, tc.role, tc.pw); !errors.Is(err, tc.want) {
			t.Errorf("CreateUser(%q, %q): %v, want %v", tc.email, tc.role, err, tc.want)
		}
	}
	raw, _ := rdb.Get(ctx, access.KeyUser+"ana@example.com").Result()
	if strings.Contains(raw, "correct horse") || !strings.Contains(raw, "$argon2id$v=19$") {
		t.Errorf("stored user %s", raw)
	}
	if u, err := st.CheckPassword(ctx, "ANA@example.com ", "correct horse battery"); err != nil || u.Role != api.RoleAnalyst {
		t.Errorf("right password: %+v %v", u, err)
	}
	for _, c := range [][2]string{{"ana@example.com", "correct horse batterY"}, {"nobody@example.com", "correct horse battery"}, {"ana@example.com", ""}} {
		if _, err := st.CheckPassword(ctx, c[0], c[1]); !errors.Is(err, access.ErrBadLogin) {
			t.Errorf("CheckPassword(%q, %q): %v", c[0], c[1], err)
		}
	}
	if _, err := st.UpdateUser(ctx, "ana@example.com", "", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CheckPassword(ctx, "ana@example.com", "correct horse battery"); !errors.Is(err, access.ErrBadLogin) {
		t.Errorf("disabled user signed in: %v", err)
	}
	us, err := st.Users(ctx)
	if err != nil || len(us) != 1 || us[0].Hash != "" {
		t.Errorf("Users: %+v %v", us, err)
	}
	if err := st.DeleteUser(ctx, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, "ana@example.com"); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestTokens(t *testing.T) {
	st, rdb, c := newStore(t)
	ctx := context.Background()
	for _, bad := range []access.Token{
		{Name: "", Role: api.RoleViewer},
		{Name: "x"},
		{Name: "x", Role: api.RoleViewer, Scope: api.ScopeExtension},
		{Name: "x", Role: "root"},
		{Name: "x", Scope: "everything"},
	} {
		if _, _, err := st.CreateToken(ctx, bad); err == nil {
			t.Errorf("CreateToken(%+v) accepted", bad)
		}
	}
	secret, tok, err := st.CreateToken(ctx, access.Token{Name: "siem", Role: api.RoleViewer, CreatedBy: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "kensa_") || len(secret) < 40 {
		t.Errorf("secret %q", secret)
	}
	keys, _ := rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		v, _ := rdb.Dump(ctx, k).Result()
		if strings.Contains(k, secret) || strings.Contains(v, secret) {
			t.Errorf("the secret is stored in %s", k)
		}
	}
	p, err := st.TokenPrincipal(ctx, secret)
	if err != nil || p.Kind != access.KindToken || p.Role != api.RoleViewer || p.ID != tok.ID || p.Name != "siem" {
		t.Errorf("TokenPrincipal: %+v %v", p, err)
	}
	for _, wrong := range []string{"", secret + "x", secret[:len(secret)-1], strings.TrimPrefix(secret, "kensa_")} {
		if _, err := st.TokenPrincipal(ctx, wrong); !errors.Is(err, access.ErrBadToken) {
			t.Errorf("TokenPrincipal(%q): %v", wrong, err)
		}
	}
	ext, _, err := st.CreateToken(ctx, access.Token{Name: "ext", Scope: api.ScopeExtension, Expires: c.t.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.TokenPrincipal(ctx, ext); err != nil || p.Can(access.PermRead) || !p.Can(access.PermCheck) {
		t.Errorf("scoped token: %+v %v", p, err)
	}
	c.t = c.t.Add(time.Hour)
	if _, err := st.TokenPrincipal(ctx, ext); !errors.Is(err, access.ErrBadToken) {
		t.Errorf("expired token: %v", err)
	}
	ts, err := st.Tokens(ctx)
	if err != nil || len(ts) != 2 {
		t.Fatalf("Tokens: %+v %v", ts, err)
	}
	if _, err := st.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TokenPrincipal(ctx, secret); !errors.Is(err, access.ErrBadToken) {
		t.Errorf("revoked token: %v", err)
	}
	if _, err := st.RevokeToken(ctx, tok.ID); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
}

func TestSessions(t *testing.T) {
	st, _, c := newStore(t)
	ctx := context.Background()
	if _, err := st.CreateUser(ctx, "v@example.com", api.RoleViewer, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	id, ss, err := st.NewSession(ctx, "v@example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.SessionPrincipal(ctx, id)
	if err != nil || p.Role != api.RoleViewer || p.CSRF != ss.CSRF || p.CSRF == "" {
		t.Fatalf("SessionPrincipal: %+v %v", p, err)
	}
	// A role change applies to the running session.
	st.UpdateUser(ctx, "v@example.com", api.RoleAdmin, "", false)
	if p, _ := st.SessionPrincipal(ctx, id); p.Role != api.RoleAdmin {
		t.Errorf("role after change: %q", p.Role)
	}
	c.t = c.t.Add(time.Hour)
	if _, err := st.SessionPrincipal(ctx, id); !errors.Is(err, access.ErrNoSession) {
		t.Errorf("expired session: %v", err)
	}
	c.t = c.t.Add(-time.Hour)
	st.DeleteUser(ctx, "v@example.com")
	if _, err := st.SessionPrincipal(ctx, id); !errors.Is(err, access.ErrNoSession) {
		t.Errorf("deleted user's session: %v", err)
	}
	if _, err := st.SessionPrincipal(ctx, "nope"); !errors.Is(err, access.ErrNoSession) {
		t.Errorf("unknown session: %v", err)
	}
}
