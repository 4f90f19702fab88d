package clickproxy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/access"
	"github.com/kensa-mail/kensa/clickproxy/audit"
	"github.com/kensa-mail/kensa/clickproxy/ratelimit"
)

// Server answers clicks. Create it with New and serve Handler with
// fasthttp.
type Server struct {
	cfg      Config
	log      *zap.Logger
	basePath string // the base URL's path, without a trailing slash
	origin   string // the base URL's scheme and host
	store    *store
	herd     *herd
	ov       *overrides
	audit    *audit.Log // the one audit log (auth.go, recordAudit)
	access   *access.Store
	// Sign-in attempts per client network and per email; requests per
	// token or signed-in user (auth.go).
	loginLimit     *ratelimit.Limiter
	loginKeyLimit  *ratelimit.Keyed
	principalLimit *ratelimit.Keyed
	m              *metrics
	ua             *memo[uaInfo]  // by User-Agent (memo.go)
	dests          *memo[destKey] // by destination (memo.go)
	proceed        proceedSigner
	shotKey        []byte
	clickKey       []byte // MACs of click IDs in follow-up and report URLs
	pending        *lru.Cache[string, *pendingClick]
	apiKeys        [][32]byte
	// Per client network (routes.go): every route but the API, and the API.
	clickLimit, apiLimit *ratelimit.Limiter
	checkLimit           *ratelimit.Keyed // per API token: GET /api/v1/check
	errs                 errorSampler     // events of forged and unsigned links (errorlog.go)
	base                 []route          // under basePath (routes)
	root                 []route          // at the root
	reports              *reportSink      // the report webhook (reports.go)
	stop                 context.CancelFunc
	bg                   sync.WaitGroup // the override watcher and the herd's renders
	closing              atomic.Bool    // Shutdown was called
}

// New checks the configuration (every problem at once) and starts the
// background work (override refresh).
func New(cfg Config) (*Server, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("clickproxy: invalid configuration:\n%w", err)
	}
	bu, err := url.Parse(cfg.Codec.Base())
	if err != nil {
		return nil, err
	}
	m := newMetrics(cfg.Registerer)
	st, err := newStore(cfg.Redis, cfg.CacheSize, cfg.TTLs, cfg.Now, cfg.Rand)
	if err != nil {
		return nil, err
	}
	pend, _ := lru.New[string, *pendingClick](100_000)
	s := &Server{
		cfg:            cfg,
		log:            cfg.Log,
		basePath:       strings.TrimSuffix(bu.Path, "/"),
		origin:         bu.Scheme + "://" + bu.Host,
		store:          st,
		ov:             newOverrides(cfg.Redis, cfg.Log, cfg.Now),
		audit:          audit.New(cfg.Redis, cfg.Now),
		access:         access.NewStore(cfg.Redis, cfg.Now),
		loginLimit:     ratelimit.New(ratelimit.Config{Rate: cfg.LoginLimit.Rate, Burst: cfg.LoginLimit.Burst}),
		loginKeyLimit:  ratelimit.NewKeyed(ratelimit.Config{Rate: cfg.LoginLimit.Rate, Burst: cfg.LoginLimit.Burst}),
		principalLimit: ratelimit.NewKeyed(ratelimit.Config{Rate: cfg.PrincipalLimit.Rate, Burst: cfg.PrincipalLimit.Burst}),
		m:              m,
		ua:             newMemo[uaInfo](uaMemoMax),
		dests:          newMemo[destKey](destMemoMax),
		proceed:        proceedSigner{key: cfg.Keyring.Derive("proceed v1"), ttl: cfg.ProceedTTL},
		shotKey:        cfg.Keyring.Derive("screenshot v1"),
		clickKey:       cfg.Keyring.Derive("click follow-up v1"),
		pending:        pend,
		clickLimit:     ratelimit.New(ratelimit.Config{Rate: cfg.ClickLimit.Rate, Burst: cfg.ClickLimit.Burst}),
		apiLimit:       ratelimit.New(ratelimit.Config{Rate: cfg.APILimit.Rate, Burst: cfg.APILimit.Burst}),
		checkLimit:     ratelimit.NewKeyed(ratelimit.Config{Rate: cfg.CheckLimit.Rate, Burst: cfg.CheckLimit.Burst}),
	}
	s.herd = newHerd(cfg.Redis, st, cfg.Scanner, cfg.RenderTimeout, cfg.Now, cfg.Log, m, &s.bg)
	s.herd.onRender = s.recordRender
	s.reports = newReportSink(cfg.Reports, cfg.Log, m)
	for _, t := range cfg.APITokens {
		s.apiKeys = append(s.apiKeys, sha256.Sum256([]byte(t)))
	}
	s.base, s.root = s.routes()
	for _, r := range append(s.base[:len(s.base):len(s.base)], s.root...) {
		if r.perm == "" {
			return nil, fmt.Errorf("clickproxy: route %s has no permission (routes.go)", r.path)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if err := s.ov.load(ctx); err != nil {
		s.log.Warn("overrides not loaded yet (Redis unavailable); retrying in the background", zap.Error(err))
	}
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		s.ov.watch(ctx, 5*time.Second)
	}()
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.flushErrors(false)
			case <-ctx.Done():
				s.flushErrors(true)
				return
			}
		}
	}()
	// The SOC's background work (soc.go, reports.go).
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		s.watchVerdicts(ctx)
	}()
	go func() {
		defer s.bg.Done()
		s.migrateReports(ctx)
		s.reports.run(ctx)
	}()
	if cfg.Recheck.Every > 0 {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.recheckLoop(ctx)
		}()
	}
	return s, nil
}

