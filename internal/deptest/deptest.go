// Package deptest polices imports, as tailscale's tstest/deptest does: the
// leaf contracts (link token, verdict, scan request and captured page, API
// types, registrable domain) stay small enough to audit and to share with
// the extension and remote workers, and the heavy libraries (chromedp, the
// milter library) stay at the edge where one package owns each.
//
// One helper for every package's dependency test, so the rule reads the
// same everywhere.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// Module is Kensa's module path.
const Module = "github.com/kensa-mail/kensa"

// Deps lists the non-standard packages pkg depends on, transitively
// (go list -deps), without pkg itself. With tests, the test variants count.
func Deps(t testing.TB, pkg string, tests bool) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	args := []string{"list", "-deps"}
	if tests {
		args = append(args, "-test")
	}
	args = append(args, "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
	out, err := exec.Command(gobin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	self := resolve(t, gobin, pkg)
	var deps []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, _, _ := strings.Cut(line, " [") // "path [pkg.test]" for test variants
		switch p {
		case "", self, self + ".test", self + "_test":
			continue
		}
		if !seen[p] {
			seen[p] = true
			deps = append(deps, p)
		}
	}
	return deps
}

func resolve(t testing.TB, gobin, pkg string) string {
	out, err := exec.Command(gobin, "list", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.TrimSpace(string(out))
}

// Allow fails t for every dependency of pkg that is not allowed. An entry
// ending in "/" allows every package under it; any other entry allows that
// package exactly. An empty list means the standard library only.
func Allow(t testing.TB, pkg string, tests bool, allowed ...string) {
	t.Helper()
	for _, d := range Deps(t, pkg, tests) {
		if !matches(d, allowed) {
			t.Errorf("%s depends on %s, which it must not (allowed: standard library%s)", pkg, d, list(allowed))
		}
	}
}

// Forbid fails t if pkg depends, even indirectly, on any of the prefixes.
func Forbid(t testing.TB, pkg string, forbidden ...string) {
	t.Helper()
	for _, d := range Deps(t, pkg, false) {
		if matches(d, forbidden) {
			t.Errorf("%s depends on %s, which it must not", pkg, d)
		}
	}
}

// Importers returns, for the module's packages matched by pattern, which of
// them import (directly) a package under prefix.
func Importers(t testing.TB, pattern, prefix string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-test", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pattern).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var who []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		p, _, _ := strings.Cut(f[0], " [")
		p = strings.TrimSuffix(strings.TrimSuffix(p, ".test"), "_test")
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, prefix) && !seen[p] {
				seen[p] = true
				who = append(who, p)
			}
		}
	}
	return who
}

func matches(p string, list []string) bool {
	for _, a := range list {
		if p == a || strings.HasSuffix(a, "/") && strings.HasPrefix(p, a) {
			return true
		}
	}
	return false
}

func list(a []string) string {
	if len(a) == 0 {
		return " only"
	}
	return ", " + strings.Join(a, ", ")
}
