package main

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/audit"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestAdmin bootstraps a user and tokens from the command line, as an
// operator does before the first sign-in, and checks the audit log.
func TestAdmin(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	ctx := context.Background()
	st := access.NewStore(rdb, nil)
	url := rs.URL()

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"admin"}, "want an action"},
		{[]string{"admin", "create-user", "--redis", url, "--role", "root", "a@example.com"}, `--role "root"`},
		{[]string{"admin", "create-user", "--redis", url, "--role", "admin"}, "takes 1 argument"},
		{[]string{"admin", "token", "--redis", url, "--role", "admin", "--scope", "extension"}, "not both"},
		{[]string{"admin", "token", "--redis", url, "--role", "viewer"}, "--name is required"},
		{[]string{"admin", "users"}, "serve.redis"},
	} {
		code, _, errOut := run(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %s", tc.args, code, errOut)
		}
	}

	code, out, errOut := run(t, []byte("a strong enough password\n"), "admin", "create-user", "--redis", url, "--role", "admin", "--password-stdin", "Admin@Example.com")
	if code != 0 || !strings.Contains(out, "admin@example.com (admin) created") {
		t.Fatalf("create-user: %d %s %s", code, out, errOut)
	}
	if _, err := st.CheckPassword(ctx, "admin@example.com", "a strong enough password"); err != nil {
		t.Errorf("password from stdin: %v", err)
	}
	code, out, _ = run(t, nil, "admin", "create-user", "--redis", url, "--role", "viewer", "v@example.com")
	pw := out[strings.LastIndex(out, " ")+1 : len(out)-1]
	if code != 0 || len(pw) < 20 {
		t.Fatalf("generated password: %d %q", code, out)
	}
	if _, err := st.CheckPassword(ctx, "v@example.com", pw); err != nil {
		t.Errorf("generated password: %v", err)
	}

	code, out, errOut = run(t, nil, "admin", "token", "--redis", url, "--scope", "extension", "--name", "browser extension")
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, "kensa_") || !strings.Contains(errOut, "shown once") {
		t.Fatalf("token: %d %q %q", code, out, errOut)
	}
	p, err := st.TokenPrincipal(ctx, secret)
	if err != nil || p.Scope != api.ScopeExtension || p.Can(access.PermRead) {
		t.Fatalf("token principal %+v %v", p, err)
	}
	code, out, _ = run(t, nil, "admin", "tokens", "--redis", url)
	if code != 0 || !strings.Contains(out, p.ID+"\tbrowser extension\tscope:extension") || strings.Contains(out, secret) {
		t.Errorf("tokens: %d %s", code, out)
	}
	if code, _, _ := run(t, nil, "admin", "revoke-token", "--redis", url, p.ID); code != 0 {
		t.Errorf("revoke-token: %d", code)
	}
	if _, err := st.TokenPrincipal(ctx, secret); err == nil {
		t.Error("revoked token still works")
	}
	es, _, err := audit.New(rdb, nil).List(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
		if !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("actor %q", e.Actor)
		}
	}
	if got := strings.Join(actions, " "); got != "token.revoke token.create user.create user.create" {
		t.Errorf("audit: %s", got)
	}
}
