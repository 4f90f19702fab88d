package main

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestRedisModes: each redis_mode opens a client on a real server of its
// kind from the URL form docs/deploy.md gives, and a transaction over keys
// of one hash tag works on each (as Kensa's do).
func TestRedisModes(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	redis.SetLogger(&logging.VoidLogger{}) // go-redis's Sentinel notices
	for _, c := range []struct {
		mode string
		url  func(t *testing.T) string
	}{
		{redisSingle, func(t *testing.T) string { return redistest.Start(t).URL() }},
		{redisCluster, func(t *testing.T) string { return redistest.StartCluster(t).URL() }},
		{redisSentinel, func(t *testing.T) string { return redistest.StartSentinel(t).URL() }},
	} {
		t.Run(c.mode, func(t *testing.T) {
			u := c.url(t)
			if err := checkRedis("serve", c.mode, u); err != nil {
				t.Fatal(err)
			}
			rdb, err := newRedisClient(c.mode, u)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "kensa:test:a:{d1}", "1", time.Minute)
				p.Set(ctx, "kensa:test:b:{d1}", "2", time.Minute)
				return nil
			}); err != nil {
				t.Fatalf("transaction over one hash tag: %v", err)
			}
			if v := rdb.Get(ctx, "kensa:test:b:{d1}").Val(); v != "2" {
				t.Errorf("got %q", v)
			}
		})
	}
}
