package clickproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// Override is an administrator's decision about a URL, a host or a
// registrable domain, as the API carries it (api.Override). The API (and
// later the SOC console) edits them; they live in Redis and every replica
// keeps a copy in memory, refreshed on a pub/sub notice and every few
// seconds.
type Override = api.Override

// overrideField is the override's field in the keyOverrides hash.
func overrideField(o Override) string { return o.List + "|" + o.Kind + "|" + o.Value }

// normalizeOverride checks and normalises an override from the API.
func normalizeOverride(o *Override) error {
	var errs []error
	if o.List != "block" && o.List != "allow" {
		errs = append(errs, fmt.Errorf("list must be block or allow, not %q", o.List))
	}
	v := strings.TrimSpace(o.Value)
	switch o.Kind {
	case "url":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("value %q is not an absolute http(s) URL", v))
		} else {
			v = normalizeURL(u)
		}
	case "host", "domain":
		v = canonicalHost(v)
		if v == "" || strings.ContainsAny(v, "/:@ ") {
			errs = append(errs, fmt.Errorf("value %q is not a host name", o.Value))
		}
		if o.Kind == "domain" && v != "" && registrable(v) != v {
			errs = append(errs, fmt.Errorf("%q is not a registrable domain (that would be %q)", v, registrable(v)))
		}
	default:
		errs = append(errs, fmt.Errorf("kind must be url, host or domain, not %q", o.Kind))
	}
	if len(o.Note) > 500 {
		errs = append(errs, errors.New("note longer than 500 bytes"))
	}
	o.Value = v
	return errors.Join(errs...)
}

type overrides struct {
	now func() time.Time // expiry
	rdb redis.UniversalClient
	log *zap.Logger
	mu  sync.RWMutex
	set map[string]Override // by overrideField
}

func newOverrides(rdb redis.UniversalClient, log *zap.Logger, now func() time.Time) *overrides {
	return &overrides{rdb: rdb, log: log, set: map[string]Override{}, now: now}
}

// load replaces the in-memory copy with Redis's.
func (o *overrides) load(ctx context.Context) error {
	all, err := o.rdb.HGetAll(ctx, keyOverrides).Result()
	if err != nil {
		return err
	}
	set := make(map[string]Override, len(all))
	now := o.now()
	for k, v := range all {
		var ov Override
		if json.Unmarshal([]byte(v), &ov) != nil {
			continue
		}
		if !ov.Expires.IsZero() && !now.Before(ov.Expires) {
			// Expired: gone from Redis too (only if unchanged since read).
			o.rdb.Eval(ctx, `if redis.call("hget", KEYS[1], ARGV[1]) == ARGV[2] then return redis.call("hdel", KEYS[1], ARGV[1]) end return 0`,
				[]string{keyOverrides}, k, v)
			o.log.Info("override expired", zap.String("override", k), zap.Time("expires", ov.Expires))
			continue
		}
		set[k] = ov
	}
	o.mu.Lock()
	o.set = set
	o.mu.Unlock()
	return nil
}

// watch keeps the copy fresh until ctx ends.
func (o *overrides) watch(ctx context.Context, every time.Duration) {
	sub := o.rdb.Subscribe(ctx, chanOverride)
	defer sub.Close()
	msgs := sub.Channel()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-msgs:
		case <-t.C:
		}
		if err := o.load(ctx); err != nil && ctx.Err() == nil {
			o.log.Debug("overrides not refreshed", zap.Error(err))
		}
	}
}

func (o *overrides) add(ctx context.Context, ov Override) error {
	b, _ := json.Marshal(ov)
	if err := o.rdb.HSet(ctx, keyOverrides, overrideField(ov), b).Err(); err != nil {
		return err
	}
	o.mu.Lock()
	o.set[overrideField(ov)] = ov
	o.mu.Unlock()
	return o.rdb.Publish(ctx, chanOverride, "1").Err()
}

func (o *overrides) remove(ctx context.Context, ov Override) (bool, error) {
	n, err := o.rdb.HDel(ctx, keyOverrides, overrideField(ov)).Result()
	if err != nil {
		return false, err
	}
	o.mu.Lock()
	delete(o.set, overrideField(ov))
	o.mu.Unlock()
	return n > 0, o.rdb.Publish(ctx, chanOverride, "1").Err()
}

func (o *overrides) list() []Override {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make([]Override, 0, len(o.set))
	now := o.now()
	for _, ov := range o.set {
		if ov.Expires.IsZero() || now.Before(ov.Expires) {
			out = append(out, ov)
		}
	}
	return out
}

// match finds the override for a destination: the most specific kind wins
// (url, then host, then domain), and at the same kind block beats allow.
func (o *overrides) match(normalized, host string, regDomain func() string) (Override, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if len(o.set) == 0 {
		return Override{}, false
	}
	for _, kv := range [][2]string{{"url", normalized}, {"host", host}, {"domain", regDomain()}} {
		for _, list := range []string{"block", "allow"} {
			if ov, ok := o.set[list+"|"+kv[0]+"|"+kv[1]]; ok && (ov.Expires.IsZero() || o.now().Before(ov.Expires)) {
				return ov, true
			}
		}
	}
	return Override{}, false
}

// overrideVerdict is the verdict an override gives.
func overrideVerdict(ov Override, dest string, now time.Time) verdict.Verdict {
	level := verdict.Malicious
	ja, en := "管理者がこのリンク先をブロックしています。", "Your administrator has blocked this destination."
	if ov.List == "allow" {
		level = verdict.Clean
		ja, en = "管理者がこのリンク先を許可しています。", "Your administrator has allowed this destination."
	}
	return verdict.Verdict{Level: level, URL: dest, JudgedAt: now, Reasons: []verdict.Reason{{
		Code: verdict.CodeAdminOverride, Level: level, JA: ja, EN: en,
		Evidence: map[string]string{"list": ov.List, "kind": ov.Kind, "value": ov.Value},
	}}}
}
