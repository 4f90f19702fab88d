package rewriter

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// TestPasswordFormFlag: a password field anywhere in a message's HTML puts
// FlagPasswordForm on every link of the message, text parts included, and
// on none of a message without one; rewriting again changes nothing.
func TestPasswordFormFlag(t *testing.T) {
	const head = "From: a@shop.example\r\nTo: taro@example.co.jp\r\nSubject: s\r\nMessage-ID: <pw@shop.example>\r\nMIME-Version: 1.0\r\n"
	alternative := func(html string) string {
		return head + "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSign in: https://login.example.net/a and www.example.org/b\r\n" +
			"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n"
	}
	check := func(name, msg string, links int, want bool) {
		t.Run(name, func(t *testing.T) {
			opts := testOptions(t)
			out, res := rewriteBytes(t, []byte(msg), opts)
			if res.Links != links || res.PasswordField != want {
				t.Errorf("links=%d passwordField=%v, want %d, %v", res.Links, res.PasswordField, links, want)
			}
			text := strings.ReplaceAll(string(out), "&amp;", "&")
			found := linktoken.Find(testBase, text)
			if len(found) != links {
				t.Fatalf("found %d links in the output, want %d:\n%s", len(found), links, out)
			}
			for _, r := range found {
				d, err := opts.Codec.Open(text[r[0]:r[1]])
				if err != nil {
					t.Fatalf("Open(%q): %v", text[r[0]:r[1]], err)
				}
				if got := d.Context.Flags&linktoken.FlagPasswordForm != 0; got != want {
					t.Errorf("%s: flags %v, want password-form %v", d.Dest, d.Context.Flags, want)
				}
			}
			again, res2 := rewriteBytes(t, out, opts)
			if !bytes.Equal(again, out) || res2.Links != 0 {
				t.Errorf("second rewrite changed the message (%d links)", res2.Links)
			}
		})
	}
	// The password field comes after the links: they are signed again.
	check("form after the links", alternative(`<a href="https://example.org/x">x</a> <form action="https://phish.example/p"><input type="Password " name=pw></form>`), 4, true)
	check("form without action", alternative(`<form><input type=password></form><a href="https://example.org/x">x</a>`), 3, true)
	check("field outside a form", alternative(`<input type=password form=f><a href="https://example.org/x">x</a>`), 3, true)
	check("inside an Outlook conditional comment", alternative(`<!--[if mso]><form action="https://phish.example/p"><input type="password"></form><![endif]--><a href="https://example.org/x">x</a>`), 4, true)
	check("no password field", alternative(`<form action="https://survey.example/s"><input type=text name=q></form><a href="https://example.org/x">x</a>`), 4, false)
	check("password only as text", alternative(`<p>type=password</p><a href="https://example.org/x">password</a>`), 3, false)
	check("plain text only", head+"Content-Type: text/plain\r\n\r\n<input type=password> https://example.org/x\r\n", 1, false)
}

// BenchmarkRewritePasswordForm: the cost of the second walk, which only a
// message with a password field pays (the "without" case is the same
// message with the field's type changed to text).
func BenchmarkRewritePasswordForm(b *testing.B) {
	src, err := os.ReadFile("../testdata/rewrite/form-password.eml")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		msg  []byte
	}{{"with", src}, {"without", bytes.Replace(src, []byte("type=PASSWORD"), []byte("type=TEXTXXXX"), 1)}} {
		b.Run(c.name, func(b *testing.B) {
			opts := testOptions(b)
			var out bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if _, err := Rewrite(&out, c.msg, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
