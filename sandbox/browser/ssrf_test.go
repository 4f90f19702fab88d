package browser

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/fakedns"

	"github.com/kensa-mail/kensa/sandbox/capture"
	"github.com/kensa-mail/kensa/sandbox/egress"
)

// TestSSRFThroughTheBrowser aims pages at an internal service and at the
// cloud metadata address in every way a page can (HTTP redirect, meta
// refresh, script navigation, iframe, image, fetch, WebSocket, the URL
// itself), through the REAL egress proxy: no test host mapping, and a fake
// DNS server so that nothing is looked up outside this machine.
//
// The pages themselves have to come from somewhere that is not loopback
// (the egress proxy rightly refuses loopback). So the test puts a small
// "internet" in front of the proxy: requests for the one host news.example
// are answered by the test, and every other request goes to the unmodified
// egress.Proxy handler. Nothing in egress is loosened for the test.
func TestSSRFThroughTheBrowser(t *testing.T) {
	needBrowser(t)
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("the internal service was reached: %s %s", r.Method, r.URL)
		fmt.Fprint(w, "internal secret")
	}))
	defer internal.Close()
	_, iport, _ := net.SplitHostPort(internal.Listener.Addr().String())

	dns := fakedns.Start(t, map[string][]netip.Addr{
		"metadata.attacker.example": {netip.MustParseAddr("169.254.169.254")},
		"internal.attacker.example": {netip.MustParseAddr("127.0.0.1")},
		"intranet.attacker.example": {netip.MustParseAddr("10.0.0.1")},
		// A rebinding name: each lookup gets the next answer.
		"rebind.attacker.example": {netip.MustParseAddr("192.168.7.7"), netip.MustParseAddr("127.0.0.1")},
	})
	var mu sync.Mutex
	var refused []string
	var br *Browser
	px, err := egress.New(egress.Config{
		Resolver:    dns.Resolver(),
		DialTimeout: 2 * time.Second,
		OnBlock: func(h string, err error) {
			mu.Lock()
			refused = append(refused, h)
			mu.Unlock()
			br.OnBlock(h, err)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := "127.0.0.1:" + iport
	pages := map[string]string{
		"/redirect": "",
		"/meta":     `<meta http-equiv="refresh" content="0;url=http://169.254.169.254/latest/meta-data/">`,
		"/js":       `<script>location.href = "http://` + in + `/js";</script>`,
		"/iframe": `<iframe src="http://` + in + `/frame"></iframe><iframe src="http://metadata.attacker.example/latest/"></iframe>` +
			`<iframe src="https://` + in + `/tls"></iframe>`,
		"/img": `<img src="http://` + in + `/a.png"><img src="http://169.254.169.254/b.png"><img src="http://localhost:` + iport + `/c.png">` +
			`<img src="http://2130706433:` + iport + `/d.png"><img src="http://0x7f.1:` + iport + `/e.png"><img src="http://[::ffff:127.0.0.1]:` + iport + `/f.png">` +
			`<img src="http://[::1]:` + iport + `/g.png"><img src="http://internal.attacker.example:` + iport + `/h.png"><img src="http://intranet.attacker.example/i.png">` +
			`<img src="http://rebind.attacker.example:` + iport + `/j.png"><img src="http://rebind.attacker.example:` + iport + `/k.png">`,
		"/fetch": `<script>fetch("http://` + in + `/api").catch(() => {}); try { new WebSocket("ws://` + in + `/ws"); } catch (e) {}` +
			`fetch("http://metadata.attacker.example/latest/meta-data/iam").catch(() => {});</script>`,
	}
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect && r.URL.Hostname() == "news.example" {
			if r.URL.Path == "/redirect" {
				http.Redirect(w, r, "http://"+in+"/secret", http.StatusFound)
				return
			}
			body, ok := pages[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, htmlPage("news", "<p>story</p>"+body))
			return
		}
		px.ServeHTTP(w, r) // the real egress proxy
	})
	proxyURL, stop, err := startProxy(front)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	br, err = New(context.Background(), Config{ProxyURL: proxyURL, TempDir: t.TempDir(), RenderTimeout: 20 * time.Second, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()

	urls := []string{"http://" + in + "/direct", "http://169.254.169.254/latest/meta-data/"}
	for p := range pages {
		urls = append(urls, "http://news.example"+p)
	}
	slices.Sort(urls)
	reps := make([]*capture.Report, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { reps[i] = br.Render(context.Background(), u, "", "") })
	}
	wg.Wait()
	for i, rep := range reps {
		t.Logf("%s: err=%q final=%s chain=%+v blocked=%+v", urls[i], rep.Err, rep.FinalURL, rep.Chain, rep.Blocked)
		if len(rep.Blocked) == 0 {
			t.Errorf("%s: no refusal recorded", urls[i])
		}
		for _, b := range rep.Blocked {
			if !strings.Contains(b.Reason, "not allowed") {
				t.Errorf("%s: odd refusal %+v", urls[i], b)
			}
		}
		switch strings.TrimPrefix(urls[i], "http://news.example") {
		case "/redirect":
			wantHop(t, rep, "http://"+in+"/secret", "http-redirect")
			if rep.Err == "" {
				t.Errorf("redirect to a refused host: Err empty")
			}
		case "/meta":
			wantHop(t, rep, "http://169.254.169.254/latest/meta-data/", "meta-refresh")
		case "/js":
			wantHop(t, rep, "http://"+in+"/js", "script")
		}
		if strings.HasPrefix(urls[i], "http://news.example/i") && rep.Err != "" {
			t.Errorf("%s: a page with refused subresources is still a page: Err %q", urls[i], rep.Err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("internal service hit %d times", n)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("refused by egress: %v", refused)
	for _, want := range []string{in, "169.254.169.254:80", "localhost:" + iport, "metadata.attacker.example:80", "internal.attacker.example:" + iport, "intranet.attacker.example:80"} {
		if !slices.Contains(refused, want) {
			t.Errorf("egress never refused %s", want)
		}
	}
}

func wantHop(t *testing.T, rep *capture.Report, url, kind string) {
	t.Helper()
	for _, h := range rep.Chain {
		if h.URL == url && h.Kind == kind {
			return
		}
	}
	t.Errorf("%s: no %s hop to %s in %+v", rep.URL, kind, url, rep.Chain)
}
