package rewriter

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/rewrite")

const testBase = "https://kensa.example.com"

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testCodec returns a codec with a fixed key, so golden files are stable.
func testCodec(t testing.TB) *linktoken.Codec {
	t.Helper()
	keys, err := linktoken.GenerateKeyFile(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := linktoken.ParseKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := linktoken.NewCodec(testBase, kr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testOptions(t testing.TB) Options {
	return Options{
		Codec:     testCodec(t),
		Recipient: "taro@example.co.jp",
		Now:       testNow,
		Policy:    Policy{NeverRewrite: []string{"example.co.jp"}},
	}
}

func rewriteBytes(t testing.TB, src []byte, opts Options) ([]byte, Result) {
	t.Helper()
	var out bytes.Buffer
	res, err := Rewrite(&out, src, opts)
	if err != nil && !IsPassThrough(err) {
		t.Fatalf("Rewrite: %v", err)
	}
	return out.Bytes(), res
}

// TestGolden rewrites every testdata/rewrite/NAME.eml and compares the result
// with NAME.golden.eml (regenerate with -update), then checks the result with
// the oracle and checks that rewriting it again changes nothing.
func TestGolden(t *testing.T) {
	type want struct {
		links      int
		partErrors int
		relabelled int
		forms      int // Result.Forms
		pwForms    int // Result.PasswordForms
		// attachments is Result.Attachments, also checked in the trace header.
		attachments int
		skipped     map[string]int
	}
	wants := map[string]want{
		"jp-iso2022jp-text":        {links: 4},
		"jp-sjis-html-qp":          {links: 5},
		"utf8-alternative-wrapped": {links: 4},
		"jp-eucjp-text":            {links: 2},
		"mixed-attachment":         {links: 2, attachments: 1}, // the HTML attachment since issue 10; the PDF stays,
		"signed":                   {},
		"rfc822-forward":           {links: 2},
		"latin1-qp-softbreak":      {links: 2},
		"unknown-charset":          {links: 1}, // issue 16: read as ASCII-compatible bytes, no longer passed through
		"long-line-8bit":           {links: 1, relabelled: 1},
		"never-rewrite":            {links: 1, skipped: map[string]int{"never-rewrite": 1}},
		// Issue 10: HTML links the rewriter used to miss.
		"mso-bulletproof-button": {links: 5, skipped: map[string]int{"never-rewrite": 1}},
		"jp-iso2022jp-html-mso":  {links: 3},
		"base-relative":          {links: 6}, // "#top" opens the base document
		"base-not-absolute":      {links: 1},
		"protocol-relative":      {links: 3},
		"whatwg-spellings":       {links: 8, skipped: map[string]int{"browser-refuses": 1}},
		"form-password":          {links: 3, forms: 2, pwForms: 1},
		// Issue 10: calendar invites and HTML/SVG attachments.
		"calendar-invite":        {links: 10, skipped: map[string]int{"never-rewrite": 1}},
		"ics-attachment":         {links: 3, attachments: 1},
		"html-attachment-base64": {links: 2, forms: 1, pwForms: 1, attachments: 1},
		"html-attachment-sjis":   {links: 2, forms: 1, pwForms: 1, attachments: 1},
		"svg-attachment":         {links: 2, attachments: 1},
		"attachments-off":        {links: 1}, // rewrite_attachments: false: only the inline invite
	}
	files, _ := filepath.Glob("../testdata/rewrite/*.eml")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.eml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		n++
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions(t)
			if strings.HasPrefix(name, "attachments-off") {
				off := false
				opts.Policy.RewriteAttachments = &off
			}
			out, res := rewriteBytes(t, src, opts)
			golden := strings.TrimSuffix(f, ".eml") + ".golden.eml"
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantOut, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out, wantOut) {
				t.Errorf("output differs from %s (run go test -update and review the diff)", golden)
			}
			w, ok := wants[name]
			if !ok {
				t.Fatalf("no expectations for %s: add it to the table", name)
			}
			if res.Links != w.links || len(res.PartErrors) != w.partErrors || len(res.Relabelled) != w.relabelled {
				t.Errorf("links=%d partErrors=%v relabelled=%v, want %d, %d, %d", res.Links, res.PartErrors, res.Relabelled, w.links, w.partErrors, w.relabelled)
			}
			if res.Attachments != w.attachments || (w.attachments > 0) != bytes.Contains(out, []byte(AttachmentsHeader+": "+strconv.Itoa(w.attachments)+"\r\n")) {
				t.Errorf("attachments=%d, want %d, in the trace header too", res.Attachments, w.attachments)
			}
			if res.Forms != w.forms || res.PasswordForms != w.pwForms {
				t.Errorf("forms=%d passwordForms=%d, want %d, %d", res.Forms, res.PasswordForms, w.forms, w.pwForms)
			}
			for reason, n := range w.skipped {
				if res.Skipped[reason] != n {
					t.Errorf("skipped[%s] = %d, want %d (all: %v)", reason, res.Skipped[reason], n, res.Skipped)
				}
			}
			st, err := checkRewrite(opts.Codec, src, out)
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			if st.verified != res.Links {
				t.Errorf("oracle verified %d links, rewriter reports %d", st.verified, res.Links)
			}
			// The corpus acceptance scan (openableLinks) on the golden
			// messages, which hold the calendar and attachment contexts the
			// corpus lacks: no link a client opens is left live, but those
			// of the never_rewrite domain and, under rewrite_attachments:
			// false, those in attachments.
			for c, links := range openableLinks(opts.Codec, out) {
				var live []string
				for _, l := range links {
					if u, err := url.Parse(l); err != nil || !(&linker{policy: opts.Policy}).neverRewrite(u.Hostname()) {
						live = append(live, l)
					}
				}
				if off := strings.HasPrefix(name, "attachments-off"); off != (c == "calendar" || c == "html-attachment") && len(live) > 0 || off && c == "html-attachment" && len(live) == 0 {
					t.Errorf("%s: links left live: %q", c, live)
				}
			}
			again, res2 := rewriteBytes(t, out, opts)
			if !bytes.Equal(again, out) {
				t.Errorf("rewriting the output changed it again (%d more links)", res2.Links)
			}
		})
	}
	if n < len(wants) {
		t.Errorf("found %d inputs, want %d", n, len(wants))
	}
}

// TestRewriteBody: the milter's entry point gives the same body as Rewrite.
func TestRewriteBody(t *testing.T) {
	files, _ := filepath.Glob("../testdata/rewrite/*.eml")
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.eml") {
			continue
		}
		src, _ := os.ReadFile(f)
		opts := testOptions(t)
		full, res := rewriteBytes(t, src, opts)
		_, bs := splitHeader(src)
		body, res2, err := RewriteBody(src[:bs], src[bs:], opts)
		if err != nil || res2.Links != res.Links || len(res2.Relabelled) != len(res.Relabelled) {
			t.Errorf("%s: err %v, links %d vs %d", f, err, res2.Links, res.Links)
			continue
		}
		_, fbs := splitHeader(full)
		want := full[fbs:]
		if body == nil {
			body = src[bs:]
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s: RewriteBody body differs from Rewrite's", f)
		}
	}
}
