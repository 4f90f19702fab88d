package rewriter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// TestAttackLinks is the rewriter's part of the attack list (issue 16):
// links a sender hoped the rewriter would miss. Each message must come out
// with every one of its links opening through Kensa.
func TestAttackLinks(t *testing.T) {
	kr, err := linktoken.ParseKeyring(mustKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	pathBase, err := linktoken.NewCodec("https://mail.example.com/kensa", kr)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		codec *linktoken.Codec
		msg   []byte
		dests []string
	}{
		{"numeric IPv4 host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "http://3232235786/ now\r\n"), []string{"http://3232235786/"}},
		{"hex IPv4 host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "go to http://0xCB007109/login\r\n"), []string{"http://0xCB007109/login"}},
		{"dotless host in text", nil, msg("text/plain; charset=us-ascii", "7bit", "see http://intranet/\r\n"), []string{"http://intranet/"}},
		{"dotless host in HTML", nil, msg("text/html; charset=us-ascii", "7bit", `<a href="http://intranet/">x</a>`), []string{"http://intranet/"}},
		{"Kensa base path walked out of, text", pathBase, msg("text/plain; charset=us-ascii", "7bit", "https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/\r\n"),
			[]string{"https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/"}},
		{"Kensa base path walked out of, HTML", pathBase, msg("text/html; charset=us-ascii", "7bit", `<a href="https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/">x</a>`),
			[]string{"https://mail.example.com/kensa/k/../../owa/redir?u=https://evil.example/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(t)
			if c.codec != nil {
				opts.Codec = c.codec
			}
			out, res := rewriteBytes(t, c.msg, opts)
			body := strings.ReplaceAll(bodyOf(out), "&amp;", "&")
			var got []string
			for _, r := range linktoken.Find(opts.Codec.Base(), body) {
				d, err := opts.Codec.Open(body[r[0]:r[1]])
				if err != nil {
					t.Fatalf("Open(%q): %v", body[r[0]:r[1]], err)
				}
				got = append(got, d.Dest)
			}
			if strings.Join(got, " ") != strings.Join(c.dests, " ") || res.Links != len(c.dests) {
				t.Errorf("links %q (%d), want %q\nout: %s", got, res.Links, c.dests, body)
			}
		})
	}
}

func mustKeys(t *testing.T) []byte {
	keys, err := linktoken.GenerateKeyFile(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
