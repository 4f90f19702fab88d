package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

const (
	// maxNetWait bounds how long after the load event requests still in
	// flight (XHR, fetch, scripts) delay the capture.
	maxNetWait = 2 * time.Second
	// maxMetaWait is the longest meta refresh delay waited for.
	maxMetaWait = 5 * time.Second
)

// testHookNavigated, when set (by tests only), runs right after the
// navigation command returned.
var testHookNavigated func(ctx context.Context, url string)

// testHookStep, when set (by tests only), is called as each step of a
// render ends (BenchmarkRenderSteps), with the render's id, the step's name
// and the time; "close" comes from the goroutine that closes the tab,
// after Render returned.
// It is atomic because the close of an earlier render may still be
// running when a test sets it.
var testHookStep atomic.Pointer[func(id uint64, step string, at time.Time)]

// step reports the end of a step to testHookStep.
func (r *run) step(name string) {
	if h := testHookStep.Load(); h != nil {
		(*h)(r.id, name, time.Now())
	}
}

// ErrBrowserGone is Report.Err when Chromium died under a render (killed,
// out of memory): it says nothing about the page, and the next render
// runs on a new Chromium.
const ErrBrowserGone = "the browser crashed or was closed"

// Render renders rawURL as the clicker (User-Agent ua, language lang)
// would see it and reports what it saw. It never returns later than its
// deadline (RenderTimeout or ctx's, the earlier) plus the time to return;
// when the render fails, Report.Err says why.
func (b *Browser) Render(ctx context.Context, rawURL, ua, lang string) *capture.Report {
	start := time.Now()
	rep := &capture.Report{URL: rawURL, StartedAt: start}
	defer func() { rep.Duration = time.Since(start) }()

	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		rep.Err = "not an http or https URL"
		return rep
	}
	deadline := start.Add(b.cfg.RenderTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		rep.Err = "no free tab before the deadline: " + ctx.Err().Error()
		return rep
	}
	g, err := b.acquire(ctx)
	if err != nil {
		<-b.sem
		rep.Err = err.Error()
		return rep
	}
	if ua == "" {
		ua = g.ua
	}
	ua = engineUA(ua, g.engine)
	al, locale := acceptLanguage(lang)
	dev := deviceFor(ua)
	rep.UserAgent, rep.Language, rep.Mobile = ua, al, dev.mobile

	r := &run{
		b: b, g: g, rep: rep, dev: dev, locale: locale,
		deadline: deadline,
		st:       newRenderState(start),
		id:       b.renderSeq.Add(1),
	}
	b.addActive(r.st)
	r.step("acquire")
	cleanup := r.do(ctx)
	rep.Blocked = b.takeBlocks(r.st)
	if rep.Err == "" {
		final := normHostPort(hostOf(rep.FinalURL))
		for _, bl := range rep.Blocked {
			if bl.Host == final {
				rep.Err = "the egress proxy refused the final page's host " + bl.Host
				break
			}
		}
	}
	// Closing the tab and its browser context can take a moment; the
	// report is ready now. The render slot is held until the tab is gone:
	// the close is short (the browser context is disposed of, closing its
	// tab), and the next render's set-up would compete with it.
	go func() {
		defer b.bg.Done() // counted by acquire
		cleanup()
		r.step("close")
		os.RemoveAll(r.dlDir)
		b.release(g)
		<-b.sem
		b.kickSpares() // replace the spare this render took
	}()
	b.log.Debug("rendered", zap.Uint64("render", r.id), zap.String("url", rawURL), zap.String("final", rep.FinalURL),
		zap.Int("hops", len(rep.Chain)), zap.Bool("spare_tab", r.spare), zap.Duration("took", time.Since(start)), zap.String("err", rep.Err))
	return rep
}

func hostOf(raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", ""
	}
	return u.Host, u.Scheme
}

// run is one render.
type run struct {
	b        *Browser
	g        *generation
	rep      *capture.Report
	dev      viewport
	locale   string
	deadline time.Time
	st       *renderState
	id       uint64
	dlDir    string
	bcID     cdp.BrowserContextID
	tab      *tab
	spare    bool // the tab was opened ahead (keepSpares)
	setUp    bool // setUpDone was called
}

