package remote

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// The queue runs in click proxies that carry no browser: the worker side
// takes its scanner as an interface, and only cmd/kensa wires Chromium in.
func TestNoBrowser(t *testing.T) {
	deptest.Forbid(t, ".", "github.com/chromedp/", "github.com/valyala/fasthttp", deptest.Module+"/sandbox/browser", deptest.Module+"/sandbox/inprocess")
}
