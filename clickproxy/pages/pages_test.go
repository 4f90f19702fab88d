package pages

import (
	"bytes"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const phishDest = "https://rakuten-card.account-check.top/login/index.php?session=8f3a2c91&ref=mail"

var phishReasons = []verdict.Reason{
	{
		Code: verdict.CodeCredentialForm, Level: verdict.Suspicious, Evidence: map[string]string{"field": "password"},
		JA: "ID とパスワード、カード番号を入力させるフォームがあります。",
		EN: "The page has a form that asks for your ID, password and card number.",
	},
	{
		Code: verdict.CodeBrandImpersonated, Level: verdict.Malicious, Evidence: map[string]string{"brand": "楽天"},
		JA: "楽天カードのロゴや見た目を使っていますが、楽天のドメインではありません。",
		EN: "The page uses the Rakuten Card logo and look, but it is not on a Rakuten domain.",
	},
	{Code: verdict.CodeCertificateError, Level: verdict.Clean, JA: "証明書に問題はありません。", EN: "The certificate is fine."},
}

var phishChain = []string{
	"https://click.rakuten-info-mail.com/r?id=8f3a2c91",
	"https://rakuten-card.account-check.top/redirect?to=login",
	phishDest,
}

// goldenPages are the pages of TestGolden, by file name.
func goldenPages() map[string]Page {
	pages := make(map[string]Page)
	for _, l := range []Lang{JA, EN} {
		s := string(l)
		pages["warn-"+s] = Page{
			Kind: KindWarn, Lang: l, ClickID: "k7q2m9xkd4ht", Dest: phishDest, Level: verdict.Suspicious,
			Reasons: phishReasons, Chain: phishChain, ShownDomain: "www.rakuten-card.co.jp",
			ScreenshotURL: "/shot/k7q2m9xkd4ht?s=abc", ProceedURL: "/go/k7q2m9xkd4ht?s=def", ReportURL: "/report",
		}
		pages["warn-unknown-"+s] = Page{
			Kind: KindWarn, Lang: l, ClickID: "k7q2m9xkd4hu", Dest: "https://files.example-share.net/d/7731", Level: verdict.Unknown,
			Reasons: []verdict.Reason{{Code: verdict.CodeRenderFailed, Level: verdict.Unknown,
				JA: "ページの読み込みが時間内に終わりませんでした。", EN: "The page did not finish loading in time."}},
			ProceedURL: "/go/k7q2m9xkd4hu?s=def", ReportURL: "/report",
		}
		pages["warn-idn-"+s] = Page{
			Kind: KindWarn, Lang: l, ClickID: "k7q2m9xkd4hv", Dest: "https://xn--pypal-4ve.com/login", Level: verdict.Suspicious,
			Reasons: []verdict.Reason{{Code: verdict.CodeLookalikeDomain, Level: verdict.Suspicious,
				JA: "paypal.com に似せたドメインです。", EN: "The domain imitates paypal.com."}},
			ShownDomain: "paypal.com",
		}
		pages["block-"+s] = Page{
			Kind: KindBlock, Lang: l, ClickID: "k7q2m9xkd4hw", Dest: phishDest, Level: verdict.Malicious,
			Reasons: phishReasons, Chain: phishChain, ShownDomain: "www.rakuten-card.co.jp",
			ScreenshotURL: "/shot/k7q2m9xkd4hw?s=abc", ReportURL: "/report",
			ProceedURL: "/go/k7q2m9xkd4hw?s=def", // never shown on a block page
		}
		pages["checking-"+s] = Page{
			Kind: KindChecking, Lang: l, ClickID: "k7q2m9xkd4hx", Dest: phishDest,
			RefreshURL: "/wait/k7q2m9xkd4hx?s=ghi&n=2", RefreshSeconds: 2,
		}
		pages["error-"+s] = Page{
			Kind: KindError, Lang: l, ClickID: "k7q2m9xkd4hy", ErrorKey: "bad-signature",
			Dest: "https://forged.example/", // never shown on an error page
		}
		pages["unchecked-"+s] = Page{
			Kind: KindUnchecked, Lang: l, ClickID: "k7q2m9xkd4hz",
			UncheckedText: "https://rakuten-card.account-check.top/login?id=8f3a2c91",
		}
	}
	pages["error-expired-en"] = Page{Kind: KindError, Lang: EN, ErrorKey: "expired"}
	pages["reported-ja"] = Page{Kind: KindReported, Lang: JA, Recorded: true}
	pages["reported-en"] = Page{Kind: KindReported, Lang: EN, Recorded: true}
	pages["report-failed-en"] = Page{Kind: KindReported, Lang: EN}
	pages["hostile-ja"] = hostilePage(KindWarn)
	return pages
}

// hostilePage puts attacker-controlled text everywhere.
func hostilePage(k Kind) Page {
	const x = `"><script>alert(1)</script><img src=x onerror=alert(1)>`
	return Page{
		Kind: k, Lang: JA, ClickID: `id"` + x, Level: verdict.Suspicious,
		Dest: `https://evil.example/` + x,
		Reasons: []verdict.Reason{
			{Code: "x", Level: verdict.Suspicious, JA: `<script>alert("ja")</script>`, EN: `<b onmouseover=alert(1)>en</b>`},
			{Code: "y", Level: verdict.Malicious, JA: `<a href="https://evil.example/">こちら</a>`},
		},
		Chain:         []string{"javascript:alert(1)", `https://evil.example/"onmouseover="alert(1)`, "data:text/html,<script>alert(1)</script>"},
		ShownDomain:   `<svg onload=alert(1)>`,
		ScreenshotURL: "javascript:alert(1)",
		ProceedURL:    "//evil.example/",
		ReportURL:     `/\evil.example/`,
		RefreshURL:    "https://evil.example/",
		ErrorKey:      x,
		UncheckedText: "<script>alert(1)</script> https://evil.example/",
	}
}

// TestGolden renders every page of goldenPages and compares it with
// testdata/NAME.golden.html (regenerate with -update), then checks the
// rules every page must follow.
func TestGolden(t *testing.T) {
	for name, p := range goldenPages() {
		t.Run(name, func(t *testing.T) {
			got := render(t, p)
			checkPage(t, p, got)
			file := filepath.Join("testdata", name+".golden.html")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering (run with -update and review the diff):\n%s", file, got)
			}
		})
	}
	if *update {
		return
	}
	// No stale golden files.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.golden.html"))
	pages := goldenPages()
	for _, f := range files {
		if _, ok := pages[strings.TrimSuffix(filepath.Base(f), ".golden.html")]; !ok {
			t.Errorf("%s has no page in goldenPages", f)
		}
	}
}

