package rewriter

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// The Result names the Message-ID and the digest every link carries, so
// the caller's log line joins a click to its mail.
func TestResultMessageID(t *testing.T) {
	codec := testCodec(t)
	for _, c := range []struct{ hdr, id string }{
		{"Message-ID: <20261130.1234@mail.example.co.jp>\r\n", "<20261130.1234@mail.example.co.jp>"},
		{"", ""},
	} {
		src := []byte(c.hdr + "From: a@example.co.jp\r\nContent-Type: text/plain\r\n\r\nhttps://www.example-shop.co.jp/item/1\r\n")
		var out bytes.Buffer
		res, err := Rewrite(&out, src, Options{Codec: codec})
		if err != nil || res.Links != 1 {
			t.Fatalf("%q: %+v %v", c.hdr, res, err)
		}
		want := ""
		if d := linktoken.MessageDigest(c.id); c.id != "" {
			want = hex.EncodeToString(d[:])
		}
		if res.MessageID != c.id || res.MessageDigest != want {
			t.Errorf("%q: MessageID %q digest %q, want %q %q", c.hdr, res.MessageID, res.MessageDigest, c.id, want)
		}
	}
}
