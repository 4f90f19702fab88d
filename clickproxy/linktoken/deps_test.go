package linktoken

import (
	"os/exec"
	"strings"
	"testing"
)

// The package is audited on its own and vendored into the extension's
// tooling, so it must not depend on anything outside the standard library,
// tests included.
func TestStandardLibraryOnly(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const self = "github.com/kensa-mail/kensa/clickproxy/linktoken"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, _, _ := strings.Cut(line, " [") // "path [pkg.test]" for test variants
		switch p {
		case self, self + ".test", self + "_test":
			continue
		}
		t.Errorf("depends on %s, which is not in the standard library", p)
	}
}