// TestEveryKind renders every kind in both languages, with and without the
// optional parts, and checks the rules every page must follow.
func TestEveryKind(t *testing.T) {
	for _, k := range []Kind{KindWarn, KindBlock, KindChecking, KindError, KindUnchecked, KindReported} {
		for _, l := range []Lang{JA, EN, "", "fr"} {
			for _, p := range []Page{
				{Kind: k, Lang: l},
				{Kind: k, Lang: l, ClickID: "c1", Dest: phishDest, Level: verdict.Suspicious, Reasons: phishReasons,
					Chain: phishChain, ShownDomain: "rakuten-card.co.jp", ScreenshotURL: "/s", ProceedURL: "/p",
					ReportURL: "/r", RefreshURL: "/w", RefreshSeconds: 3, ErrorKey: "expired", UncheckedText: phishDest},
				hostilePage(k),
			} {
				p.Lang = l
				out := render(t, p)
				checkPage(t, p, out)
				want := JA
				if l == EN {
					want = EN
				}
				if !bytes.Contains(out, []byte(`<html lang="`+string(want)+`">`)) {
					t.Errorf("%s/%q: no <html lang=%q>", k, l, want)
				}
			}
		}
	}
}

// TestRenderConcurrent renders from many goroutines, for the race detector:
// the template sets are shared.
func TestRenderConcurrent(t *testing.T) {
	pages := goldenPages()
	done := make(chan struct{})
	for name, p := range pages {
		go func() {
			defer func() { done <- struct{}{} }()
			want, err := os.ReadFile(filepath.Join("testdata", name+".golden.html"))
			if err != nil {
				t.Error(err)
				return
			}
			var b bytes.Buffer
			if err := Render(&b, p); err != nil {
				t.Error(err)
			} else if !bytes.Equal(b.Bytes(), want) && !*update {
				t.Errorf("%s: concurrent rendering differs", name)
			}
		}()
	}
	for range pages {
		<-done
	}
}

