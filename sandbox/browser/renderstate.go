package browser

import (
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

const maxHops = 50 // Report.Chain

// renderState is what the tab's events tell about one render. The
// listeners run in chromedp's read loops; they only record and wake the
// render.
type renderState struct {
	start time.Time
	wake  chan struct{}

	mu    sync.Mutex
	main  cdp.FrameID
	s     stateSnapshot
	hosts map[string]bool
	docs  map[network.RequestID]bool // the main frame's document requests
	live  map[network.RequestID]bool // documents, scripts, XHR and fetches in flight
	mimes map[string]string          // response MIME type by URL
	mine  map[cdp.FrameID]bool       // this tab's frames
	dls   map[string]*download
	// the downloads by GUID, in the order they began
	dlOrder []string
	// the reason of the main frame's last requested navigation
	pendingReason page.ClientNavigationReason
}

type stateSnapshot struct {
	chain       []capture.Hop
	status      int
	certErr     string
	mainErr     string // the main frame's current document failed
	mainLoading bool
	committed   bool // the main frame has a document other than the first about:blank
	sawDCL      bool
	crashed     bool
	lastNav     time.Time
	lastNet     time.Time
	loadAt      time.Time
	inflight    int
	downloads   []download
	// budgetsExpired counts Emulation.virtualTimeBudgetExpired events
	// (runTimers).
	budgetsExpired int
}

func newRenderState(start time.Time) *renderState {
	return &renderState{
		start: start,
		wake:  make(chan struct{}, 1),
		s:     stateSnapshot{lastNav: start},
		hosts: map[string]bool{},
		docs:  map[network.RequestID]bool{},
		live:  map[network.RequestID]bool{},
		mimes: map[string]string{},
		mine:  map[cdp.FrameID]bool{},
		dls:   map[string]*download{},
	}
}

func (r *renderState) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *renderState) setMain(id cdp.FrameID) {
	r.mu.Lock()
	r.main = id
	r.mine[id] = true
	r.mu.Unlock()
}

func (r *renderState) mainFrame() cdp.FrameID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.main
}

func (r *renderState) requestedHosts() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]bool, len(r.hosts))
	for h := range r.hosts {
		m[h] = true
	}
	return m
}

func (r *renderState) snapshot() stateSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.chain = append([]capture.Hop(nil), r.s.chain...)
	s.inflight = len(r.live)
	for _, g := range r.dlOrder {
		s.downloads = append(s.downloads, *r.dls[g])
	}
	return s
}

func (r *renderState) navError(text, u string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isCertError(text) && r.s.certErr == "" {
		r.s.certErr = text + " (" + u + ")"
	}
	if text != "net::ERR_ABORTED" || len(r.dls) == 0 {
		if r.s.mainErr == "" {
			r.s.mainErr = text
		}
	}
}

// onEvent sees the tab's events. It records them and wakes the render.
func (r *renderState) onEvent(ev any) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notify()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.onRequest(e, now)
	case *network.EventResponseReceived:
		r.onResponse(e)
	case *network.EventLoadingFinished:
		r.endRequest(e.RequestID, now)
	case *network.EventLoadingFailed:
		r.endRequest(e.RequestID, now)
		if isCertError(e.ErrorText) && r.s.certErr == "" {
			r.s.certErr = e.ErrorText
		}
		// ERR_ABORTED: a navigation that another one replaced, or that
		// turned into a download.
		if r.docs[e.RequestID] && !e.Canceled && e.ErrorText != "net::ERR_ABORTED" {
			r.s.mainErr = e.ErrorText
		}
	case *page.EventFrameRequestedNavigation:
		if e.FrameID == r.main {
			r.pendingReason = e.Reason
			r.s.lastNav = now
		}
	case *page.EventFrameStartedLoading:
		if e.FrameID == r.main {
			r.s.mainLoading = true
			r.s.lastNav = now
		}
	case *page.EventFrameStoppedLoading:
		if e.FrameID == r.main {
			r.s.mainLoading = false
			r.s.lastNav = now
		}
	case *page.EventFrameAttached:
		r.mine[e.FrameID] = true
	case *page.EventFrameNavigated:
		r.onNavigated(e, now)
	case *page.EventDomContentEventFired:
		r.s.sawDCL = true
	case *page.EventLoadEventFired:
		r.s.loadAt = now
		r.s.lastNav = now
	case *inspector.EventTargetCrashed:
		r.s.crashed = true
	case *emulation.EventVirtualTimeBudgetExpired:
		r.s.budgetsExpired++
	}
}

