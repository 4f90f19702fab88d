package console

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// The console's pages are a pure function of a View: the click proxy owns
// the server, Redis and the access checks. Keep it free of them.
func TestDependencies(t *testing.T) {
	deptest.Allow(t, ".", false,
		deptest.Module+"/clickproxy/api",
		deptest.Module+"/clickproxy/pages",
		deptest.Module+"/clickproxy/verdict",
		deptest.Module+"/internal/domain",
		"golang.org/x/net/",
		"golang.org/x/text/",
	)
}
