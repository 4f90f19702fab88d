package scaletest

// Service is one process of the scaled-out deployment: a compose service,
// and a process of the scale test.
type Service struct {
	Name    string // the compose service name
	Command string // the kensa subcommand, or "redis-server"
	// Settings are the command's flags and their values. The value Any
	// stands for what differs by where it runs (addresses, file paths);
	// the compose check compares every other value.
	Settings map[string]string
	// TestTuning are flags the scale test adds or sets differently to fit
	// a test on loopback (one client address, timeouts for a loaded
	// machine, host mapping to the test site), with why. The compose
	// check ignores them.
	TestTuning map[string]string
}

// Any is a setting whose value depends on where the service runs.
const Any = "*"

// Topology is the deployment: Redis, two click-proxy replicas on the
// render queue, two sandbox workers, and the milter.
func Topology() []Service {
	serve := func(name string) Service {
		return Service{Name: name, Command: "serve",
			Settings: map[string]string{
				"listen": Any, "redis-url-file": Any, "key-file": Any, "base-url": Any, "api-token-file": Any,
				"sandbox": "remote", "trust-proxy-headers": "true",
			},
			TestTuning: map[string]string{
				"click-rate":     "every test click comes from 127.0.0.1 without X-Forwarded-For: one client network, over the per-network limit",
				"wait":           "clicks wait for the render on a loaded machine rather than get the checking page",
				"render-timeout": "a job taken over from a killed worker gets a whole render again on a loaded machine",
			},
		}
	}
	worker := func(name string) Service {
		return Service{Name: name, Command: "worker",
			Settings: map[string]string{
				"listen": Any, "redis-url-file": Any, "name": Any, "tabs": "2", "max-attempts": "3",
			},
			TestTuning: map[string]string{
				"test-map-hosts":     "every host name goes to the loopback test site",
				"visibility-timeout": "the killed worker's job is taken over sooner than the default 30s",
				"render-timeout":     "as for serve",
			},
		}
	}
	return []Service{
		{Name: "redis", Command: "redis-server", Settings: map[string]string{"appendonly": "yes", "appendfsync": "everysec"}},
		serve("kensa-serve-1"), serve("kensa-serve-2"),
		worker("kensa-worker-1"), worker("kensa-worker-2"),
		{Name: "kensa-milter", Command: "milter", Settings: map[string]string{
			"listen": Any, "metrics-listen": Any, "key-file": Any, "base-url": Any,
		}},
	}
}

// ComposeOnly are the compose services the process test has no use for,
// with why.
var ComposeOnly = map[string]string{
	"kensa-init": "one-shot: deploy/kensa-init.sh makes keys.json, the API token and the Redis URL file in a volume; the test runs the same script into its temporary directory",
	"kensa-lb":   "the load balancer in front of the two replicas; the test spreads clicks over both itself",
}
