package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/audit"
)

// AdminConfig is the configuration of `kensa admin ACTION`: the Redis the
// click proxy uses (from the config file's serve section, or flags), and
// the action's own flags and argument.
type AdminConfig struct {
	RedisSettings // serve.redis, serve.redis_url_file, serve.redis_mode; --redis...

	Action        string // create-user, token, revoke-token, users, tokens
	Role          string // --role: create-user, token
	Scope         string // --scope: token
	Name          string // --name: token
	Expires       time.Duration
	PasswordStdin bool   // --password-stdin: create-user reads the password's first line from stdin
	Arg           string // the email (create-user) or the token ID (revoke-token)

	args []string
}

func (c *AdminConfig) useFile(f *fileConfig) {
	c.RedisSettings = f.Serve.RedisSettings
}

func (c *AdminConfig) setArgs(args []string) { c.args = args }

func (c *AdminConfig) settings() []setting {
	s := c.RedisSettings.settings("of the click proxy")
	switch c.Action {
	case "create-user":
		s = append(s,
			setting{flag: "role", v: stringValue{&c.Role}, usage: "`ROLE`: viewer, analyst or admin"},
			setting{flag: "password-stdin", v: boolValue{&c.PasswordStdin}, usage: "read the password from the first line of stdin (default: generate one and print it once)"})
	case "token":
		s = append(s,
			setting{flag: "role", v: stringValue{&c.Role}, usage: "the token's `ROLE`: viewer, analyst or admin"},
			setting{flag: "scope", v: stringValue{&c.Scope}, usage: "or its `SCOPE`: extension (only the hover check)"},
			setting{flag: "name", v: stringValue{&c.Name}, usage: "what the token is for (`NAME`), shown in the console and the audit log"},
			setting{flag: "expires", v: durationValue{&c.Expires}, usage: "lifetime (`DURATION`, e.g. 2160h); default: until revoked"})
	}
	return s
}

func (c *AdminConfig) readSecrets(readFile func(string) ([]byte, error)) []error {
	if err := c.readSecret("serve", readFile); err != nil {
		return []error{err}
	}
	return nil
}

// Validate reports every problem at once.
func (c *AdminConfig) Validate() error {
	errs := c.RedisSettings.validate("serve", "")
	nargs := 0
	switch c.Action {
	case "create-user":
		nargs = 1
		if !access.ValidRole(c.Role) {
			errs = append(errs, fmt.Errorf("--role %q: want one of %s", c.Role, strings.Join(access.Roles, ", ")))
		}
		if len(c.args) == 1 {
			if _, err := access.NormalizeEmail(c.args[0]); err != nil {
				errs = append(errs, err)
			}
		}
	case "token":
		switch {
		case (c.Role == "") == (c.Scope == ""):
			errs = append(errs, errors.New("give --role or --scope, not both"))
		case c.Role != "" && !access.ValidRole(c.Role):
			errs = append(errs, fmt.Errorf("--role %q: want one of %s", c.Role, strings.Join(access.Roles, ", ")))
		case c.Scope != "" && !access.ValidScope(c.Scope):
			errs = append(errs, fmt.Errorf("--scope %q: want one of %s", c.Scope, strings.Join(access.Scopes, ", ")))
		}
		if strings.TrimSpace(c.Name) == "" {
			errs = append(errs, errors.New("--name is required"))
		}
		if c.Expires < 0 {
			errs = append(errs, errors.New("--expires must not be negative"))
		}
	case "revoke-token":
		nargs = 1
	case "users", "tokens":
	}
	if len(c.args) != nargs {
		errs = append(errs, fmt.Errorf("%s takes %d argument(s), not %d", c.Action, nargs, len(c.args)))
	} else if nargs == 1 {
		c.Arg = c.args[0]
	}
	return errors.Join(errs...)
}

var adminActions = map[string]string{
	"create-user":  "kensa admin create-user --role ROLE [--password-stdin] EMAIL",
	"token":        "kensa admin token (--role ROLE | --scope SCOPE) --name NAME [--expires DURATION]",
	"revoke-token": "kensa admin revoke-token ID",
	"users":        "kensa admin users",
	"tokens":       "kensa admin tokens",
}

// runAdmin is `kensa admin ACTION`: console users and API tokens, from
// the command line (the bootstrap: the first admin is made here). Every
// change is written to the audit log as cli:$USER.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || adminActions[args[0]] == "" {
		fmt.Fprintln(stderr, "usage:")
		for _, a := range []string{"create-user", "token", "revoke-token", "users", "tokens"} {
			fmt.Fprintln(stderr, "  "+adminActions[a])
		}
		fmt.Fprintln(stderr, "\nEach takes --config FILE (serve.redis) or --redis URL.")
		return usageError("admin: want an action")
	}
	cfg := AdminConfig{Action: args[0]}
	if err := load("admin "+args[0], &cfg, args[1:], stderr, adminActions[args[0]]); err != nil {
		return err
	}
	rdb, err := cfg.client("serve")
	if err != nil {
		return err
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st := access.NewStore(rdb, nil)
	al := audit.New(rdb, nil)
	actor := "cli:" + cmpOr(os.Getenv("USER"), "unknown")
	record := func(e api.AuditEntry) error {
		e.Actor, e.Role = actor, api.RoleAdmin
		if _, err := al.Record(ctx, e); err != nil {
			return fmt.Errorf("done, but the audit entry was not written: %w", err)
		}
		return nil
	}
	switch cfg.Action {
	case "create-user":
		pw, generated := "", false
		if cfg.PasswordStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			pw = strings.TrimRight(line, "\r\n")
		} else {
			pw, generated = access.RandomSecret(18), true
		}
		u, err := st.CreateUser(ctx, cfg.Arg, cfg.Role, pw)
		if err != nil {
			return err
		}
		if generated {
			fmt.Fprintf(stdout, "user %s (%s) created; password (shown once): %s\n", u.Email, u.Role, pw)
		} else {
			fmt.Fprintf(stdout, "user %s (%s) created\n", u.Email, u.Role)
		}
		return record(api.AuditEntry{Action: api.AuditUserCreate, Target: u.Email, Detail: map[string]string{"role": u.Role}})
	case "token":
		t := access.Token{Name: cfg.Name, Role: cfg.Role, Scope: cfg.Scope, CreatedBy: actor}
		if cfg.Expires > 0 {
			t.Expires = time.Now().Add(cfg.Expires).UTC()
		}
		secret, t, err := st.CreateToken(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %s (%s) created: the line above is shown once; Kensa keeps only its hash\n", t.ID, t.Name)
		return record(api.AuditEntry{Action: api.AuditTokenCreate, Target: t.ID, Detail: map[string]string{"name": t.Name, "grant": cmpOr(t.Role, "scope:"+t.Scope)}})
	case "revoke-token":
		t, err := st.RevokeToken(ctx, cfg.Arg)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s (%s) revoked\n", t.ID, t.Name)
		return record(api.AuditEntry{Action: api.AuditTokenRevoke, Target: t.ID, Detail: map[string]string{"name": t.Name}})
	case "users":
		us, err := st.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			state := ""
			if u.Disabled {
				state = " disabled"
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s%s\n", u.Email, u.Role, u.Created.Format(time.RFC3339), state)
		}
	case "tokens":
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", t.ID, t.Name, cmpOr(t.Role, "scope:"+t.Scope), t.Created.Format(time.RFC3339))
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
