package rewriter_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter"
)

func ExampleRewrite() {
	keys, _ := linktoken.GenerateKeyFile(bytes.NewReader(make([]byte, 64)), time.Unix(1.8e9, 0))
	kr, _ := linktoken.ParseKeyring(keys)
	codec, _ := linktoken.NewCodec("https://kensa.example.com", kr)

	msg := "From: a@example.top\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n再配達はhttps://example.jp/loginからどうぞ。\r\n"
	var out bytes.Buffer
	res, err := rewriter.Rewrite(&out, []byte(msg), rewriter.Options{Codec: codec, Now: time.Unix(1.8e9, 0)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // a pass-through: out holds the message unchanged
	}
	fmt.Println(res.Links, "link rewritten")
	body := out.String()[strings.Index(out.String(), "\r\n\r\n")+4:]
	r := linktoken.Find(codec.Base(), body)[0]
	d, _ := codec.Open(body[r[0]:r[1]])
	fmt.Println(body[:r[0]] + "[" + d.Dest + "]" + body[r[1]:])
	// Output:
	// 1 link rewritten
	// 再配達は[https://example.jp/login]からどうぞ。
}
