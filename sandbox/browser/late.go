package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

// ctaJS finds the page's single call to action to sign in; see cta.js.
//
//go:embed cta.js
var ctaJS string

const (
	// lateBudget is how far ahead of the clock the page's timers are run
	// when the page shows no credential field after it settled: a form
	// that a setTimeout shows up to this long after load is captured.
	lateBudget = 8 * time.Second
	// clickBudget is the same after the call to action was clicked.
	clickBudget = 3 * time.Second
	// timersRealCap bounds the real time that running the timers ahead
	// may take (a page that keeps its main thread busy).
	timersRealCap = 1500 * time.Millisecond
	// captureReserve is kept for the last extraction and the screenshot.
	captureReserve = 500 * time.Millisecond
)

// hasSecretField reports whether a visible field asks for a secret the
// way a password field does (type=password, or masked with dots). It is
// the cheap test for "the page already shows its form".
func hasSecretField(forms []capture.Form) bool {
	for _, f := range forms {
		for _, in := range f.Inputs {
			if in.Visible && (in.Type == "password" || in.Masked) {
				return true
			}
		}
	}
	return false
}

// lookFurther watches what the page does by itself after it settled, and
// looks further when it shows no secret field. Kits start their download
// or show their form late (a timer), or only after a click on "Sign in"
// or "Download", to get past scanners that capture at load. Within the
// render's deadline (less captureReserve), it
//
//  1. runs the page's timers ahead in virtual time (lateBudget) and waits
//     for the network requests and navigations that started to quiet
//     down (Config.Settle), whatever the page showed: a download or a
//     navigation a timer starts is recorded (the caller reads the chain
//     and the downloads again). A page that already showed a secret field
//     is reported as it was read first; otherwise it is read again;
//  2. if there is still no secret field and the page has started no
//     download, clicks the page's single obvious call to action (cta.js:
//     to sign in, else to download; a same-origin link or a script-only
//     button, never a form's submit button), runs the timers again
//     (clickBudget), waits for the page (or the page the link led to, or
//     the download) to settle, and reads it again.
//
// It returns the extraction to report (the first read that shows a secret
// field; else the page a sign-in click led to, when it navigated; else the
// read after the timers ran) and the text of what it clicked ("" for
// nothing).
//
// QUIRK: virtual time rather than a quiet period in real time: a form
// shown by a timer 3 s after load comes after 3 s of a perfectly quiet
// page, so a DOM-mutation quiet period catches it only by waiting longer
// than the timer on every page. Emulation.setVirtualTimePolicy (advance,
// with a budget) runs the pending timers at once, in order, with Date and
// performance.now moving with them (the page sees a consistent clock);
// when the budget is spent, virtual time stays paused. The real-time
// quiet period (Config.Settle without a new request or navigation) then
// covers what the timers fetched, and what they started is bounded by the
// deadline: this is a quiet period, not a fixed sleep.
func (r *run) lookFurther(ctx context.Context, ex *extraction) (*extraction, string) {
	end := r.deadline.Add(-captureReserve)
	if time.Until(end) < 300*time.Millisecond {
		return ex, ""
	}
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	t0 := time.Now()
	defer func() {
		r.b.log.Debug("looked further", zap.Uint64("render", r.id), zap.Duration("took", time.Since(t0)))
	}()
	first := ex
	r.runTimers(ctx, lateBudget)
	if hasSecretField(first.Forms) {
		return first, ""
	}
	if ex2, err := r.extract(ctx); err == nil {
		if hasSecretField(ex2.Forms) {
			return ex2, ""
		}
		ex = ex2
	} else {
		return first, ""
	}
	if time.Until(end) < 300*time.Millisecond || len(r.st.snapshot().downloads) > 0 {
		return ex, ""
	}
	what, kind, ok := r.clickCallToAction(ctx)
	if !ok {
		return ex, ""
	}
	r.runTimers(ctx, clickBudget)
	ex2, err := r.extract(ctx)
	if err != nil {
		return ex, what
	}
	// A sign-in click that led to another page reports that page; a
	// download click reports the page that offered the download (its
	// lure text), unless it led to a secret field.
	if hasSecretField(ex2.Forms) || (kind == "signin" && ex2.URL != ex.URL) {
		return ex2, what
	}
	return ex, what
}

// runTimers lets the page's timers run budget ahead of the clock (see
// lookFurther) and then waits until the page is quiet: no navigation in
// progress, no script, XHR or fetch in flight (for up to maxNetWait), and
// no request started or ended and no navigation for Config.Settle. It
// returns by ctx's deadline.
func (r *run) runTimers(ctx context.Context, budget time.Duration) {
	since := time.Now()
	before := r.st.snapshot().budgetsExpired
	ms := float64(budget.Milliseconds())
	if _, err := chromedp.Call(ctx, emulation.SetVirtualTimePolicy, emulation.SetVirtualTimePolicyParams{
		Policy: emulation.VirtualTimePolicyAdvance, Budget: &ms,
	}); err != nil {
		r.b.log.Debug("no virtual time", zap.Uint64("render", r.id), zap.Error(err))
		return
	}
	capped, cancel := context.WithTimeout(ctx, timersRealCap)
	r.waitState(capped, func(s stateSnapshot) bool { return s.budgetsExpired > before })
	cancel()
	quiet := r.b.cfg.Settle
	r.waitState(ctx, func(s stateSnapshot) bool {
		// As in settle: requests count for maxNetWait, so that a
		// long poll cannot hold the render.
		netCounts := time.Since(since) < maxNetWait
		last := s.lastNav
		if netCounts && s.lastNet.After(last) {
			last = s.lastNet
		}
		if !last.After(since) {
			return !s.mainLoading // nothing happened on the network
		}
		busy := s.mainLoading || (netCounts && s.inflight > 0)
		return !busy && time.Since(last) >= quiet
	})
}

// waitState waits until ok(state) or ctx ends.
func (r *run) waitState(ctx context.Context, ok func(stateSnapshot) bool) {
	for {
		if ok(r.st.snapshot()) {
			return
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-r.st.wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// clickCallToAction clicks the page's single obvious call to action to
// sign in or to download (cta.js) with a real mouse click (Input.dispatchMouseEvent: the
// page sees a trusted event, as from a person). It returns the element's
// text, its kind ("signin" or "download") and whether it clicked.
func (r *run) clickCallToAction(ctx context.Context) (text, kind string, ok bool) {
	s, err := r.evalIsolated(ctx, ctaJS)
	if err != nil || s == "" {
		return "", "", false
	}
	var at struct {
		X, Y       float64
		Text, Kind string
	}
	if json.Unmarshal([]byte(s), &at) != nil {
		return "", "", false
	}
	for _, p := range []input.DispatchMouseEventParams{
		{Type: input.DispatchMouseEventTypeMouseMoved, X: at.X, Y: at.Y},
		{Type: input.DispatchMouseEventTypeMousePressed, X: at.X, Y: at.Y, Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1},
		{Type: input.DispatchMouseEventTypeMouseReleased, X: at.X, Y: at.Y, Button: input.MouseButtonLeft, ClickCount: 1},
	} {
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, p); err != nil {
			return "", "", false
		}
	}
	r.b.log.Debug("clicked the call to action", zap.Uint64("render", r.id), zap.String("text", at.Text), zap.String("kind", at.Kind))
	return at.Text, at.Kind, true
}
