package deptest

import (
	"slices"
	"testing"
)

// The heavy libraries each have one owner in the module.
func TestOwners(t *testing.T) {
	owners := []struct {
		lib     string
		allowed []string
	}{
		{"github.com/chromedp/", []string{Module + "/sandbox/browser"}},
		{"github.com/d--j/go-milter", []string{Module + "/rewriter/milter"}},
		{"github.com/emersion/go-milter", []string{Module + "/rewriter/milter"}},
	}
	for _, o := range owners {
		who := Importers(t, Module+"/...", o.lib)
		if o.lib == "github.com/chromedp/" && len(who) == 0 {
			t.Fatal("nothing imports chromedp: the check is not looking")
		}
		for _, p := range who {
			if !slices.Contains(o.allowed, p) {
				t.Errorf("%s imports %s; only %v may", p, o.lib, o.allowed)
			}
		}
	}
}

// The click proxy talks to the sandbox through its Scanner interface: it
// never links the browser.
func TestClickProxyHasNoBrowser(t *testing.T) {
	Forbid(t, Module+"/clickproxy", "github.com/chromedp/", Module+"/sandbox/browser", Module+"/sandbox/inprocess")
}

// The render queue runs in click proxies, which carry no browser: its
// worker side takes the scanner as an interface, and only cmd/kensa wires
// Chromium (sandbox/inprocess) into kensa worker.
func TestRenderQueueHasNoBrowser(t *testing.T) {
	Forbid(t, Module+"/sandbox/remote", "github.com/chromedp/", Module+"/sandbox/browser", Module+"/sandbox/inprocess", "github.com/valyala/fasthttp")
}
