package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

// extractJS is a function that reads the page (title, visible text,
// forms, images, links, scripts, meta refresh) in an isolated world; see
// extraction and hiddenRoots.
//
//go:embed extract.js
var extractJS string

const maxTextBytes = 8 << 10 // Report.Text

// isolatedWorld makes a fresh isolated world in the main frame: the page
// cannot see it or change the built-ins it uses.
func (r *run) isolatedWorld(ctx context.Context) (runtime.ExecutionContextID, error) {
	return isolatedWorld(ctx, r.st.mainFrame())
}

// isolatedWorld makes a fresh isolated world in the frame (of ctx's
// target).
func isolatedWorld(ctx context.Context, frame cdp.FrameID) (runtime.ExecutionContextID, error) {
	w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: frame, WorldName: "kensa",
	})
	return w.ExecutionContextID, err
}

// evalIsolated evaluates js in a fresh isolated world of the main frame
// and returns the string it produced.
func (r *run) evalIsolated(ctx context.Context, js string) (string, error) {
	w, err := r.isolatedWorld(ctx)
	if err != nil {
		return "", err
	}
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: js, ContextID: w, ReturnByValue: new(true), Silent: new(true),
	})
	if err != nil {
		return "", err
	}
	return stringResult(res.Result, res.ExceptionDetails)
}

func stringResult(v *runtime.RemoteObject, exc *runtime.ExceptionDetails) (string, error) {
	if exc != nil {
		return "", fmt.Errorf("script: %s", exc.Text)
	}
	var s string
	if v == nil || json.Unmarshal([]byte(v.Value), &s) != nil {
		return "", errors.New("script returned no string")
	}
	return s, nil
}

// maxHiddenRoots bounds the roots hiddenRoots hands to the extraction.
const maxHiddenRoots = 64

// hiddenRoots finds, through the DevTools protocol, the parts of the page
// that page JavaScript cannot reach, and resolves them in the isolated
// world w: closed shadow roots (attachShadow({mode:'closed'}) leaves
// host.shadowRoot null) and the documents of frames that run in this
// process but have another origin (a sandboxed srcdoc iframe is opaque:
// its contentDocument is null for the parent). It returns them as pairs
// (owner, root) of call arguments for extractJS; nil when there is none.
//
// QUIRK: DOM.getDocument with pierce rather than an init script that
// forces attachShadow to open mode: the page can notice a forced mode
// (host.shadowRoot is no longer null; a patched attachShadow is not
// native code), and could then cloak; the protocol's view of the DOM is
// invisible to it and also covers frames. DOMSnapshot.captureSnapshot
// sees the same nodes but would mean re-implementing the extraction
// (labels, visibility, forms) in Go. Frames in another process (cross-site
// iframes, and sandboxed iframes: IsolateSandboxedIframes) are not in
// this target's DOM: see otherProcessFrames.
func hiddenRoots(ctx context.Context, w runtime.ExecutionContextID) []*runtime.CallArgument {
	doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{Depth: new(int64(-1)), Pierce: new(true)})
	// The DOM agent would otherwise report every later mutation.
	defer chromedp.Call(ctx, dom.Disable, cdp.Empty{})
	if err != nil || doc.Root == nil {
		return nil
	}
	type pair struct{ owner, root cdp.BackendNodeID }
	var pairs []pair
	var visit func(n *cdp.Node)
	visit = func(n *cdp.Node) {
		if len(pairs) >= maxHiddenRoots {
			return
		}
		for _, sr := range n.ShadowRoots {
			if sr.ShadowRootType == cdp.ShadowRootTypeClosed {
				pairs = append(pairs, pair{n.BackendNodeID, sr.BackendNodeID})
			}
			if sr.ShadowRootType != cdp.ShadowRootTypeUserAgent {
				visit(sr)
			}
		}
		if n.ContentDocument != nil {
			pairs = append(pairs, pair{n.BackendNodeID, n.ContentDocument.BackendNodeID})
			visit(n.ContentDocument)
		}
		for _, c := range n.Children {
			visit(c)
		}
	}
	visit(doc.Root)
	var args []*runtime.CallArgument
	for _, p := range pairs {
		var ids [2]runtime.RemoteObjectID
		for i, id := range []cdp.BackendNodeID{p.owner, p.root} {
			res, err := chromedp.Call(ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: id, ExecutionContextID: w, ObjectGroup: "kensa"})
			if err == nil && res.Object != nil {
				ids[i] = res.Object.ObjectID
			}
		}
		if ids[1] == "" {
			continue
		}
		owner := &runtime.CallArgument{ObjectID: ids[0]}
		if ids[0] == "" {
			owner = &runtime.CallArgument{} // undefined
		}
		args = append(args, owner, &runtime.CallArgument{ObjectID: ids[1]})
	}
	return args
}

