package browser

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
)

// tab is a fresh incognito browser context (Target.createBrowserContext,
// with the egress proxy as its proxy) and its one tab, attached. A tab
// serves one render at most and is closed with its browser context after
// it: no cookie, cache entry or storage of one render reaches another.
type tab struct {
	g      *generation
	ctx    context.Context // the tab's; its first Do ran, so it has a Target
	cancel func()          // closes the tab and disposes of its context; blocks a moment
	dlDir  string          // its downloads (lockDown); removed after the tab closed
	window cdpbrowser.WindowID
	bounds *cdpbrowser.Bounds // the window's when the tab opened
	// st receives the tab's events once a render took the tab; before
	// that (about:blank, idle) they are dropped.
	st atomic.Pointer[renderState]
}

// openTimeout bounds the opening of a spare tab.
const openTimeout = 10 * time.Second

// openTab opens a tab on g. bound ends the attempt (a render's deadline or
// the caller's cancellation, openTimeout for a spare); once open, the tab
// lives until its cancel, whatever happens to bound.
//
// The tab's first Do runs on the tab's own context, not on bound: chromedp
// binds the target's event loop to the context of the first Do.
func (b *Browser) openTab(bound context.Context, g *generation) (*tab, error) {
	t := &tab{g: g, dlDir: filepath.Join(g.dataDir, "downloads", strconv.FormatUint(b.tabSeq.Add(1), 10))}
	ctx, detach := chromedp.NewContext(g.ctx,
		chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			p.ProxyServer = b.proxy.Scheme + "://" + b.proxy.Host
			p.ProxyBypassList = "<-loopback>"
		}),
		chromedp.WithDetachOnCancel(),
		chromedp.WithListener(func(ev any) {
			if st := t.st.Load(); st != nil {
				st.onEvent(ev)
			}
		}),
	)
	// QUIRK: the tab is closed by disposing of its browser context,
	// which closes the tab with it. chromedp's own cancel would close the
	// target first and then poll Target.getTargets every 5 ms (up to
	// 500 ms) until it is gone, on the browser's UI thread that the next
	// render needs: most of the close's time (docs/BENCHMARKS.md).
	closeTab := func() {
		detach()
		c := chromedp.FromContext(ctx)
		if c == nil || c.BrowserContextID == "" || g.ctx.Err() != nil {
			return // none was made, or the browser is gone with it
		}
		dctx, cancel := context.WithTimeout(g.ctx, openTimeout)
		defer cancel()
		if _, err := chromedp.CallBrowser(dctx, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: c.BrowserContextID}); err != nil && g.ctx.Err() == nil {
			b.log.Warn("could not dispose of a browser context; it goes with the browser", zap.Int("generation", g.id), zap.Error(err))
		}
	}
	stop := context.AfterFunc(bound, detach)
	err := chromedp.Do(ctx)
	if err == nil {
		err = b.lockDown(ctx, t)
	}
	if !stop() && err == nil { // bound ended as the tab opened
		err = bound.Err()
	}
	if err != nil {
		closeTab()
		os.RemoveAll(t.dlDir)
		return nil, err
	}
	t.ctx, t.cancel = ctx, closeTab
	return t, nil
}

// takeTab returns a tab on g for a render: a spare when one is ready or
// being opened, else a new one (bound by ctx). Spares of another
// generation (recycled, or dead) are closed. Either way the spares are
// topped up again in the background.
//
// A spare being opened is waited for rather than a second tab opened
// beside it: opening a tab costs Chromium's UI thread and a new renderer
// process far more CPU than the rest of an empty page's render, so two
// at once on shared cores make both late (a render right behind another
// found the next spare half open: back to back, a render took 1.5 times
// the bare script's time; docs/BENCHMARKS.md).
func (b *Browser) takeTab(ctx context.Context, g *generation) (t *tab, spare bool, err error) {
	for {
		opening := b.opening.Load()
		if opening == nil {
			select {
			case t := <-b.spares:
				if b.usable(t, g) {
					return t, true, nil
				}
				continue
			default:
			}
			t, err := b.openTab(ctx, g)
			return t, false, err
		}
		select {
		case t := <-b.spares:
			if b.usable(t, g) {
				return t, true, nil
			}
		case <-*opening:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// usable reports whether the spare t can serve a render on g; one that
// cannot (another generation's, or dead) is discarded.
func (b *Browser) usable(t *tab, g *generation) bool {
	if t.g == g && t.ctx.Err() == nil {
		return true
	}
	b.discard(t)
	return false
}

// discard closes a tab that no render used, in the background.
func (b *Browser) discard(t *tab) {
	b.bg.Add(1)
	go func() { defer b.bg.Done(); t.cancel(); os.RemoveAll(t.dlDir) }()
}

func (b *Browser) kickSpares() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// keepSpares keeps Config.SpareTabs open tabs ready (one per render slot
// by default), so that a render does not wait for the creation of its
// browser context and tab (a third of an empty page's render before:
// docs/BENCHMARKS.md). It opens them one at a time on the current
// generation, when kicked: at the start, when a render's tab is closed,
// and when the last render setting up its tab has navigated. Opening a
// context and a tab keeps the browser's UI thread busy, and a render's
// commands wait behind it, so it opens them while no render runs, or,
// when none is left, while the renders wait on the network (mayOpenSpare).
// It returns when the browser closes, closing the spares it made.
func (b *Browser) keepSpares() {
	defer b.bg.Done()
	defer func() {
		for {
			select {
			case t := <-b.spares:
				b.discard(t)
			default:
				return
			}
		}
	}()
	for {
		select {
		case <-b.done:
			return
		case <-b.kick:
		}
		for len(b.spares) < cap(b.spares) && b.mayOpenSpare() {
			g := b.spareGeneration()
			if g == nil {
				break
			}
			ctx, cancel := context.WithTimeout(g.ctx, openTimeout)
			opened := make(chan struct{})
			b.opening.Store(&opened)
			t, err := b.openTab(ctx, g)
			cancel()
			if err != nil {
				b.opening.Store(nil)
				close(opened)
				b.log.Debug("no spare tab", zap.Int("generation", g.id), zap.Error(err))
				break
			}
			select {
			case b.spares <- t:
				b.opening.Store(nil)
				close(opened)
			case <-b.done:
				b.opening.Store(nil)
				close(opened)
				b.discard(t)
				return
			}
		}
	}
}

// mayOpenSpare: no render holds a slot (idle: a render's or a close's),
// or no spare is left and no render is setting up its tab (the renders
// are loading their pages).
func (b *Browser) mayOpenSpare() bool {
	return len(b.sem) == 0 || (len(b.spares) == 0 && b.settingUp.Load() == 0)
}

// spareGeneration is the generation to open a spare on: the current one,
// once it started, while it is alive and not due for recycling; nil when
// there is none (a render starts the next one) or the browser closed.
func (b *Browser) spareGeneration() *generation {
	b.mu.Lock()
	g := b.cur
	b.mu.Unlock()
	if g == nil {
		return nil
	}
	select {
	case <-g.ready:
	case <-b.done:
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || g.retired || g.renders >= b.cfg.RecycleAfter || !g.alive() {
		return nil
	}
	return g
}
