package main

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Redis modes (serve.redis_mode, worker.redis_mode).
const (
	redisSingle   = "single"   // one server (or a proxy in front of several); the default
	redisCluster  = "cluster"  // Redis Cluster: the URL names seed nodes, more with ?addr=HOST:PORT
	redisSentinel = "sentinel" // a master found through Sentinel: the URL names sentinels, ?master_name=NAME
)

// checkRedis checks the Redis URL for its mode without ever showing its
// password. section is "serve" or "worker", for the message.
func checkRedis(section, mode, u string) error {
	var err error
	switch mode {
	case "", redisSingle:
		_, err = redis.ParseURL(u)
	case redisCluster:
		_, err = redis.ParseClusterURL(u)
	case redisSentinel:
		var o *redis.FailoverOptions
		if o, err = redis.ParseFailoverURL(u); err == nil && o.MasterName == "" {
			return fmt.Errorf("%s.redis %s: redis_mode sentinel needs ?master_name=NAME", section, redactURL(u))
		}
	default:
		return fmt.Errorf("%s.redis_mode %q: want single, cluster or sentinel", section, mode)
	}
	if err != nil {
		// url.Parse's errors quote the whole URL: never pass them on.
		return fmt.Errorf("%s.redis %s: want redis://[:PASSWORD@]HOST:PORT/DB or rediss://... (cluster and sentinel: more nodes with ?addr=HOST:PORT)", section, redactURL(u))
	}
	return nil
}

// checkRedisMode checks the mode alone (when there is no URL to check).
func checkRedisMode(section, mode string) error {
	switch mode {
	case "", redisSingle, redisCluster, redisSentinel:
		return nil
	}
	return fmt.Errorf("%s.redis_mode %q: want single, cluster or sentinel", section, mode)
}

// newRedisClient opens Redis in its mode; checkRedis has checked the URL.
// Every Kensa key that a command or transaction uses with another shares
// its hash tag (docs/redis.md), so the same code runs on a Cluster.
func newRedisClient(mode, u string) (redis.UniversalClient, error) {
	switch mode {
	case redisCluster:
		o, err := redis.ParseClusterURL(u)
		if err != nil {
			return nil, err
		}
		// The click path gives Redis 500 ms per call through its context;
		// without this go-redis ignores context deadlines on socket reads.
		o.ContextTimeoutEnabled = true
		return redis.NewClusterClient(o), nil
	case redisSentinel:
		o, err := redis.ParseFailoverURL(u)
		if err != nil {
			return nil, err
		}
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(o), nil
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		return nil, err
	}
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o), nil
}