func TestRenderUnknownKind(t *testing.T) {
	var b bytes.Buffer
	err := Render(&b, Page{Kind: "nope"})
	if !errors.Is(err, errKind) {
		t.Errorf("Render of an unknown kind: %v, want errKind", err)
	}
	if b.Len() != 0 {
		t.Errorf("Render of an unknown kind wrote %q", b.String())
	}
}

// TestPageRules checks what each kind shows and never shows.
func TestPageRules(t *testing.T) {
	pages := goldenPages()
	has := func(name, s string) bool {
		t.Helper()
		return bytes.Contains(render(t, pages[name]), []byte(s))
	}
	check := func(name, s string, want bool) {
		t.Helper()
		if got := has(name, s); got != want {
			t.Errorf("%s: contains %q = %v, want %v", name, s, got, want)
		}
	}
	check("warn-ja", `href="/go/k7q2m9xkd4ht?s=def"`, true)
	check("block-ja", `/go/`, false) // no way on from a block page
	check("block-en", `/go/`, false)
	check("warn-idn-en", `<mark>p`+"\u0430"+`ypal.com</mark>`, true) // the Unicode form ...
	check("warn-idn-en", `<code>xn--pypal-4ve.com</code>`, true)     // ... and the ASCII form beside it
	check("warn-ja", `rakuten-card.<mark>account-check.top</mark>`, true)
	check("warn-ja", `www.<mark>rakuten-card.co.jp</mark>`, true) // the shown domain
	check("warn-ja", `証明書に問題はありません`, false)                       // clean reasons are skipped
	check("warn-en", `The page uses the Rakuten Card logo`, true)
	check("warn-en", `楽天カードのロゴ`, false)
	check("warn-ja", `<img src="/shot/k7q2m9xkd4ht?s=abc"`, true)
	check("warn-ja", `<input type="hidden" name="click_id" value="k7q2m9xkd4ht">`, true)
	check("warn-ja", `<form class="report" method="post" action="/report">`, true)
	check("checking-en", `<meta http-equiv="refresh" content="2;url=/wait/k7q2m9xkd4hx?s=ghi&amp;n=2">`, true)
	check("error-ja", "forged.example", false)
	check("error-en", "forged.example", false)
	check("error-en", "tampered", true)
	check("error-expired-en", "expired", true)
	check("unchecked-ja", "rakuten-card.account-check.top/login?id=8f3a2c91", true)
	check("unchecked-ja", "<a ", false)

	got := render(t, Page{Kind: KindWarn, Dest: "https://login.amazon.co.jp.account-verify.top/x"})
	if !bytes.Contains(got, []byte(`login.amazon.co.jp.<mark>account-verify.top</mark>`)) {
		t.Errorf("account-verify.top is not highlighted:\n%s", got)
	}
	// The shown domain is left out when it is the destination's own.
	got = render(t, Page{Kind: KindWarn, Dest: "https://www.example.co.jp/", ShownDomain: "example.co.jp"})
	if bytes.Contains(got, []byte(`class="mismatch"`)) {
		t.Errorf("mismatch shown for the same registrable domain")
	}
	// Unknown error keys fall back.
	for key, want := range map[string]string{"version": "error.malformed.title", "bad-destination": "error.malformed.title", "": "error.internal.title", "zzz": "error.internal.title"} {
		got := render(t, Page{Kind: KindError, Lang: EN, ErrorKey: key})
		if !bytes.Contains(got, []byte(messages[EN][want])) {
			t.Errorf("ErrorKey %q: want the message of %s", key, want)
		}
	}
	// RefreshSeconds is clamped.
	for secs, want := range map[int]string{0: `content="2;`, -5: `content="1;`, 7: `content="7;`, 3600: `content="60;`} {
		got := render(t, Page{Kind: KindChecking, RefreshURL: "/w", RefreshSeconds: secs})
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("RefreshSeconds %d: no %s", secs, want)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := make(map[string]string)
	for _, kv := range Headers() {
		h[kv[0]] = kv[1]
	}
	csp := h["Content-Security-Policy"]
	for _, want := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "script-src", "*", "data:", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q contains %q", csp, bad)
		}
	}
	for name, want := range map[string]string{
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Cache-Control":              "no-store",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if h[name] != want {
			t.Errorf("%s: %q, want %q", name, h[name], want)
		}
	}
	// Callers get their own copy.
	Headers()[0][1] = "changed"
	if Headers()[0][1] == "changed" {
		t.Error("Headers shares its slice")
	}
}

