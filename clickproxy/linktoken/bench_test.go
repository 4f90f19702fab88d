package linktoken

import (
	"testing"
	"time"
)

// BenchmarkLink signs one newsletter link with a recipient, as the
// rewriter does for every link of a message (issue 12: at 300 links a
// message, signing was a fifth of the milter's time), and BenchmarkOpen
// verifies it, as the click proxy does.
//
//	go test -run '^$' -bench 'Link$|Open$' -benchmem ./clickproxy/linktoken
func BenchmarkLink(b *testing.B) {
	c := testCodec(b, 7)
	ctx := Context{Issued: time.Unix(1.8e9, 0), Recipient: "taro@example.co.jp", MessageDigest: MessageDigest("<news-1@shop.example.jp>")}
	const dest = "https://shop.example.jp/item/123?utm_source=mail&utm_campaign=nov"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Link(ctx, dest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	c := testCodec(b, 7)
	link, err := c.Link(Context{Issued: time.Unix(1.8e9, 0), Recipient: "taro@example.co.jp"}, "https://shop.example.jp/item/123?utm_source=mail&utm_campaign=nov")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(link); err != nil {
			b.Fatal(err)
		}
	}
}
