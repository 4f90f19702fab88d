package domain

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// A leaf: the rewriter, the click proxy and the sandbox all import it, so it
// imports none of them.
func TestLeaf(t *testing.T) {
	deptest.Allow(t, ".", false, "golang.org/x/net/idna", "golang.org/x/net/publicsuffix", "golang.org/x/text/")
}
