package access

import (
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/api"
)

func TestCan(t *testing.T) {
	type want map[Perm]bool
	for _, tc := range []struct {
		name string
		p    Principal
		want want
	}{
		{"nobody", Principal{}, want{}},
		{"viewer", Principal{Kind: KindUser, Role: api.RoleViewer}, want{PermCheck: true, PermRead: true}},
		{"analyst", Principal{Kind: KindUser, Role: api.RoleAnalyst}, want{PermCheck: true, PermRead: true, PermAct: true}},
		{"admin", Principal{Kind: KindToken, Role: api.RoleAdmin}, want{PermCheck: true, PermRead: true, PermAct: true, PermAdmin: true}},
		{"config token", Principal{Kind: KindConfigToken, Role: api.RoleAdmin}, want{PermCheck: true, PermRead: true, PermAct: true, PermAdmin: true}},
		{"extension scope", Principal{Kind: KindToken, Scope: api.ScopeExtension}, want{PermCheck: true}},
		// A scope narrows: a role next to it grants nothing more.
		{"scope wins", Principal{Kind: KindToken, Scope: api.ScopeExtension, Role: api.RoleAdmin}, want{PermCheck: true}},
		{"unknown role", Principal{Kind: KindUser, Role: "root"}, want{}},
		{"unknown scope", Principal{Kind: KindToken, Scope: "all"}, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.p.Can(Public) {
				t.Error("public refused")
			}
			for _, perm := range Perms {
				if got := tc.p.Can(perm); got != tc.want[perm] {
					t.Errorf("Can(%s) = %v, want %v", perm, got, tc.want[perm])
				}
			}
		})
	}
}
