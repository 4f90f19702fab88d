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

// RedisSettings says where a subcommand finds Redis: the same three keys
// in the serve and worker sections (embedded inline), flags and
// environment, and the URL read from redis_url_file by readSecret.
type RedisSettings struct {
	Redis        string `yaml:"redis"`          // redis://HOST:PORT/DB; may hold a password
	RedisURLFile string `yaml:"redis_url_file"` // or the Redis URL is in this file
	RedisMode    string `yaml:"redis_mode"`     // single (default), cluster or sentinel

	fromFile string // the URL read from RedisURLFile
}

// settings are the three flags and variables; what says what the URL is
// for, in --help.
func (r *RedisSettings) settings(what string) []setting {
	return []setting{
		{flag: "redis", env: "KENSA_REDIS_URL", v: stringValue{&r.Redis}, usage: "Redis `URL` " + what},
		{flag: "redis-url-file", env: "KENSA_REDIS_URL_FILE", v: stringValue{&r.RedisURLFile}, usage: "`FILE` holding the Redis URL (for one with a password)"},
		{flag: "redis-mode", env: "KENSA_REDIS_MODE", v: stringValue{&r.RedisMode}, usage: "single (default), cluster (the URL names seed nodes, more with ?addr=) or sentinel (?master_name=)"},
	}
}

// readSecret reads the URL from redis_url_file, if one is named; section
// names the key in the error.
func (r *RedisSettings) readSecret(section string, readFile func(string) ([]byte, error)) error {
	if r.RedisURLFile == "" {
		return nil
	}
	u, err := readSecretFile(readFile, section+".redis_url_file", r.RedisURLFile)
	r.fromFile = u
	return err
}

// url is the Redis URL, from the config or from its file.
func (r *RedisSettings) url() string {
	if r.RedisURLFile != "" {
		return r.fromFile
	}
	return r.Redis
}

// validate lists the problems of the settings; example ends the message
// when neither key is set.
func (r *RedisSettings) validate(section, example string) []error {
	switch {
	case r.Redis == "" && r.RedisURLFile == "":
		return []error{
			fmt.Errorf("%[1]s.redis (--redis, KENSA_REDIS_URL) or %[1]s.redis_url_file (--redis-url-file, KENSA_REDIS_URL_FILE) is required%[2]s", section, example),
			checkRedisMode(section, r.RedisMode),
		}
	case r.Redis != "" && r.RedisURLFile != "":
		return []error{fmt.Errorf("%[1]s.redis and %[1]s.redis_url_file are both set: set one", section)}
	case r.url() != "":
		return []error{checkRedis(section, r.RedisMode, r.url())}
	}
	return nil // the file was empty or unreadable: readSecret said so
}

// client opens Redis; section names the keys if the URL is bad (validate
// has normally said so already).
func (r *RedisSettings) client(section string) (redis.UniversalClient, error) {
	rdb, err := newRedisClient(r.RedisMode, r.url())
	if err != nil {
		return nil, checkRedis(section, r.RedisMode, r.url())
	}
	return rdb, nil
}