func TestCSS(t *testing.T) {
	if len(CSS) < 1000 || !bytes.Contains(CSS, []byte("@media")) {
		t.Errorf("CSS is %d bytes without @media", len(CSS))
	}
	// No resource from anywhere (the CSP allows none but the stylesheet's
	// own origin, and the pages want none).
	for _, bad := range []string{"url(", "@import", "http:", "https:", "expression("} {
		if bytes.Contains(CSS, []byte(bad)) {
			t.Errorf("CSS contains %q", bad)
		}
	}
}

// TestSameOriginPath reads testdata/unsafe-paths.txt, URLs that browsers
// open on another origin or that are not plain paths, and checks that each
// is rejected.
func TestSameOriginPath(t *testing.T) {
	for _, ok := range []string{"/", "/go/abc?s=x", "/shot/abc?s=a%2Fb", "/%2f%2fevil.example/", "/a//b", "/report#x"} {
		if SameOriginPath(ok) != ok {
			t.Errorf("SameOriginPath(%q) rejected a path", ok)
		}
	}
	data, err := os.ReadFile(filepath.Join("testdata", "unsafe-paths.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Lines are written with Go escapes (\t, \n, \x00, \\) so that
		// control characters are visible.
		u := unescapeLine(t, line)
		n++
		if got := SameOriginPath(u); got != "" {
			t.Errorf("SameOriginPath(%q) = %q, want rejection", u, got)
		}
		for _, field := range []string{"proceed", "report", "screenshot", "refresh"} {
			p := Page{Kind: KindWarn, Dest: phishDest}
			switch field {
			case "proceed":
				p.ProceedURL = u
			case "report":
				p.ReportURL = u
			case "screenshot":
				p.ScreenshotURL = u
			case "refresh":
				p.Kind, p.RefreshURL = KindChecking, u
			}
			checkPage(t, p, render(t, p))
		}
	}
	if n < 20 {
		t.Fatalf("only %d unsafe paths read", n)
	}
}

func unescapeLine(t *testing.T, line string) string {
	t.Helper()
	r := strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r", `\x00`, "\x00", `\x0b`, "\x0b", `\x0c`, "\x0c", `\x7f`, "\x7f", `\s`, " ")
	return r.Replace(line)
}

func render(t testing.TB, p Page) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, p); err != nil {
		t.Fatalf("Render(%s): %v", p.Kind, err)
	}
	return b.Bytes()
}

