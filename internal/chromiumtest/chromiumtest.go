// Package chromiumtest is the one place tests ask whether Debian's
// Chromium is installed: they skip without it, unless
// KENSA_REQUIRE_CHROMIUM is set (make test), when they fail, so that CI
// can never pass by skipping the browser.
package chromiumtest

import (
	"os"
	"os/exec"
	"testing"
)

// Need skips or fails t when chromium is not installed.
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err == nil {
		return
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return
	}
	if os.Getenv("KENSA_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium not installed (scripts/setup.sh installs it)")
	}
	t.Skip("chromium not installed")
}
