package linktoken

import (
	"testing"

	"github.com/kensa-mail/kensa/internal/deptest"
)

// The package is audited on its own and vendored into the extension's
// tooling, so it must not depend on anything outside the standard library,
// tests included (but for the dependency check itself).
func TestStandardLibraryOnly(t *testing.T) {
	deptest.Allow(t, ".", true, deptest.Module+"/internal/deptest")
}
