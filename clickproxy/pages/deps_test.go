package pages

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// The pages are plain functions from a Page to HTML: the click proxy owns
// the server, the cache and the sandbox. The package must stay free of
// them, so that it renders the same in a test, in the preview server of
// scripts/screenshots and behind fasthttp.
func TestDependencies(t *testing.T) {
	deptest.Allow(t, ".", false,
		deptest.Module+"/clickproxy/verdict",
		deptest.Module+"/internal/domain",
		"golang.org/x/net/",
		"golang.org/x/text/",
	)
}