type extraction struct {
	URL         string          `json:"url"`
	Title       string          `json:"title"`
	Text        string          `json:"text"`
	Forms       []capture.Form  `json:"forms"`
	Images      []capture.Image `json:"images"`
	Links       []capture.Link  `json:"links"`
	ScriptSrcs  []string        `json:"scriptSources"`
	Inline      string          `json:"inlineScripts"`
	MetaRefresh *float64        `json:"metaRefresh"`
	SiteName    string          `json:"siteName"`
	Icons       []string        `json:"icons"`
	Headings    []string        `json:"headings"`
	Copyright   string          `json:"copyright"`
}

// extract runs extractJS in the main frame, then in the frames of the
// page's own content that run in other processes (otherProcessFrames),
// and merges what they found.
func (r *run) extract(ctx context.Context) (*extraction, error) {
	ex, err := extractFrame(ctx, r.st.mainFrame())
	if err != nil {
		return nil, err
	}
	for _, fx := range r.otherProcessFrames(ctx, ex.URL) {
		ex.Forms = append(ex.Forms, fx.Forms...)
		if fx.Text != "" {
			ex.Text += "\n" + fx.Text
		}
		ex.Images = append(ex.Images, fx.Images...)
		ex.Links = append(ex.Links, fx.Links...)
		ex.Headings = append(ex.Headings, fx.Headings...)
	}
	return ex, nil
}

// maxOtherProcessFrames bounds the frames otherProcessFrames reads.
const maxOtherProcessFrames = 4

// otherProcessFrames reads the iframes of this tab that Chromium runs in
// another process although their content is the page's own: srcdoc,
// about:blank, data: and blob: documents, and documents of the page's own
// host. A sandboxed iframe is such a frame (its origin is opaque, and
// Chromium isolates it: IsolateSandboxedIframes), which is how a kit puts
// its form out of reach of the page's scripts and of a scanner that reads
// the page as JavaScript. Cross-site iframes (widgets, ads) stay unread.
// The fields of a frame whose element has no box in the page (display:
// none) are not visible.
func (r *run) otherProcessFrames(ctx context.Context, pageURL string) []*extraction {
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		return nil
	}
	pageHost, _ := hostOf(pageURL)
	var out []*extraction
	for _, info := range infos {
		if len(out) == maxOtherProcessFrames {
			break
		}
		if info.Type != "iframe" || info.BrowserContextID != r.bcID || !ownContent(info.URL, pageHost) {
			continue
		}
		visible := false
		if o, err := chromedp.Call(ctx, dom.GetFrameOwner, dom.GetFrameOwnerParams{FrameID: cdp.FrameID(info.TargetID)}); err == nil {
			if m, err := chromedp.Call(ctx, dom.GetBoxModel, dom.GetBoxModelParams{BackendNodeID: o.BackendNodeID}); err == nil && m.Model != nil {
				visible = m.Model.Width >= 2 && m.Model.Height >= 2
			}
		}
		fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		var ex *extraction
		if err = chromedp.Do(fctx); err == nil {
			ex, err = extractFrame(fctx, cdp.FrameID(info.TargetID))
		}
		cancel()
		if err != nil {
			r.b.log.Debug("frame not read", zap.Uint64("render", r.id), zap.String("frame", info.URL), zap.Error(err))
			continue
		}
		for i := range ex.Forms {
			for j := range ex.Forms[i].Inputs {
				ex.Forms[i].Inputs[j].Visible = ex.Forms[i].Inputs[j].Visible && visible
			}
		}
		if !visible {
			ex.Text = ""
		}
		out = append(out, ex)
	}
	chromedp.Call(ctx, dom.Disable, cdp.Empty{})
	return out
}

// ownContent: a frame URL whose document the page made itself or serves
// from its own host.
func ownContent(frameURL, pageHost string) bool {
	switch {
	case strings.HasPrefix(frameURL, "about:"), strings.HasPrefix(frameURL, "data:"), strings.HasPrefix(frameURL, "blob:"):
		return true
	}
	h, _ := hostOf(frameURL)
	return h != "" && strings.EqualFold(h, pageHost)
}

// extractFrame runs extractJS in a fresh isolated world of the frame (of
// ctx's target), with the roots hiddenRoots finds.
func extractFrame(ctx context.Context, frame cdp.FrameID) (*extraction, error) {
	w, err := isolatedWorld(ctx, frame)
	if err != nil {
		return nil, err
	}
	res, err := chromedp.Call(ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: extractJS, ExecutionContextID: w, Arguments: hiddenRoots(ctx, w),
		ReturnByValue: new(true), Silent: new(true),
	})
	chromedp.Call(ctx, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: "kensa"})
	if err != nil {
		return nil, err
	}
	s, err := stringResult(res.Result, res.ExceptionDetails)
	if err != nil {
		return nil, err
	}
	var ex extraction
	if err := json.Unmarshal([]byte(s), &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}