// Close stops the background work and waits for it, renders in progress
// included (each is bounded by Config.RenderTimeout). Stop serving
// Handler first.
func (s *Server) Close() { s.Shutdown(context.Background()) }

// Shutdown stops the background work and waits for it until ctx is done,
// so that `kensa serve` stops within serve.shutdown_timeout; what is still
// running then (a render, a webhook) is abandoned with the process. Only
// the first call waits: later calls (a deferred Close) return at once.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.closing.Swap(true) {
		return nil
	}
	s.stop()
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("clickproxy: background work still running at shutdown: %w", ctx.Err())
	}
}

// Handler is the fasthttp handler of every route (routes.go): clicks,
// the pages' follow-ups, health, metrics and the API.
func (s *Server) Handler() fasthttp.RequestHandler {
	return s.serve
}

// newClickID is 16 hex digits from crypto/rand: unique enough to quote to
// the SOC and unguessable, so it can name a pending click.
func newClickID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) clientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	if s.cfg.TrustProxyHeaders {
		// The last entry is the one our own reverse proxy added; earlier
		// ones are whatever the client sent.
		if xff := string(ctx.Request.Header.Peek("X-Forwarded-For")); xff != "" {
			last := xff[strings.LastIndexByte(xff, ',')+1:]
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return a
			}
		}
	}
	a, _ := netip.AddrFromSlice(ctx.RemoteIP())
	return a.Unmap()
}

// requestContext is a request's context for what the handler calls
// (Redis, the herd): done when the fasthttp server shuts down, and
// carrying no values.
//
// QUIRK: not the *fasthttp.RequestCtx itself, although it implements
// context.Context. Its Value reads the request, which fasthttp recycles
// when the handler returns, and package context calls Value from other
// goroutines (a WithTimeout child whose timer fires looks up its parent):
// the race detector caught that racing with the connection's next
// request. This one holds nothing of the request, so it may outlive it.
func requestContext(ctx *fasthttp.RequestCtx) context.Context {
	return reqContext{done: ctx.Done()}
}

type reqContext struct{ done <-chan struct{} }

func (reqContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c reqContext) Done() <-chan struct{}     { return c.done }
func (reqContext) Value(any) any               { return nil }
func (c reqContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}