// endRequest notes the end of a request. The end of a script, XHR or
// fetch counts as network activity like its start: the page's handler
// runs once the response is in, and what it does (a navigation, another
// request) comes after. r.mu is held.
func (r *renderState) endRequest(id network.RequestID, now time.Time) {
	if r.live[id] {
		delete(r.live, id)
		r.s.lastNet = now
	}
}

// onRequest records a request's host, counts scripts, XHR and fetches in
// flight, and adds a hop for each document request of the main frame.
// r.mu is held.
func (r *renderState) onRequest(e *network.EventRequestWillBeSent, now time.Time) {
	if e.Request == nil {
		return
	}
	if pu, err := url.Parse(e.Request.URL); err == nil && pu.Host != "" {
		r.hosts[normHostPort(pu.Host, pu.Scheme)] = true
	}
	// Scripts, XHR and fetches can still navigate the page. (Iframe
	// documents are left out: a cross-site iframe finishes in its own
	// process, whose events this tab does not get.)
	switch e.Type {
	case network.ResourceTypeScript, network.ResourceTypeXHR, network.ResourceTypeFetch:
		r.live[e.RequestID] = true
		r.s.lastNet = now
	}
	if e.Type != network.ResourceTypeDocument || e.FrameID != r.main || r.main == "" {
		return
	}
	r.docs[e.RequestID] = true
	r.s.lastNav = now
	r.s.mainErr = ""
	hop := capture.Hop{URL: e.Request.URL}
	hop.Kind, hop.Status = r.hopKind(e)
	r.pendingReason = ""
	if len(r.s.chain) < maxHops {
		r.s.chain = append(r.s.chain, hop)
	}
}

// hopKind says how the main frame got to the document request e (see
// "What a hop means" in the package doc), with the redirect's status for
// an HTTP redirect. r.mu is held.
func (r *renderState) hopKind(e *network.EventRequestWillBeSent) (kind string, status int) {
	switch {
	case e.RedirectResponse != nil:
		kind, status = "http-redirect", int(e.RedirectResponse.Status)
		// Chromium's own upgrade of a preloaded-HSTS name to https is
		// a fake 307 (Non-Authoritative-Reason: HSTS); the site sent
		// no redirect, so the hop says so.
		for k := range e.RedirectResponse.Headers {
			if strings.EqualFold(k, "Non-Authoritative-Reason") {
				kind = "https-upgrade"
			}
		}
		return kind, status
	case len(r.s.chain) == 0:
		return "initial", 0
	}
	switch r.pendingReason {
	case page.ClientNavigationReasonMetaTagRefresh, page.ClientNavigationReasonHTTPHeaderRefresh:
		return "meta-refresh", 0
	case page.ClientNavigationReasonScriptInitiated:
		return "script", 0
	case "":
		if e.Initiator != nil && e.Initiator.Type == network.InitiatorTypeScript {
			return "script", 0
		}
	}
	return "other", 0
}

// onResponse records response MIME types (for downloads) and the main
// document's status. r.mu is held.
func (r *renderState) onResponse(e *network.EventResponseReceived) {
	if e.Response == nil {
		return
	}
	if len(r.mimes) >= 512 {
		clear(r.mimes)
	}
	r.mimes[e.Response.URL] = e.Response.MimeType
	// The browser target's downloadWillBegin can arrive before the
	// page target's response: fill in the download's type then.
	for _, d := range r.dls {
		if d.mime == "" && d.url == e.Response.URL {
			d.mime = e.Response.MimeType
		}
	}
	if e.Type == network.ResourceTypeDocument && e.FrameID == r.main && r.docs[e.RequestID] {
		r.s.status = int(e.Response.Status)
	}
}

// onNavigated notes this tab's frames and a committed main-frame
// document. r.mu is held.
func (r *renderState) onNavigated(e *page.EventFrameNavigated, now time.Time) {
	if e.Frame == nil {
		return
	}
	r.mine[e.Frame.ID] = true
	if e.Frame.ID == r.main && r.main != "" {
		r.s.sawDCL = false
		if e.Frame.URL != "about:blank" {
			r.s.committed = true
		}
		r.s.lastNav = now
	}
}

// lastHopURL is the URL of the last hop, or def.
func (s stateSnapshot) lastHopURL(def string) string {
	if n := len(s.chain); n > 0 {
		return s.chain[n-1].URL
	}
	return def
}
