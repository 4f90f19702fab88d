package clickproxy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/api"
)

// Users and API tokens through the API (admins only: access.PermAdmin in
// the route table); the console's users page calls these too (viaAPI).
// Every change is audited.
//
//	GET    /api/v1/users                       api.UserList
//	POST   /api/v1/users     api.NewUser       201 api.User
//	PATCH  /api/v1/users?email=  api.UserUpdate  api.User
//	DELETE /api/v1/users?email=                api.Removed
//	GET    /api/v1/tokens                      api.TokenList
//	POST   /api/v1/tokens    api.NewToken      201 api.CreatedToken (the secret, once)
//	DELETE /api/v1/tokens?id=                  api.Removed (revoked)

var errSelf = apiBadRequest(errors.New("you cannot change your own role, disable or delete yourself"))

// storeErr maps an access.Store error: the caller's mistake is a 400
// with its text, anything else a 503.
func storeErr(err error) error {
	if errors.Is(err, access.ErrNotFound) {
		return &httpError{status: fasthttp.StatusNotFound, key: "not-found", code: api.CodeNotFound, msg: err.Error(), err: err}
	}
	for _, e := range []error{access.ErrExists, access.ErrWeak, access.ErrBadRole, access.ErrBadScope, access.ErrBadEmail, access.ErrNeedsName, access.ErrRoleXScope, access.ErrPastExpiry} {
		if errors.Is(err, e) {
			return apiBadRequest(err)
		}
	}
	return apiUnavailable("user store unavailable", err)
}

func toAPIUser(u access.User) api.User {
	return api.User{Email: u.Email, Role: u.Role, Created: u.Created, Disabled: u.Disabled}
}

func toAPIToken(t access.Token) api.Token {
	return api.Token{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, CreatedBy: t.CreatedBy, Created: t.Created, Expires: t.Expires}
}

func decodeBody(ctx *fasthttp.RequestCtx, v any) error {
	if err := json.Unmarshal(ctx.PostBody(), v); err != nil {
		return apiBadRequest(errors.New("body is not JSON: " + err.Error()))
	}
	return nil
}

func (s *Server) listUsers(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	us, err := s.access.Users(c)
	if err != nil {
		return storeErr(err)
	}
	out := api.UserList{Users: []api.User{}}
	for _, u := range us {
		out.Users = append(out.Users, toAPIUser(u))
	}
	writeJSON(ctx, out)
	return nil
}

func (s *Server) createUser(ctx *fasthttp.RequestCtx, _ string) error {
	var nu api.NewUser
	if err := decodeBody(ctx, &nu); err != nil {
		return err
	}
	c, cancel := rctx(ctx)
	defer cancel()
	u, err := s.access.CreateUser(c, nu.Email, nu.Role, nu.Password)
	if err != nil {
		return storeErr(err)
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserCreate, Target: u.Email, Detail: map[string]string{"role": u.Role}}); err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusCreated)
	writeJSON(ctx, toAPIUser(u))
	return nil
}

func (s *Server) updateUser(ctx *fasthttp.RequestCtx, _ string) error {
	email := strings.ToLower(strings.TrimSpace(string(ctx.QueryArgs().Peek("email"))))
	var up api.UserUpdate
	if err := decodeBody(ctx, &up); err != nil {
		return err
	}
	if p := principal(ctx); p.Kind == access.KindUser && email == p.Name {
		return errSelf
	}
	c, cancel := rctx(ctx)
	defer cancel()
	u, err := s.access.UpdateUser(c, email, up.Role, up.Password, up.Disabled)
	if err != nil {
		return storeErr(err)
	}
	detail := map[string]string{"role": u.Role, "disabled": fmt.Sprint(u.Disabled)}
	if up.Password != "" {
		detail["password"] = "changed"
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserUpdate, Target: u.Email, Detail: detail}); err != nil {
		return err
	}
	writeJSON(ctx, toAPIUser(u))
	return nil
}

func (s *Server) deleteUser(ctx *fasthttp.RequestCtx, _ string) error {
	email := strings.ToLower(strings.TrimSpace(string(ctx.QueryArgs().Peek("email"))))
	if p := principal(ctx); p.Kind == access.KindUser && email == p.Name {
		return errSelf
	}
	c, cancel := rctx(ctx)
	defer cancel()
	if err := s.access.DeleteUser(c, email); err != nil {
		return storeErr(err)
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditUserDelete, Target: email}); err != nil {
		return err
	}
	writeJSON(ctx, api.Removed{Removed: true})
	return nil
}

func (s *Server) listTokens(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	ts, err := s.access.Tokens(c)
	if err != nil {
		return storeErr(err)
	}
	out := api.TokenList{Tokens: []api.Token{}}
	for _, t := range ts {
		out.Tokens = append(out.Tokens, toAPIToken(t))
	}
	writeJSON(ctx, out)
	return nil
}

func (s *Server) createToken(ctx *fasthttp.RequestCtx, _ string) error {
	var nt api.NewToken
	if err := decodeBody(ctx, &nt); err != nil {
		return err
	}
	c, cancel := rctx(ctx)
	defer cancel()
	secret, t, err := s.access.CreateToken(c, access.Token{Name: nt.Name, Role: nt.Role, Scope: nt.Scope, Expires: nt.Expires, CreatedBy: principal(ctx).Actor()})
	if err != nil {
		return storeErr(err)
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditTokenCreate, Target: t.ID, Detail: map[string]string{"name": t.Name, "grant": cmp.Or(t.Role, "scope:"+t.Scope)}}); err != nil {
		s.access.RevokeToken(c, t.ID) // a token nobody can account for must not live
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusCreated)
	writeJSON(ctx, api.CreatedToken{Token: toAPIToken(t), Secret: secret})
	return nil
}

func (s *Server) revokeToken(ctx *fasthttp.RequestCtx, _ string) error {
	c, cancel := rctx(ctx)
	defer cancel()
	t, err := s.access.RevokeToken(c, string(ctx.QueryArgs().Peek("id")))
	if err != nil {
		return storeErr(err)
	}
	if err := s.recordAudit(ctx, api.AuditEntry{Action: api.AuditTokenRevoke, Target: t.ID, Detail: map[string]string{"name": t.Name}}); err != nil {
		return err
	}
	writeJSON(ctx, api.Removed{Removed: true})
	return nil
}
