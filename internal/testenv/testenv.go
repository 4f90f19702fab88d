// Package testenv is the one place tests ask whether the real services they
// need are here: Debian's Chromium, redis-server, the private Postfix tree
// (scripts/postfix-root.sh) and the shared corpus (../shared/corpus, or
// KENSA_CORPUS).
//
// One rule for all of them: a test whose service is missing is skipped,
// unless KENSA_REQUIRE names that service (a comma-separated list, or
// "all"), when it fails. make test sets KENSA_REQUIRE=all, so CI can never
// pass by skipping; a developer's quick `go test ./...` without Postfix
// still runs everything else.
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// The services a test can require.
const (
	Chromium = "chromium"
	Redis    = "redis"
	Postfix  = "postfix"
	Corpus   = "corpus"
	// Node is Node.js with npm (the browser extension's build and tests).
	Node = "node"
)

// Require skips t (or fails it, see the package doc) unless every named
// service is available.
func Require(t testing.TB, services ...string) {
	t.Helper()
	for _, s := range services {
		if err := Available(s); err != nil {
			Missing(t, s, err)
		}
	}
}

// Missing applies the package's rule to a service found missing: skip, or
// fail when KENSA_REQUIRE names it.
func Missing(t testing.TB, service string, err error) {
	t.Helper()
	if Required(service) {
		t.Fatalf("%s: %v (KENSA_REQUIRE=%s; scripts/setup.sh installs it)", service, err, os.Getenv("KENSA_REQUIRE"))
	}
	t.Skipf("%s: %v", service, err)
}

// Required reports whether KENSA_REQUIRE names service (or "all").
func Required(service string) bool {
	for _, s := range strings.Split(os.Getenv("KENSA_REQUIRE"), ",") {
		if s = strings.TrimSpace(s); s == "all" || s == service {
			return true
		}
	}
	return false
}

// Available returns nil if the service can be used here, or an error that
// says what is missing.
func Available(service string) error {
	switch service {
	case Chromium:
		_, err := ChromiumPath()
		return err
	case Redis:
		_, err := RedisServerPath()
		return err
	case Postfix:
		_, err := PostfixRoot()
		return err
	case Corpus:
		_, err := corpusDir()
		return err
	case Node:
		for _, b := range []string{"node", "npm"} {
			if _, err := exec.LookPath(b); err != nil {
				return fmt.Errorf("%s not installed", b)
			}
		}
		return nil
	}
	return fmt.Errorf("testenv: unknown service %q", service)
}

// ChromiumPath finds Debian's chromium.
func ChromiumPath() (string, error) {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("chromium not installed")
}

// RedisServerPath finds redis-server.
func RedisServerPath() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server", nil
	}
	return "", errors.New("redis-server not installed")
}

// CorpusDir returns the shared corpus's sub-directory sub ("mail",
// "phish-mail", "pages"), requiring the corpus.
func CorpusDir(t testing.TB, sub string) string {
	t.Helper()
	dir, err := corpusDir()
	if err == nil {
		if _, err = os.Stat(filepath.Join(dir, sub)); err == nil {
			return filepath.Join(dir, sub)
		}
	}
	Missing(t, Corpus, err)
	return ""
}

// corpusDir is KENSA_CORPUS, or ../shared/corpus beside the repository.
func corpusDir() (string, error) {
	dir := os.Getenv("KENSA_CORPUS")
	if dir == "" {
		repo, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(repo, "..", "shared", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("corpus not found (set KENSA_CORPUS): %v", err)
	}
	return dir, nil
}

// RepoRoot walks up from the working directory (a package directory under
// go test) to the directory whose go.mod is Kensa's.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/kensa-mail/kensa\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: not inside the kensa module")
		}
		dir = parent
	}
}

// PostfixRoot returns the prepared Postfix + swaks tree (KENSA_RUN_DIR/pkgroot
// or .run/pkgroot), or an error that says what to do.
func PostfixRoot() (string, error) {
	var root string
	if d := os.Getenv("KENSA_RUN_DIR"); d != "" {
		root = filepath.Join(d, "pkgroot")
	} else {
		repo, err := RepoRoot()
		if err != nil {
			return "", fmt.Errorf("%v; set KENSA_RUN_DIR or run from the repo", err)
		}
		root = filepath.Join(repo, ".run", "pkgroot")
	}
	hint := "run scripts/postfix-root.sh (as root) to prepare it"
	if _, err := os.Stat(filepath.Join(root, ".kensa-ready")); err != nil {
		return "", fmt.Errorf("no prepared Postfix tree at %s: %s", root, hint)
	}
	for _, f := range []string{"usr/sbin/postfix", "usr/sbin/smtp-sink", "usr/lib/postfix/sbin/master", "usr/lib/postfix/sbin/smtpd", "usr/bin/swaks"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return "", fmt.Errorf("Postfix tree at %s is incomplete (%v): %s", root, err, hint)
		}
	}
	if _, err := exec.LookPath("perl"); err != nil {
		return "", fmt.Errorf("perl (for swaks) not found: %s", hint)
	}
	if os.Geteuid() != 0 {
		return "", errors.New("Postfix's master must be started as root; run the tests as root")
	}
	for _, u := range []string{"daemon", "nobody"} {
		if _, err := user.Lookup(u); err != nil {
			return "", fmt.Errorf("Postfix here runs as user %q, which is missing: %v", u, err)
		}
	}
	if _, err := user.LookupGroup("mail"); err != nil {
		return "", fmt.Errorf("group \"mail\" (setgid_group) is missing: %v", err)
	}
	return root, nil
}
