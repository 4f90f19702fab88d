package pages

import (
	"os/exec"
	"strings"
	"testing"
)

// The pages are plain functions from a Page to HTML: the click proxy owns
// the server, the cache and the sandbox. The package must stay free of
// them, so that it renders the same in a test, in the preview server of
// scripts/screenshots and behind fasthttp.
func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/kensa-mail/kensa/clickproxy/pages",
		"github.com/kensa-mail/kensa/clickproxy/verdict",
		"github.com/kensa-mail/kensa/rewriter/textlink",
		"golang.org/x/net/",
		"golang.org/x/text/",
		"mvdan.cc/xurls/", // by textlink
	}
	for _, p := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if p == a || strings.HasSuffix(a, "/") && strings.HasPrefix(p, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("depends on %s", p)
		}
	}
}
