package egress

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kensa-mail/kensa/internal/fakedns"
)

func startProxy(t *testing.T, cfg Config) (*url.URL, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var blocked []string
	cfg.OnBlock = func(host string, err error) {
		mu.Lock()
		blocked = append(blocked, host)
		mu.Unlock()
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u, &blocked
}

func client(proxy *url.URL) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxy),
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the target is a test server; the CONNECT must fail first
	}}
}

// TestSSRFRefused: every way to reach loopback, private or link-local
// addresses is refused, and the internal server never sees a request.
func TestSSRFRefused(t *testing.T) {
	var hits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer internal.Close()
	internalTLS := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer internalTLS.Close()
	_, port, _ := net.SplitHostPort(internal.Listener.Addr().String())
	_, tlsPort, _ := net.SplitHostPort(internalTLS.Listener.Addr().String())

	dns := fakedns.Start(t, map[string][]netip.Addr{
		"internal.example.com": {netip.MustParseAddr("10.1.2.3")},
		"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
		"loop.example.com":     {netip.MustParseAddr("127.0.0.1")},
		"mapped.example.com":   {netip.MustParseAddr("::ffff:127.0.0.1")},
		"v6loop.example.com":   {netip.MustParseAddr("::1")},
		"ula.example.com":      {netip.MustParseAddr("fd00:ec2::254")},
		"cgnat.example.com":    {netip.MustParseAddr("100.100.100.200")},
		// A rebinding name: each lookup answers the next address.
		"rebind.example.com": {netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("127.0.0.1")},
	})
	proxy, blocked := startProxy(t, Config{Resolver: dns.Resolver()})
	c := client(proxy)

	targets := []string{
		"http://127.0.0.1:" + port + "/",
		"http://127.1:" + port + "/",
		"http://2130706433:" + port + "/",
		"http://0x7f000001:" + port + "/",
		"http://0x7f.1:" + port + "/",
		"http://017700000001:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://localhost:" + port + "/",
		"http://sub.localhost:" + port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://169.254.170.2/",
		"http://10.0.0.1/",
		"http://172.16.0.1/",
		"http://192.168.0.1/",
		"http://100.64.0.1/",
		"http://0.0.0.0:" + port + "/",
		"http://[fe80::1]/",
		"http://[fc00::1]/",
		"http://224.0.0.1/",
		"http://internal.example.com/",
		"http://metadata.example.com/",
		"http://loop.example.com:" + port + "/",
		"http://mapped.example.com:" + port + "/",
		"http://v6loop.example.com:" + port + "/",
		"http://ula.example.com/",
		"http://cgnat.example.com/",
		"http://rebind.example.com:" + port + "/",
		"http://rebind.example.com:" + port + "/",
		"http://rebind.example.com:" + port + "/",
		"https://127.0.0.1:" + tlsPort + "/",
		"https://loop.example.com:" + tlsPort + "/",
		"https://rebind.example.com:" + tlsPort + "/",
		"https://rebind.example.com:" + tlsPort + "/",
	}
	for _, target := range targets {
		resp, err := c.Get(target)
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				t.Errorf("%s: 200 through the proxy", target)
			}
			resp.Body.Close()
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal servers got %d requests", n)
	}
	if len(*blocked) < len(targets) {
		t.Errorf("%d refusals reported for %d targets: %v", len(*blocked), len(targets), *blocked)
	}
}

// TestTestMapHosts: the test-only mapping serves realistic names from a
// loopback server, and refuses to map to anything but loopback.
func TestTestMapHosts(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("host=" + r.Host))
	}))
	defer site.Close()
	ap := netip.MustParseAddrPort(site.Listener.Addr().String())
	proxy, _ := startProxy(t, Config{TestMapHosts: ap})
	resp, err := client(proxy).Get("http://www.sagawa-exp.co.jp/faq/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 100)
	n, _ := resp.Body.Read(buf)
	if resp.StatusCode != 200 || string(buf[:n]) != "host=www.sagawa-exp.co.jp" {
		t.Errorf("mapped request: %d %q", resp.StatusCode, buf[:n])
	}
	for _, bad := range []string{"10.0.0.1:80", "93.184.216.34:80", "169.254.169.254:80"} {
		if _, err := New(Config{TestMapHosts: netip.MustParseAddrPort(bad)}); err == nil {
			t.Errorf("mapping to %s accepted", bad)
		}
	}
}

// Nothing but CONNECT and absolute-form http is proxied.
func TestOnlyHTTP(t *testing.T) {
	proxy, _ := startProxy(t, Config{})
	req, _ := http.NewRequest("GET", proxy.String()+"/etc/passwd", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("origin-form request: %d, want 403", resp.StatusCode)
	}
}
