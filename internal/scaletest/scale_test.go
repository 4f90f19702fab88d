package scaletest

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox/remote"
)

// deployment is the running Topology.
type deployment struct {
	t       testing.TB
	dir     string
	bin     string
	redis   *redisServer
	rdb     *redis.Client
	procs   map[string]*proc
	addrs   map[string]string // service -> its HTTP address (click port, worker or milter metrics)
	site    *site
	clicker *clicker
}

// testTuning are the scale test's values for every Service.TestTuning flag.
func testTuning(siteAddr string) map[string]map[string]string {
	return map[string]map[string]string{
		"serve":  {"click-rate": "-1", "wait": "30s", "render-timeout": "60s"},
		"worker": {"test-map-hosts": siteAddr, "visibility-timeout": "10s", "render-timeout": "60s"},
	}
}

func startDeployment(t testing.TB, only ...string) *deployment {
	t.Helper()
	testenv.Require(t, testenv.Redis, testenv.Chromium)
	dir := t.TempDir()
	d := &deployment{t: t, dir: dir, bin: buildKensa(t), procs: map[string]*proc{}, addrs: map[string]string{}, site: newSite()}
	services := Topology()
	d.redis = startRedis(t, dir, services[0].Settings)
	d.rdb = redis.NewClient(&redis.Options{Addr: d.redis.addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { d.rdb.Close() })

	// What kensa-init makes in the compose file, made by the same script:
	// keys, an API token and the Redis URL file.
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	initCmd := exec.Command("sh", filepath.Join(root, "deploy", "kensa-init.sh"))
	initCmd.Env = append(os.Environ(), "KENSA_SECRETS_DIR="+dir, "KENSA_REDIS_URL=redis://"+d.redis.addr+"/0",
		"PATH="+filepath.Dir(d.bin)+":"+os.Getenv("PATH"))
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("kensa-init: %v\n%s", err, out)
	}
	keys := filepath.Join(dir, "keys.json")
	ts, err := testsite.Start(d.site)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	const base = "http://kensa.test"
	d.clicker = newClicker(t, keys, base)

	tuning := testTuning(ts.Addr.String())
	for _, s := range services[1:] {
		if len(only) > 0 && !slices.Contains(only, s.Name) {
			continue
		}
		addr := freeAddr(t)
		d.addrs[s.Name] = addr
		where := map[string]string{
			"listen": addr, "redis-url-file": filepath.Join(dir, "redis-url"), "key-file": keys, "base-url": base,
			"api-token-file": filepath.Join(dir, "api-tokens"), "name": s.Name, "metrics-listen": addr,
		}
		if s.Command == "milter" {
			where["listen"] = "inet:" + freeAddr(t)
		}
		args := []string{s.Command}
		for _, k := range slices.Sorted(maps.Keys(s.Settings)) {
			v := s.Settings[k]
			if v == Any {
				if v = where[k]; v == "" {
					t.Fatalf("%s: no value for the setting %s", s.Name, k)
				}
			}
			args = append(args, "--"+k+"="+v) // one argument: right for boolean flags too
		}
		if !slices.Equal(slices.Sorted(maps.Keys(s.TestTuning)), slices.Sorted(maps.Keys(tuning[s.Command]))) {
			t.Fatalf("%s: Topology's test tuning %v and the test's %v differ", s.Name, s.TestTuning, tuning[s.Command])
		}
		for _, k := range slices.Sorted(maps.Keys(tuning[s.Command])) {
			args = append(args, "--"+k+"="+tuning[s.Command][k])
		}
		p := &proc{name: s.Name, bin: d.bin, args: args, dir: dir}
		d.procs[s.Name] = p
		p.start(t)
		t.Cleanup(p.kill)
	}
	d.waitReady(t)
	return d
}

