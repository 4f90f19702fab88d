package clickproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/sandbox"
)

// e2eDir is the console's browser test (playwright-core).
const e2eDir = "console/e2e"

// e2eInstalled checks that the browser test's node_modules is what its
// package-lock.json says: scripts/setup.sh runs npm ci and writes the
// lock file's SHA-256 into node_modules/.kensa-lock-sha256. Tests never
// install anything: without it they skip, or fail under KENSA_REQUIRE.
func e2eInstalled(t *testing.T) {
	t.Helper()
	testenv.Require(t, testenv.Redis, testenv.Chromium, testenv.Node)
	lock, err := os.ReadFile(filepath.Join(e2eDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	if got, err := os.ReadFile(filepath.Join(e2eDir, "node_modules", ".kensa-lock-sha256")); err != nil || strings.TrimSpace(string(got)) != hex.EncodeToString(sum[:]) {
		testenv.Missing(t, testenv.Node, errors.New(e2eDir+"/node_modules is not installed from package-lock.json: run scripts/setup.sh"))
	}
}

// jpegScanner is the fake scanner with a real JPEG for a screenshot, so
// the browser can show it.
type jpegScanner struct{ *fakeScanner }

func (j jpegScanner) Scan(ctx context.Context, r sandbox.Request) (sandbox.Result, error) {
	res, err := j.fakeScanner.Scan(ctx, r)
	if err == nil && res.Report != nil && len(res.Report.Screenshot) > 0 {
		res.Report.Screenshot = fakePage()
	}
	return res, err
}

// fakePage draws a login form's silhouette: a header bar, two fields, a
// button.
func fakePage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 400))
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	fill(0, 0, 640, 400, color.RGBA{245, 245, 245, 255})
	fill(0, 0, 640, 56, color.RGBA{191, 0, 0, 255})
	fill(170, 120, 470, 150, color.RGBA{255, 255, 255, 255})
	fill(170, 170, 470, 200, color.RGBA{255, 255, 255, 255})
	fill(170, 230, 470, 266, color.RGBA{191, 0, 0, 255})
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}

// TestConsoleBrowser drives Debian's Chromium through the console
// (console/e2e/console.mjs) against this click proxy with real Redis: an
// admin signs in (in English and in Japanese), searches clicks, opens a
// URL's page with its screenshot, adds an override with a reason and an
// expiry, reviews a user's report, creates a token shown once, and signs
// out; a viewer cannot override. Set KENSA_CONSOLE_SHOTS to a folder to
// keep screenshots of every page (docs/screenshots).
func TestConsoleBrowser(t *testing.T) {
	e2eInstalled(t)
	e := newEnvWith(t, Policy{}, jpegScanner{newFakeScanner()})
	// Plain http on loopback: the session cookie without Secure.
	base, codec, srv := e.start(func(c *Config) { c.InsecureCookies = true })
	link, err := codec.Link(linktoken.Context{Issued: time.Now().Add(-time.Hour), Recipient: "taro@example.co.jp", MessageDigest: linktoken.MessageDigest("<m1@example.co.jp>")}, "https://"+fakePhish+"/login")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const adminPass, viewerPass = "console e2e admin password", "console e2e viewer password"
	if _, err := srv.access.CreateUser(ctx, "soc-admin@example.co.jp", api.RoleAdmin, adminPass); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.access.CreateUser(ctx, "soc-viewer@example.co.jp", api.RoleViewer, viewerPass); err != nil {
		t.Fatal(err)
	}
	// Clicks: clean, blocked (with a screenshot), warned; and a user's
	// report from the warning page, for each language's review.
	for _, d := range []string{"https://" + fakeClean + "/sale", "https://" + fakeClean + "/news", "https://" + fakePhish + "/login"} {
		e.get(e.link(d))
	}
	for i := range 2 {
		w := e.get(e.link("https://" + fakeWarn + "/account-" + string(rune('a'+i))))
		m := reReport.FindStringSubmatch(w.body)
		if w.action != "warn" || m == nil {
			t.Fatalf("warning page %s without a report form", w.action)
		}
		if a := e.do("POST", e.base+html.UnescapeString(m[1]), ""); a.status != 200 {
			t.Fatalf("report: %d", a.status)
		}
	}
	waitWritten(t, e.events)
	// The shop turns out to be part of a campaign: its clean clicks become
	// retro-hunt hits on the home page.
	if code, body := e.api("POST", api.PathOverrides, `{"list":"block","kind":"host","value":"`+fakeClean+`","note":"campaign found later"}`, apiToken); code != 201 {
		t.Fatalf("override: %d %s", code, body)
	}

	cmd := exec.Command("node", "console.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(),
		"KENSA_BASE="+base,
		"KENSA_ADMIN=soc-admin@example.co.jp:"+adminPass,
		"KENSA_VIEWER=soc-viewer@example.co.jp:"+viewerPass,
		"KENSA_HOST="+fakePhish,
		"KENSA_RETRO="+fakeClean,
		"KENSA_LINK="+link,
		"KENSA_OVERRIDE=phish-campaign.example",
		"KENSA_SHOTS="+os.Getenv("KENSA_CONSOLE_SHOTS"),
	)
	if p, err := testenv.ChromiumPath(); err == nil {
		cmd.Env = append(cmd.Env, "CHROMIUM="+p)
	}
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
	}
	t.Logf("node console.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}

	// What the browser did is on the server: overrides by the admin, two
	// reviews, and the audit log of it all, sign-ins included.
	var byAdmin int
	for _, o := range srv.ov.list() {
		if o.By == "user:soc-admin@example.co.jp" && strings.HasSuffix(o.Value, ".phish-campaign.example") && !o.Expires.IsZero() {
			byAdmin++
		}
		if strings.HasPrefix(o.Value, "viewer-") {
			t.Errorf("the viewer's override was saved: %+v", o)
		}
	}
	if byAdmin != 2 {
		t.Errorf("%d overrides by the admin with an expiry, want 2: %+v", byAdmin, srv.ov.list())
	}
	es, _, err := srv.audit.List(ctx, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range es {
		count[a.Action+"/"+a.Outcome]++
		if a.Action != api.AuditLogin && a.Actor != "user:soc-admin@example.co.jp" && a.Target != "block|host|"+fakeClean {
			t.Errorf("audit entry by %s: %+v", a.Actor, a)
		}
	}
	for k, n := range map[string]int{
		"login/success": 3, "login/failure": 2, "logout/success": 2, "override.add/success": 3,
		"report.review/success": 2, "token.create/success": 2,
	} {
		if count[k] != n {
			t.Errorf("audit %s: %d, want %d (all: %v)", k, count[k], n, count)
		}
	}
}