// do renders into r.rep and returns the clean-up (close the tab and its
// browser context), which may block for a moment.
func (r *run) do(ctx context.Context) (cleanup func()) {
	r.b.settingUp.Add(1)
	defer r.setUpDone() // if it failed before navigating
	t, spare, err := r.b.takeTab(ctx, r.g)
	if err != nil {
		r.fail(ctx, "opening a tab", err)
		return func() {}
	}
	t.st.Store(r.st)
	r.tab, r.spare, r.dlDir = t, spare, t.dlDir
	rctx, rcancel := context.WithDeadline(t.ctx, r.deadline)
	stop := context.AfterFunc(ctx, rcancel) // the caller gave up
	var wg sync.WaitGroup
	cleanup = func() { t.cancel() }
	defer func() {
		stop()
		rcancel()
		wg.Wait()
	}()

	if what, err := r.open(rctx, &wg); err != nil {
		r.fail(ctx, what, err)
		return cleanup
	}
	// The reserve keeps time for the capture after the navigation phase.
	reserve := min(1500*time.Millisecond, r.deadline.Sub(r.rep.StartedAt)/4)
	timedOut, err := r.navigate(rctx, r.deadline.Add(-reserve))
	if err != nil {
		r.fail(ctx, "navigating", err)
		return cleanup
	}
	r.finishDownloads(rctx)
	r.step("settle")

	s := r.st.snapshot()
	if !r.landed(ctx, s, timedOut) {
		return cleanup
	}
	r.capture(ctx, rctx, s)
	if r.rep.Err == "" {
		r.rep.Err = finalPageErr(s, timedOut, r.rep.StartedAt)
	}
	return cleanup
}

// setUpDone notes that the render has its tab set up and navigating (or
// failed before): spares may be opened again (keepSpares). Only the first
// call counts.
func (r *run) setUpDone() {
	if !r.setUp {
		r.setUp = true
		if r.b.settingUp.Add(-1) == 0 {
			r.b.kickSpares()
		}
	}
}

// fail sets Report.Err for a step (what) that failed with err, telling a
// dead browser, the deadline and the caller's cancellation apart.
func (r *run) fail(ctx context.Context, what string, err error) {
	rep := r.rep
	switch {
	case r.g.ctx.Err() != nil, browserGone(err):
		// The next render starts a new browser even if this one's exit
		// has not been noticed yet (acquire).
		r.g.gone.Store(true)
		rep.Err = ErrBrowserGone
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		rep.Err = fmt.Sprintf("timed out after %s (%s)", time.Since(rep.StartedAt).Round(time.Millisecond), what)
	case ctx.Err() != nil:
		rep.Err = "canceled (" + what + ")"
	default:
		rep.Err = what + ": " + err.Error()
	}
}

// open takes the render's tab (rctx's: a new incognito browser context
// and its tab, opened ahead as a spare or just now), starts dismissing
// dialogs (until rctx ends; wg waits for that) and sets the tab up. On
// failure, what names the step.
func (r *run) open(rctx context.Context, wg *sync.WaitGroup) (what string, err error) {
	r.step("context+tab")
	c := chromedp.FromContext(rctx)
	r.bcID = c.BrowserContextID
	r.st.setMain(cdp.FrameID(c.Target.TargetID))
	if err := chromedp.ListenBrowser(rctx, r.st.onBrowserEvent); err != nil {
		return "listening", err
	}
	// Dialogs block the page's scripts and our own reads: dismiss them.
	dialogs := chromedp.Events(rctx, page.JavascriptDialogOpening)
	wg.Go(func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			accept := ev.Type == page.DialogTypeAlert || ev.Type == page.DialogTypeBeforeunload
			chromedp.Call(rctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	})
	if err := r.setup(rctx); err != nil {
		return "setting up the tab", err
	}
	r.step("setup")
	return "", nil
}

// navigate GET-navigates to the URL, then waits for the page to settle
// until navDeadline. It reports whether the deadline came first; err is a
// navigation command that failed for another reason.
func (r *run) navigate(rctx context.Context, navDeadline time.Time) (timedOut bool, err error) {
	navCtx, navCancel := context.WithDeadline(rctx, navDeadline)
	defer navCancel()
	res, err := chromedp.Call(navCtx, page.Navigate, page.NavigateParams{URL: r.rep.URL})
	if err == nil && res.ErrorText != "" {
		r.st.navError(res.ErrorText, r.rep.URL)
	}
	timedOut = err != nil && navCtx.Err() != nil
	r.step("navigate")
	r.setUpDone()
	if err != nil && !timedOut {
		return false, err
	}
	if testHookNavigated != nil {
		testHookNavigated(rctx, r.rep.URL)
	}
	if timedOut {
		return true, nil
	}
	return r.settleRefreshes(navCtx, navDeadline), nil
}