// checkPage checks the rules every rendered page must follow: it is a
// complete UTF-8 document with a lang; it has no script element, no event
// handler attribute and no inline style; every URL in it is a same-origin
// path, so the destination is never a link and nothing is loaded from
// elsewhere; the destination's host appears in no URL attribute (unless
// the caller put it in one of the page's own paths); and the page links the
// stylesheet.
func checkPage(t testing.TB, p Page, out []byte) {
	t.Helper()
	if !bytes.HasPrefix(out, []byte("<!DOCTYPE html>\n<html lang=\"")) || !bytes.HasSuffix(out, []byte("</html>\n")) {
		t.Errorf("%s: not a complete document:\n%s", p.Kind, out)
	}
	if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
		t.Errorf("%s: output contains <script:\n%s", p.Kind, out)
	}
	destHost := strings.ToLower(Describe(p.Dest).HostASCII)
	for _, u := range []string{p.ProceedURL, p.ScreenshotURL, p.ReportURL, p.RefreshURL} {
		if destHost != "" && strings.Contains(strings.ToLower(u), destHost) {
			destHost = "" // the caller put it there, in a same-origin path
		}
	}
	stylesheet := false
	z := html.NewTokenizer(bytes.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "base", "frame":
			t.Errorf("%s: <%s> element", p.Kind, tok.Data)
		case "a":
			if p.Kind == KindError || p.Kind == KindUnchecked || p.Kind == KindReported {
				t.Errorf("%s: a link: %v", p.Kind, tok)
			}
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcset" || key == "formaction" {
				t.Errorf("%s: attribute %s=%q", p.Kind, a.Key, a.Val)
			}
			val := a.Val
			switch key {
			case "content":
				if tok.Data != "meta" {
					break
				}
				if _, u, ok := strings.Cut(val, ";url="); ok {
					val = u
				} else {
					break
				}
				fallthrough
			case "href", "src", "action":
				if !isLocalPath(val) {
					t.Errorf("%s: <%s %s=%q> is not a same-origin path", p.Kind, tok.Data, a.Key, val)
				}
				if tok.Data == "link" && val == StylePath {
					stylesheet = true
				}
				if destHost != "" && strings.Contains(strings.ToLower(val), destHost) {
					t.Errorf("%s: the destination's host %q is in <%s %s=%q>", p.Kind, destHost, tok.Data, a.Key, a.Val)
				}
			}
		}
	}
	if !stylesheet {
		t.Errorf("%s: no <link> to %s", p.Kind, StylePath)
	}
}

// isLocalPath is the test's own idea of a same-origin path, written
// independently of SameOriginPath: it parses as a URL without scheme or
// host, and a browser would not read it as one with a host either.
func isLocalPath(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return false
	}
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	return !strings.ContainsAny(s, "\\\t\n\r ")
}

// FuzzRender renders pages whose untrusted fields are the fuzzer's and
// checks the rules of checkPage.
func FuzzRender(f *testing.F) {
	h := hostilePage(KindWarn)
	f.Add(string(KindWarn), h.Dest, h.Reasons[0].JA, h.Chain[1], h.ShownDomain, h.ProceedURL, h.UncheckedText)
	f.Add(string(KindBlock), phishDest, "理由", phishChain[0], "rakuten-card.co.jp", "/go", "")
	f.Add(string(KindChecking), "https://例え.jp/", "", "", "", "/wait", "")
	f.Add(string(KindUnchecked), "", "", "", "", "", "https://xn--pypal-4ve.com/")
	f.Add(string(KindError), "https://evil.example/", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, kind, dest, reason, chain, shown, path, unchecked string) {
		k := Kind(kind)
		switch k {
		case KindWarn, KindBlock, KindChecking, KindError, KindUnchecked:
		default:
			k = KindWarn
		}
		p := Page{
			Kind: k, Lang: EN, ClickID: reason, Dest: dest, Level: verdict.Suspicious,
			Reasons:     []verdict.Reason{{Code: "x", Level: verdict.Suspicious, EN: reason}},
			Chain:       []string{chain, dest},
			ShownDomain: shown, ScreenshotURL: path, ProceedURL: path, ReportURL: path, RefreshURL: path,
			ErrorKey: reason, UncheckedText: unchecked,
		}
		checkPage(t, p, render(t, p))
	})
}
