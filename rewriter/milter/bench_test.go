package milter

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
)

// newsletter returns a ~100 KB HTML message body with many links, the
// benchmark's message.
func newsletter() string {
	var b strings.Builder
	b.WriteString("<html><body>\r\n")
	for i := 0; b.Len() < 100<<10; i++ {
		fmt.Fprintf(&b, "<p>お知らせ %d: 新商品のご案内です。<a href=\"https://shop.example.jp/item/%d?utm_source=mail&amp;utm_campaign=nov\">詳しくはこちら</a> / <img src=\"https://img.example.jp/%d.png\" alt=\"商品\"></p>\r\n", i, i, i)
	}
	b.WriteString("</body></html>\r\n")
	return b.String()
}

var newsletterFields = [][2]string{
	{"From", " news@shop.example.jp"},
	{"To", " taro@example.co.jp"},
	{"Message-ID", " <news-1@shop.example.jp>"},
	{"Content-Type", " text/html; charset=utf-8"},
	{"Content-Transfer-Encoding", " 8bit"},
}

// postfixNewsletter is BenchmarkPostfix's message body: a 100 KB HTML
// newsletter with the given number of links, padded with Japanese text
// without links.
func postfixNewsletter(links int) string {
	var b strings.Builder
	b.WriteString("<html><body>\r\n")
	for i := 0; i < links; i++ {
		fmt.Fprintf(&b, "<p>お知らせ %d: <a href=\"https://shop.example.jp/item/%d?utm_source=mail&amp;utm_campaign=nov\">詳しくはこちら</a></p>\r\n", i, i)
	}
	b.WriteString("</body></html>\r\n")
	const hdr = 198 // BenchmarkPostfix's header, which counts towards its 100 KB
	for hdr+b.Len() < 100<<10 {
		b.WriteString("<p>今月のおすすめ商品をご紹介します。季節の変わり目に合わせて、新しいコレクションが入荷しました。</p>\r\n")
	}
	return b.String()
}

// roundTrips sends the message b.N times over one milter connection and
// reports the p50 and p99 of the end-of-message round trip.
func roundTrips(b *testing.B, addr, body string) {
	client := gomilter.NewClient("tcp", addr)
	s, err := client.Session(gomilter.NewMacroBag())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Conn("mx.example.top", gomilter.FamilyInet, 25, "203.0.113.5"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Helo("mx.example.top"); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		s.Mail("<news@shop.example.jp>", "")
		s.Rcpt("<taro@example.co.jp>", "")
		s.DataStart()
		for _, f := range newsletterFields {
			s.HeaderField(f[0], f[1], nil)
		}
		s.HeaderEnd()
		if _, _, err := s.BodyReadFrom(strings.NewReader(body)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkMilterNewsletter: Kensa's milter on a 100 KB HTML message with
// 467 links (and as many images, which are not rewritten).
func BenchmarkMilterNewsletter(b *testing.B) {
	srv, err := Start("tcp", "127.0.0.1:0", Config{Codec: testCodecB(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	roundTrips(b, srv.Addr().String(), newsletter())
}

// BenchmarkMilterNewsletterPostfix: Kensa's milter on BenchmarkPostfix's
// messages (100 KB, 60 and 300 links), for CPU profiles of what the Postfix
// benchmark measures.
func BenchmarkMilterNewsletterPostfix(b *testing.B) {
	for _, links := range []int{60, 300} {
		b.Run(fmt.Sprintf("%dlinks", links), func(b *testing.B) {
			srv, err := Start("tcp", "127.0.0.1:0", Config{Codec: testCodecB(b)})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			roundTrips(b, srv.Addr().String(), postfixNewsletter(links))
		})
	}
}

// BenchmarkMilterNoop is the baseline: the same milter library, the same
// protocol conversation and the same message, read as Kensa reads it and
// accepted without looking.
func BenchmarkMilterNoop(b *testing.B) {
	f, err := StartNoop("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	roundTrips(b, f.Addr().String(), newsletter())
}
