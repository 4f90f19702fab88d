package rewriter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRewrite: for any input, Rewrite never panics and always writes a
// complete message; when the input re-parses, the output has the same tree
// and text outside links (the oracle); and rewriting the output changes
// nothing.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob("../testdata/rewrite/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Add(msg("text/plain; charset=iso-2022-jp", "7bit", "\x1b$B$3$s$K$A$O\x1b(Bhttps://a.example/x\x1b$B$3\x1b(B\r\n"))
	f.Add(msg("text/html; charset=shift_jis", "quoted-printable", "<a href=3D\"https://a.example/=\r\nx\">=82=A0</a>"))
	f.Add(msg(`multipart/mixed; boundary="b"`, "", "--b\r\nContent-Type: text/plain\r\n\r\nhttps://a.example/\r\n--b--\r\n"))
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		var out bytes.Buffer
		res, err := Rewrite(&out, src, opts)
		if err != nil && !IsPassThrough(err) {
			t.Fatalf("Rewrite: %v", err)
		}
		if res.PassThrough != "" {
			if !bytes.Equal(out.Bytes(), src) {
				t.Fatal("pass-through output differs from input")
			}
			return
		}
		{
			if _, err := checkRewrite(opts.Codec, src, out.Bytes()); err != nil {
				if _, perr := oracleLeaves(src); perr == nil {
					t.Fatalf("oracle: %v", err)
				}
			}
		}
		var again bytes.Buffer
		if _, err := Rewrite(&again, out.Bytes(), opts); err != nil && !IsPassThrough(err) {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("not idempotent:\n%q\n%q", out.Bytes(), again.Bytes())
		}
	})
}
