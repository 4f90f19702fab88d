package api

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// A contract shared by the click proxy, the SOC console and the extension:
// standard library only (and the verdict contract), so each side can read
// it without the others' libraries.
func TestLeaf(t *testing.T) {
	deptest.Allow(t, ".", false, deptest.Module+"/clickproxy/verdict")
}
