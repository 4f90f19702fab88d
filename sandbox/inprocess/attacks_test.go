package inprocess

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
)

// attackHost imitates a brand's domain: a credential form there is
// malicious (rules.Lookalike), so a hidden form that the sandbox misses
// shows up as a weaker verdict than its plain twin.
const attackHost = "secure-amazon-co-jp.example.top"

// TestHiddenFormAttacks renders each page of testdata/attacks: NAME.html
// hides a credential form from a naive capture (closed shadow root,
// sandboxed srcdoc iframe, shown late, shown after a click, a text input
// masked with -webkit-text-security), NAME.plain.html shows the same form
// plainly. Each hidden version must get its plain twin's verdict, and
// that verdict must not be clean.
func TestHiddenFormAttacks(t *testing.T) {
	testenv.Require(t, testenv.Chromium)
	plains, err := filepath.Glob("testdata/attacks/*.plain.html")
	if err != nil || len(plains) == 0 {
		t.Fatalf("no attack pages: %v", err)
	}
	site, err := testsite.Start(http.FileServer(http.Dir("testdata/attacks")))
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	s, err := New(context.Background(), Config{
		Browser:      browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 2},
		TestMapHosts: site.Addr,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scan := func(t *testing.T, file string) sandbox.Result {
		t.Helper()
		res, err := s.Scan(context.Background(), sandbox.Request{URL: "http://" + attackHost + "/" + file, Language: "ja-JP"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A group, so that the parallel subtests end before the deferred
	// Close calls run.
	t.Run("pages", func(t *testing.T) {
		for _, p := range plains {
			attackCase(t, scan, p)
		}
	})
}

// attackCase renders one pair: plain is testdata/attacks/NAME.plain.html.
func attackCase(t *testing.T, scan func(*testing.T, string) sandbox.Result, plainFile string) {
	name := strings.TrimSuffix(filepath.Base(plainFile), ".plain.html")
	if _, err := os.Stat(filepath.Join("testdata/attacks", name+".html")); err != nil {
		t.Errorf("%s: no hidden version: %v", name, err)
		return
	}
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		plain := scan(t, name+".plain.html")
		if plain.Verdict.Level == verdict.Clean || plain.Verdict.Level == verdict.Unknown {
			t.Fatalf("plain version: %s %+v (err %q): the test host should block it", plain.Verdict.Level, plain.Verdict.Reasons, plain.Report.Err)
		}
		hidden := scan(t, name+".html")
		t.Logf("plain %s in %s, hidden %s in %s (clicked %q)", plain.Verdict.Level, plain.Report.Duration.Round(time.Millisecond),
			hidden.Verdict.Level, hidden.Report.Duration.Round(time.Millisecond), hidden.Report.Clicked)
		if len(hidden.Report.Screenshot) == 0 {
			t.Errorf("hidden version: no screenshot")
		}
		if hidden.Verdict.Level != plain.Verdict.Level {
			t.Errorf("hidden version: %s %+v, want %s like the plain version; forms %+v (err %q)",
				hidden.Verdict.Level, hidden.Verdict.Reasons, plain.Verdict.Level, hidden.Report.Forms, hidden.Report.Err)
		}
	})
}
