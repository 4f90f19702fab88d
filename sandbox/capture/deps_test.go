package capture

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// A contract shared by the click proxy, the sandbox, remote workers, the SOC
// console and the extension: standard library only (and Kensa's other leaf
// contracts), so that each side can read it without the other's libraries.
func TestLeaf(t *testing.T) {
	deptest.Allow(t, ".", false)
}
