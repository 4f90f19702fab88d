package clickproxy

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestStoreOnCluster: the verdict cache's writes and reads respect Redis
// Cluster hash slots (a transaction over two slots fails with CROSSSLOT),
// so kensa serve runs on a cluster (serve.redis_mode cluster).
func TestStoreOnCluster(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	cl := redistest.StartCluster(t)
	opts, err := redis.ParseClusterURL(cl.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(opts)
	defer rdb.Close()
	st, err := newStore(rdb, 100, DefaultTTLs, time.Now, rand.Float64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, lv := range []verdict.Level{verdict.Clean, verdict.Malicious, verdict.Clean} {
		digest := string(rune('a'+i)) + "0123456789abcdef0123456789abcde"
		c := &cached{Verdict: verdict.Verdict{Level: lv, URL: "https://x.example/", JudgedAt: time.Now()}}
		if err := st.put(ctx, digest, c, []byte{0xff, 0xd8}, "example.co.jp"); err != nil {
			t.Fatalf("put %s: %v", lv, err)
		}
		st.mem.Purge()
		got, err := st.getRedis(ctx, digest, time.Now())
		if err != nil || got == nil || got.Verdict.Level != lv || !got.HasShot {
			t.Fatalf("getRedis %s: %+v %v", lv, got, err)
		}
		if b, err := rdb.Get(ctx, tagged(keyShot, digest)).Bytes(); err != nil || len(b) != 2 {
			t.Errorf("screenshot: %v", err)
		}
	}
	if err := st.recordSkip(ctx, "example.co.jp", "d0123456789abcdef0123456789abcde"); err != nil {
		t.Fatal(err)
	}
	clean, skipped, bad := st.history(ctx, "example.co.jp")
	if clean != 2 || skipped != 1 || !bad {
		t.Errorf("history: clean %d skipped %d bad %v", clean, skipped, bad)
	}
}
