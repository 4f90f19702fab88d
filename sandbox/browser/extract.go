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

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/sandbox/capture"
)

// extractJS reads the page (title, visible text, forms, images, links,
// scripts, meta refresh) in an isolated world; see extraction.
//
//go:embed extract.js
var extractJS string

const maxTextBytes = 8 << 10 // Report.Text

// evalIsolated evaluates js in a fresh isolated world of the main frame
// (the page cannot see it or change the built-ins it uses) and returns the
// string it produced.
func (r *run) evalIsolated(ctx context.Context, js string) (string, error) {
	w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: r.st.mainFrame(), WorldName: "kensa",
	})
	if err != nil {
		return "", err
	}
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: js, ContextID: w.ExecutionContextID, ReturnByValue: new(true), Silent: new(true),
	})
	if err != nil {
		return "", err
	}
	if res.ExceptionDetails != nil {
		return "", fmt.Errorf("script: %s", res.ExceptionDetails.Text)
	}
	var s string
	if res.Result == nil || json.Unmarshal([]byte(res.Result.Value), &s) != nil {
		return "", errors.New("script returned no string")
	}
	return s, nil
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
}

func (r *run) extract(ctx context.Context) (*extraction, error) {
	s, err := r.evalIsolated(ctx, extractJS)
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
		if ex, err := r.extract(rctx); err != nil {
			r.fail(ctx, "reading the page", err)
		} else {
			rep.Title = ex.Title
			rep.Text = truncateUTF8(ex.Text, maxTextBytes)
			rep.Forms = ex.Forms
			rep.Images = ex.Images
			rep.Links = ex.Links
			rep.Scripts = capture.Scripts{Sources: ex.ScriptSrcs, Inline: ex.Inline}
			if ex.URL != "" && !strings.HasPrefix(ex.URL, "about:") && !strings.HasPrefix(ex.URL, "chrome-error:") {
				rep.FinalURL = ex.URL
			}
		}
	}
	if shot, err := r.screenshot(rctx); err == nil {
		rep.Screenshot = shot
	} else {
		r.b.log.Debug("no screenshot", zap.Uint64("render", r.id), zap.Error(err))
	}
}