// metaRefreshDelay reports the delay of a <meta http-equiv=refresh> in the
// current document.
func (r *run) metaRefreshDelay(ctx context.Context) (time.Duration, bool) {
	s, err := r.evalIsolated(ctx, `(() => { const m = document.querySelector('meta[http-equiv="refresh" i]'); if (!m) return ''; const x = /^\s*(\d+(?:\.\d*)?)/.exec(m.getAttribute('content') || ''); return x ? x[1] : ''; })()`)
	if err != nil || s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// screenshot is a JPEG of the viewport, at one image pixel per CSS pixel.
func (r *run) screenshot(ctx context.Context) ([]byte, error) {
	p := page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatJpeg, Quality: new(int64(70)), OptimizeForSpeed: new(true),
	}
	if r.dev.dpr != 1 {
		p.Clip = &page.Viewport{Width: float64(r.dev.width), Height: float64(r.dev.height), Scale: 1 / r.dev.dpr}
	}
	res, err := chromedp.Call(ctx, page.CaptureScreenshot, p)
	return res.Data, err
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// capture reads what the page shows into the report: the extraction (when
// the final document did not fail) and the screenshot. A failed read sets
// Report.Err through fail (ctx is the caller's).
func (r *run) capture(ctx, rctx context.Context, s stateSnapshot) {
	rep := r.rep
	if s.mainErr == "" {
		ex, err := r.extractSettled(rctx, s.lastNav)
		r.step("extract")
		if err == nil {
			ex, rep.Clicked = r.lookFurther(rctx, ex)
			r.step("look-further")
			// The timers or the click may have navigated, or started a
			// download.
			s2 := r.st.snapshot()
			rep.Chain, rep.Status = s2.chain, s2.status
			r.lateDownloads(rctx, len(s.downloads))
		}
		if err != nil {
			r.fail(ctx, "reading the page", err)
		} else {
			rep.Title = ex.Title
			rep.Text = truncateUTF8(ex.Text, maxTextBytes)
			rep.Forms = ex.Forms
			rep.Images = ex.Images
			rep.Links = ex.Links
			rep.Scripts = capture.Scripts{Sources: ex.ScriptSrcs, Inline: ex.Inline}
			rep.SiteName, rep.Icons, rep.Headings, rep.Copyright = ex.SiteName, ex.Icons, ex.Headings, ex.Copyright
			if ex.URL != "" && !strings.HasPrefix(ex.URL, "about:") && !strings.HasPrefix(ex.URL, "chrome-error:") {
				rep.FinalURL = ex.URL
			}
		}
	}
	shot, err := r.screenshot(rctx)
	r.step("screenshot")
	if err == nil {
		rep.Screenshot = shot
	} else {
		r.b.log.Debug("no screenshot", zap.Uint64("render", r.id), zap.Error(err))
	}
	// A download that began while the page was read is still recorded.
	r.lateDownloads(rctx, len(rep.Downloads))
}

// extractSettled runs the extraction. When it fails because the page
// navigated under it (a script redirect just after the quiet window:
// its isolated world is gone), it waits for the new page to settle and
// reads again, twice at most, within the deadline less captureReserve.
// lastNav is the state's lastNav when the page was last seen settled.
func (r *run) extractSettled(rctx context.Context, lastNav time.Time) (*extraction, error) {
	for try := 0; ; try++ {
		ex, err := r.extract(rctx)
		if err == nil || try == 2 || rctx.Err() != nil {
			return ex, err
		}
		s := r.st.snapshot()
		if !s.lastNav.After(lastNav) && !s.mainLoading {
			return ex, err // not a navigation
		}
		sctx, cancel := context.WithDeadline(rctx, r.deadline.Add(-captureReserve))
		r.settle(sctx)
		cancel()
		lastNav = r.st.snapshot().lastNav
		r.b.log.Debug("the page navigated while it was read; reading again", zap.Uint64("render", r.id), zap.Error(err))
	}
}

// lateDownloads puts in the report the downloads of the render when more
// began than the report lists (had), reading their first bytes. It first
// lets them finish or pass the cap, while the deadline allows (less half
// of captureReserve): a download a script started late may not have
// written a byte yet.
func (r *run) lateDownloads(ctx context.Context, had int) {
	if len(r.st.snapshot().downloads) <= had {
		return
	}
	wctx, cancel := context.WithDeadline(ctx, r.deadline.Add(-captureReserve/2))
	r.waitState(wctx, func(s stateSnapshot) bool { return !s.downloadsBusy(r.b.cfg.DownloadMaxBytes) })
	cancel()
	r.finishDownloads(ctx)
	r.rep.Downloads = r.st.snapshot().downloadList()
}
