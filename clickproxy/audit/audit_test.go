package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/audit"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

func TestRecordAndList(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	l := audit.New(rdb, func() time.Time { return now })
	ctx := context.Background()

	if _, err := l.Record(ctx, api.AuditEntry{Action: api.AuditLogin}); err == nil {
		t.Error("an entry without an actor was recorded")
	}
	for i := range 5 {
		e, err := l.Record(ctx, api.AuditEntry{Actor: "user:a@example.com", Action: api.AuditOverrideAdd, Target: fmt.Sprint(i), Reason: "phish"})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == "" || !e.Time.Equal(now) || e.Outcome != "success" {
			t.Errorf("stored entry %+v", e)
		}
	}
	page, next, err := l.List(ctx, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || page[0].Target != "4" || page[2].Target != "2" || next == "" {
		t.Fatalf("first page %+v next %q", page, next)
	}
	page, next, err = l.List(ctx, next, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Target != "1" || page[1].Target != "0" || next != "" {
		t.Fatalf("second page %+v next %q", page, next)
	}
	if _, _, err := l.List(ctx, "x); DROP", 3); !errors.Is(err, audit.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}