// waitReady waits until every Kensa process answers its readiness check.
func (d *deployment) waitReady(t testing.TB) {
	t.Helper()
	for name, addr := range d.addrs {
		if d.procs[name].cmd == nil {
			continue // stopped on purpose
		}
		url := "http://" + addr + "/readyz"
		if d.procs[name].args[0] == "milter" {
			url = "http://" + addr + "/metrics"
		}
		p := d.procs[name]
		deadline := time.Now().Add(90 * time.Second)
		for !httpOK(url) {
			select {
			case <-p.done:
				t.Fatalf("%s exited:\n%s", name, p.tail())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready at %s:\n%s", name, url, p.tail())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

var serves = []string{"kensa-serve-1", "kensa-serve-2"}

// click clicks dest at the replica and follows the checking page.
func (d *deployment) click(replica, dest string) answer {
	addr := d.addrs[replica]
	return d.clicker.settle(addr, d.clicker.get(context.Background(), addr, d.clicker.path(dest)))
}

// clickMany clicks dest n times at once, spread over both replicas.
func (d *deployment) clickMany(dest string, n int) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	path := d.clicker.path(dest)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := d.addrs[serves[i%2]]
			out[i] = d.clicker.settle(addr, d.clicker.get(context.Background(), addr, path))
		}()
	}
	wg.Wait()
	return out
}

func checkRedirects(t testing.TB, what, dest string, as []answer) {
	t.Helper()
	bad := 0
	for _, a := range as {
		if a.err != nil || a.action != "redirect" || a.location != dest {
			if bad++; bad <= 3 {
				t.Errorf("%s: answer %+v, want a redirect to %s", what, a, dest)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d answers wrong", what, bad, len(as))
	}
}

func (d *deployment) renders() string {
	return d.rdb.Get(context.Background(), remote.KeyRenders).Val()
}

// TestScaleAndFaults runs the deployment of Topology as processes and
// kills parts of it under load. Its steps share the deployment and run in
// order.
func TestScaleAndFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole deployment")
	}
	d := startDeployment(t)
	cached := "http://herd.shop.test/page/herd"

	t.Run("herd: 200 first clicks over two replicas, one render", func(t *testing.T) {
		as := d.clickMany(cached, 200)
		checkRedirects(t, "first clicks", cached, as)
		if n := d.site.count("/page/herd"); n != 1 {
			t.Errorf("the site saw %d renders of the page, want 1", n)
		}
		if n := d.renders(); n != "1" {
			t.Errorf("workers started %s renders, want 1", n)
		}
	})

	var survivor string
	t.Run("worker SIGKILLed mid-render: the other finishes the job", func(t *testing.T) {
		dest := "http://kill.shop.test/slow/worker"
		first, _ := d.site.chans("/slow/worker")
		var as []answer
		done := make(chan struct{})
		go func() { defer close(done); as = d.clickMany(dest, 20) }()
		select {
		case <-first:
		case <-time.After(120 * time.Second):
			t.Fatal("no worker started the render")
		}
		holder := ""
		eventually(t, "the job is held by a worker", 30*time.Second, func() bool {
			p, err := d.rdb.XPending(context.Background(), remote.KeyStream, remote.Group).Result()
			if err != nil {
				return false
			}
			for name, n := range p.Consumers {
				if n > 0 {
					holder = name
				}
			}
			return holder != ""
		})
		survivor = "kensa-worker-1"
		if holder == survivor {
			survivor = "kensa-worker-2"
		}
		d.procs[holder].kill() // the worker and its Chromium
		<-done
		checkRedirects(t, "clicks waiting on the killed worker's job", dest, as)
		if n := d.site.count("/slow/worker"); n != 2 {
			t.Errorf("the site saw %d renders, want 2 (the killed one and the other worker's)", n)
		}
		if n := metric("http://"+d.addrs[survivor]+"/metrics", "kensa_worker_reclaimed_total"); n != 1 {
			t.Errorf("%s took over %v jobs, want 1", survivor, n)
		}
	})
	if survivor == "" {
		t.Fatal("no surviving worker")
	}

	t.Run("Chromium killed in a worker: restarted, worker keeps serving", func(t *testing.T) {
		w := d.procs[survivor]
		pids := chromiumPIDs(w)
		if len(pids) == 0 {
			t.Fatalf("%s never logged a started Chromium:\n%s", survivor, w.tail())
		}
		if err := syscall.Kill(pids[len(pids)-1], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		dest := "http://chrome.shop.test/page/after-chromium"
		checkRedirects(t, "a new link after Chromium died", dest, []answer{d.click(serves[0], dest)})
		if got := chromiumPIDs(w); len(got) <= len(pids) {
			t.Errorf("%s did not start a new Chromium (pids %v)", survivor, got)
		}
	})

	t.Run("proxy killed under load: the other serves, in-flight clicks fail cleanly", func(t *testing.T) {
		a, b := serves[0], serves[1]
		// Load on replica A: the cached link.
		var ok, bad atomic.Int64
		stop := make(chan struct{})
		var loadWG sync.WaitGroup
		path := d.clicker.path(cached)
		for range 4 {
			loadWG.Add(1)
			go func() {
				defer loadWG.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r := d.clicker.get(context.Background(), d.addrs[a], path)
					if r.err == nil && r.action == "redirect" && r.location == cached {
						ok.Add(1)
					} else {
						bad.Add(1)
						t.Errorf("replica %s: %+v", a, r)
					}
				}
			}()
		}
		// Clicks in flight on B: waiting for a render that the site holds.
		dest := "http://proxy.shop.test/slow/proxy"
		first, release := d.site.chans("/slow/proxy")
		inflight := make([]answer, 10)
		var wg sync.WaitGroup
		bpath := d.clicker.path(dest)
		for i := range inflight {
			wg.Add(1)
			go func() { defer wg.Done(); inflight[i] = d.clicker.get(context.Background(), d.addrs[b], bpath) }()
		}
		<-first
		eventually(t, "10 clicks wait at replica B", 60*time.Second, func() bool {
			return metric("http://"+d.addrs[b]+"/metrics", "kensa_herd_waiters") == 10
		})
		d.procs[b].kill()
		wg.Wait()
		for i, r := range inflight {
			if r.err == nil {
				t.Errorf("in-flight click %d on the killed replica got an answer: %+v", i, r)
			}
		}
		if r := d.clicker.get(context.Background(), d.addrs[b], bpath); r.err == nil {
			t.Errorf("a click on the killed replica got an answer: %+v", r)
		}
		before := ok.Load()
		eventually(t, "replica A keeps answering", 60*time.Second, func() bool { return ok.Load() >= before+50 })
		close(stop)
		loadWG.Wait()
		close(release)
		if bad.Load() != 0 {
			t.Errorf("replica A gave %d wrong answers", bad.Load())
		}
		// B comes back for the next step.
		d.procs[b].start(t)
		d.waitReady(t)
	})

	t.Run("Redis restarted under load: replicas recover, no click event lost", func(t *testing.T) {
		var mu sync.Mutex
		var ids []string
		record := func(what string, r answer) {
			if r.err != nil || r.clickID == "" {
				t.Errorf("%s: %+v", what, r)
				return
			}
			mu.Lock()
			ids = append(ids, r.clickID)
			mu.Unlock()
		}
		// Both replicas hold the cached verdict in memory (B was restarted).
		for _, s := range serves {
			r := d.click(s, cached)
			checkRedirects(t, "warm-up", cached, []answer{r})
			record("warm-up", r)
		}
		var n atomic.Int64
		stop := make(chan struct{})
		var loadWG sync.WaitGroup
		path := d.clicker.path(cached)
		for i := range 4 {
			loadWG.Add(1)
			go func() {
				defer loadWG.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r := d.clicker.get(context.Background(), d.addrs[serves[i%2]], path)
					if r.err == nil && (r.action != "redirect" || r.location != cached) {
						t.Errorf("cached link during the Redis restart: %+v", r)
					}
					record("load", r)
					n.Add(1)
				}
			}()
		}
		eventually(t, "load runs", 60*time.Second, func() bool { return n.Load() >= 50 })
		d.redis.stop() // SIGTERM: Redis writes its append-only file and exits
		// While Redis is away a new link cannot be checked: unknown, and
		// the policy (unknown: warn) shows the warning; never a redirect.
		for i, s := range serves {
			dest := "http://outage.shop.test/page/outage-" + string(rune('a'+i))
			r := d.click(s, dest)
			if r.err != nil || r.action != "warn" || r.location != "" {
				t.Errorf("new link at %s while Redis is down: %+v, want the unknown warning", s, r)
			}
			record("outage", r)
		}
		mid := n.Load()
		eventually(t, "cached clicks answered while Redis is down", 60*time.Second, func() bool { return n.Load() >= mid+50 })
		d.redis.startAndWait(t)
		for _, s := range serves {
			eventually(t, s+" ready again without a restart", 60*time.Second, func() bool { return httpOK("http://" + d.addrs[s] + "/readyz") })
		}
		after := n.Load()
		eventually(t, "load after the restart", 60*time.Second, func() bool { return n.Load() >= after+50 })
		close(stop)
		loadWG.Wait()
		dest := "http://after.shop.test/page/after-redis"
		for _, s := range serves {
			r := d.click(s, dest)
			checkRedirects(t, "new link after the restart", dest, []answer{r})
		}
		// Every click answered is in the click stream (events in = out).
		mu.Lock()
		want := slices.Clone(ids)
		mu.Unlock()
		var missing []string
		eventually(t, "every click event reaches the stream", 90*time.Second, func() bool {
			have := map[string]bool{}
			msgs, err := d.rdb.XRange(context.Background(), "kensa:clicks", "-", "+").Result()
			if err != nil {
				return false
			}
			for _, m := range msgs {
				var e struct {
					ClickID string `json:"kensa.click_id"` // api.ClickEvent, schema 2 (ECS names)
				}
				s, _ := m.Values["event"].(string)
				if json.Unmarshal([]byte(s), &e) == nil {
					have[e.ClickID] = true
				}
			}
			missing = missing[:0]
			for _, id := range want {
				if !have[id] {
					missing = append(missing, id)
				}
			}
			return len(missing) == 0
		})
		for _, s := range serves {
			if v := metric("http://"+d.addrs[s]+"/metrics", "kensa_click_events_dropped_total"); v != 0 {
				t.Errorf("%s dropped %v click events", s, v)
			}
		}
		t.Logf("%d click events in, all in the stream", len(want))
	})
}
