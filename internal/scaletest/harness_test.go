package scaletest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// proc is one process of the deployment, in its own process group so that
// a kill takes its children (Chromium) too, as a dead machine or
// container would.
type proc struct {
	name string
	bin  string
	args []string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) logPath() string { return filepath.Join(p.dir, p.name+".log") }
func (p *proc) outPath() string { return filepath.Join(p.dir, p.name+".out") }

func (p *proc) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "KENSA_LOG_FORMAT=json", "KENSA_LOG_LEVEL=info")
	logf, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	outf, err := os.OpenFile(p.outPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr, cmd.Stdout = logf, outf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); outf.Close(); close(p.done) }()
}

// kill sends SIGKILL to the process group and waits for the process.
func (p *proc) kill() {
	if p.cmd == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// stop asks the process to stop (SIGTERM), then kills what is left.
func (p *proc) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
	}
	p.kill()
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.logPath())
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// freeAddr returns a free loopback HOST:PORT.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The kensa binary, built once per test binary (TestMain removes it).
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildKensa builds the kensa binary (once) and returns its path.
func buildKensa(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := testenv.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "kensa-scaletest-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "kensa")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/kensa")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// treePSS is the proportional set size of a process group (a worker and
// its Chromium processes), in bytes: shared pages count once in total, not
// once per process as RSS would.
func treePSS(pgid int) int64 {
	ents, _ := os.ReadDir("/proc")
	var sum int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces: ") S ppid pgrp".
		i := strings.LastIndexByte(string(stat), ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		rollup, err := os.ReadFile(filepath.Join("/proc", e.Name(), "smaps_rollup"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(rollup), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				sum += kb << 10
			}
		}
	}
	return sum
}

// eventually polls cond until it holds or the generous deadline passes.
// Polling observable state, never a sleep as synchronisation.
func eventually(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// httpOK says whether GET url answers 200.
func httpOK(url string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200
}

// metric reads one sample (name with its labels, as exposed) from a
// Prometheus text page; -1 when absent or unreachable.
func metric(url, name string) float64 {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return -1
}

// site is the test's web site, which every host name leads to: it counts
// the hits on each path, and holds the first hit of /slow/ paths until it
// is released or its client goes away.
type site struct {
	mu      sync.Mutex
	hits    map[string]int
	first   map[string]chan struct{} // closed at the first hit of a /slow/ path
	release map[string]chan struct{} // closing it ends the first hit's wait
}

func newSite() *site {
	return &site{hits: map[string]int{}, first: map[string]chan struct{}{}, release: map[string]chan struct{}{}}
}

func (s *site) chans(path string) (first, release chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first[path] == nil {
		s.first[path], s.release[path] = make(chan struct{}), make(chan struct{})
	}
	return s.first[path], s.release[path]
}

func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	n := s.hits[r.URL.Path]
	s.mu.Unlock()
	if !strings.HasPrefix(r.URL.Path, "/page/") && !strings.HasPrefix(r.URL.Path, "/slow/") {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/slow/") && n == 1 {
		first, release := s.chans(r.URL.Path)
		close(first)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Enough text that the sandbox does not render it again as a cloaking
	// suspect (sandbox/inprocess looksEmpty): one render per check.
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Garden shop</title></head><body>
<h1>Garden shop</h1><p>Seeds, tools and plants for every season. Free delivery on orders over 5,000 yen.
Our catalogue for %s is below; prices include tax.</p><ul><li>Tomato seeds</li><li>Watering can</li></ul></body></html>`, r.URL.Path)
}

// clicker makes links and clicks them like a person's browser.
type clicker struct {
	t     testing.TB
	codec *linktoken.Codec
	base  string
	http  *http.Client
}

func newClicker(t testing.TB, keyFile, base string) *clicker {
	kr, _, err := linktoken.LoadKeyringFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := linktoken.NewCodec(base, kr)
	if err != nil {
		t.Fatal(err)
	}
	return &clicker{t: t, codec: codec, base: base, http: &http.Client{
		Timeout:       90 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 300, DisableKeepAlives: false},
	}}
}

// path is the link to dest, without the base: the same link is clicked at
// either replica, as a load balancer would send it.
func (c *clicker) path(dest string) string {
	l, err := c.codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp",
		MessageDigest: linktoken.MessageDigest("<m1@example.co.jp>")}, dest)
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.TrimPrefix(l, c.base)
}

type answer struct {
	status          int
	action, clickID string
	location        string
	refresh         string
	err             error
}

var reRefresh = regexp.MustCompile(`http-equiv="refresh" content="\d+;\s*url=([^"]+)"`)

// get requests addr+path; a connection error is in answer.err.
func (c *clicker) get(ctx context.Context, addr, path string) answer {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+path, nil)
	req.Host = strings.TrimPrefix(c.base, "http://")
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	req.Header.Set("Accept-Language", "ja,en;q=0.8")
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, action: resp.Header.Get("X-Kensa-Action"), clickID: resp.Header.Get("X-Kensa-Click-Id"),
		location: resp.Header.Get("Location")}
	if m := reRefresh.FindSubmatch(b); m != nil {
		a.refresh = strings.ReplaceAll(string(m[1]), "&amp;", "&")
	}
	return a
}

// settle follows the "checking" page (at the same replica) until the
// click's final answer.
func (c *clicker) settle(addr string, a answer) answer {
	for i := 0; a.err == nil && a.action == "checking" && i < 120; i++ {
		if a.refresh == "" {
			return answer{err: fmt.Errorf("checking page without a follow-up")}
		}
		time.Sleep(time.Second) // the page's own refresh interval
		path := a.refresh
		if strings.HasPrefix(path, c.base) {
			path = strings.TrimPrefix(path, c.base)
		}
		a = c.get(context.Background(), addr, path)
	}
	return a
}

// redisServer is Redis with an append-only file, stopped gracefully and
// restarted on the same port and directory: what it held comes back.
type redisServer struct {
	proc
	addr string
}

func startRedis(t testing.TB, dir string, settings map[string]string) *redisServer {
	t.Helper()
	bin, err := testenv.RedisServerPath()
	if err != nil {
		testenv.Missing(t, testenv.Redis, err)
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--protected-mode", "yes"}
	for k, v := range settings {
		args = append(args, "--"+k, v)
	}
	r := &redisServer{proc: proc{name: "redis", bin: bin, args: args, dir: dir}, addr: addr}
	r.startAndWait(t)
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) startAndWait(t testing.TB) {
	t.Helper()
	r.start(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer rdb.Close()
	eventually(t, "redis-server starts", 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		// LOADING while it reads the append-only file.
		return rdb.Ping(ctx).Err() == nil
	})
}

// chromiumPIDs returns the pids of the browser processes a worker's log
// says it started, latest last.
func chromiumPIDs(p *proc) []int {
	f, err := os.Open(p.logPath())
	if err != nil {
		return nil
	}
	defer f.Close()
	var pids []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg string `json:"msg"`
			PID int    `json:"pid"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "chromium started" && l.PID > 0 {
			pids = append(pids, l.PID)
		}
	}
	return pids
}
