package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"code.dny.dev/ssrf"
)

// Config configures the proxy.
type Config struct {
	// TestMapHosts, when valid, connects every request to this address
	// instead of resolving the host (tests serve realistic host names on
	// loopback). It must be a loopback address. Off by default.
	TestMapHosts netip.AddrPort
	// Resolver resolves host names; nil means the system's.
	Resolver *net.Resolver
	// DialTimeout bounds each connection attempt; 0 means 10 s.
	DialTimeout time.Duration
	// OnBlock is called for every refused request (may be nil).
	OnBlock func(host string, err error)
}

// ErrBlocked wraps every refusal.
var ErrBlocked = errors.New("egress: destination not allowed")

// Proxy is the forward proxy. It is an http.Handler.
type Proxy struct {
	cfg    Config
	dialer *net.Dialer
}

// New returns a proxy, or an error for an invalid config.
func New(cfg Config) (*Proxy, error) {
	if cfg.TestMapHosts.IsValid() && !cfg.TestMapHosts.Addr().IsLoopback() {
		return nil, fmt.Errorf("egress: test host mapping to %s refused: only a loopback address is allowed", cfg.TestMapHosts)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	guard := ssrf.New(ssrf.WithAnyPort())
	return &Proxy{cfg: cfg, dialer: &net.Dialer{
		Timeout:  cfg.DialTimeout,
		Resolver: cfg.Resolver,
		// The check runs on the address actually being connected to.
		Control: guard.Safe,
	}}, nil
}

// Dial connects to hostport ("host:port") if it is allowed.
func (p *Proxy) Dial(ctx context.Context, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBlocked, err)
	}
	if p.cfg.TestMapHosts.IsValid() {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", p.cfg.TestMapHosts.String())
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		// Some resolvers answer these from /etc/hosts or the stub; refuse
		// by name too (the address check would refuse them anyway).
		return nil, fmt.Errorf("%w: %s", ErrBlocked, host)
	}
	c, err := p.dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil && isGuardErr(err) {
		return nil, fmt.Errorf("%w: %s: %v", ErrBlocked, hostport, err)
	}
	return c, err
}

func isGuardErr(err error) bool {
	return errors.Is(err, ssrf.ErrProhibitedIP) || errors.Is(err, ssrf.ErrProhibitedPort) || errors.Is(err, ssrf.ErrProhibitedNetwork) || errors.Is(err, ssrf.ErrInvalidHostPort)
}

func (p *Proxy) blocked(w http.ResponseWriter, host string, err error) {
	if p.cfg.OnBlock != nil {
		p.cfg.OnBlock(host, err)
	}
	status := http.StatusBadGateway
	if errors.Is(err, ErrBlocked) {
		status = http.StatusForbidden
	}
	http.Error(w, "kensa sandbox: "+err.Error(), status)
}

// ServeHTTP proxies one request: CONNECT tunnels for https (and wss), and
// plain http requests in absolute form. Nothing else is served.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		p.blocked(w, r.Host, fmt.Errorf("%w: only http in absolute form and CONNECT", ErrBlocked))
		return
	}
	hostport := r.URL.Host
	if r.URL.Port() == "" {
		hostport = net.JoinHostPort(r.URL.Hostname(), "80")
	}
	tr := &http.Transport{
		DialContext:           func(ctx context.Context, _, _ string) (net.Conn, error) { return p.Dial(ctx, hostport) },
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Connection")
	out.Header.Del("Proxy-Authorization")
	resp, err := tr.RoundTrip(out)
	if err != nil {
		p.blocked(w, hostport, err)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.DialTimeout)
	up, err := p.Dial(ctx, r.Host)
	cancel()
	if err != nil {
		p.blocked(w, r.Host, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "kensa sandbox: cannot tunnel", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(up, buf); closeWrite(up) }()
	go func() { defer wg.Done(); io.Copy(down, up); closeWrite(down) }()
	wg.Wait()
	up.Close()
	down.Close()
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
}