// settleRefreshes waits for the page to settle, then for up to two meta
// refreshes with a delay, when they fit before navDeadline. It reports
// whether ctx (the navigation deadline) ended first.
func (r *run) settleRefreshes(ctx context.Context, navDeadline time.Time) (timedOut bool) {
	for round := 0; round < 3; round++ {
		timedOut = r.settle(ctx)
		if timedOut || r.st.snapshot().crashed {
			break
		}
		delay, ok := r.metaRefreshDelay(ctx)
		if !ok {
			break
		}
		// A meta refresh with a delay: wait for it if it fits.
		wait := time.Until(r.st.snapshot().loadAt.Add(delay + r.b.cfg.Settle))
		if delay > maxMetaWait || time.Now().Add(wait).After(navDeadline) {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return timedOut
}

// landed fills in the report from the tab's state s after the navigation
// phase and reports whether there is a page to capture; when there is
// not, Report.Err says why (unless a download or a certificate error is
// the finding).
func (r *run) landed(ctx context.Context, s stateSnapshot, timedOut bool) bool {
	rep := r.rep
	rep.Chain = s.chain
	rep.Status = s.status
	rep.CertError = s.certErr
	rep.Downloads = s.downloadList()
	rep.FinalURL = s.lastHopURL(rep.URL)

	switch {
	case s.crashed:
		rep.Err = "the page crashed"
		return false
	case r.g.ctx.Err() != nil:
		rep.Err = ErrBrowserGone
		return false
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		rep.Err = "canceled"
		return false
	}
	if s.committed {
		return true
	}
	if len(rep.Downloads) == 0 {
		switch {
		case s.mainErr != "" && !isCertError(s.mainErr):
			rep.Err = "the page failed to load: " + s.mainErr
		case s.mainErr != "":
			// The certificate error is the finding (Report.CertError).
		case timedOut:
			rep.Err = fmt.Sprintf("timed out after %s: the page did not load", time.Since(rep.StartedAt).Round(time.Millisecond))
		default:
			rep.Err = "the page did not load"
		}
	}
	return false
}

// finalPageErr is Report.Err for a page that was captured: the final
// document failed, or it had not parsed by the deadline; "" otherwise.
func finalPageErr(s stateSnapshot, timedOut bool, start time.Time) string {
	switch {
	case s.mainErr != "" && !isCertError(s.mainErr) && s.mainErr != "net::ERR_ABORTED":
		return "the final page failed to load: " + s.mainErr
	case timedOut && !s.sawDCL:
		return fmt.Sprintf("timed out after %s: the page did not finish loading", time.Since(start).Round(time.Millisecond))
	}
	return ""
}

// settle waits until the main frame has loaded and stayed quiet for
// Config.Settle, and the downloads are done or capped. It reports whether
// ctx (the navigation deadline) ended first.
func (r *run) settle(ctx context.Context) (timedOut bool) {
	quiet := r.b.cfg.Settle
	for {
		r.capDownloads(ctx)
		now := time.Now()
		s := r.st.snapshot()
		if s.crashed {
			return false
		}
		last := s.lastNav
		netCounts := s.loadAt.IsZero() || now.Sub(s.loadAt) < maxNetWait
		if netCounts && s.lastNet.After(last) {
			last = s.lastNet
		}
		busy := s.mainLoading || s.downloadsBusy(r.b.cfg.DownloadMaxBytes) || (netCounts && s.inflight > 0)
		idle := now.Sub(last)
		if !busy && idle >= quiet {
			return false
		}
		wait := 100 * time.Millisecond
		if !busy {
			wait = max(quiet-idle, 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-r.st.wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return true
		}
		t.Stop()
	}
}

func isCertError(s string) bool {
	return strings.HasPrefix(s, "net::ERR_CERT_") || s == "net::ERR_BAD_SSL_CLIENT_AUTH_CERT" || s == "net::ERR_SSL_PINNED_KEY_NOT_IN_CERT_CHAIN"
}

// browserGone recognises chromedp's errors for a browser that died before
// the generation's context noticed (the navigate call can return first).
func browserGone(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "browser process exited") || strings.Contains(m, "lost the connection to the browser")
}
