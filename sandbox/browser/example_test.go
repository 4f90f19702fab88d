package browser_test

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/egress"
)

// The egress proxy starts first; its refusals are handed to the browser so
// that each Report lists the ones its page caused.
func Example() {
	var br *browser.Browser
	px, err := egress.New(egress.Config{OnBlock: func(host string, err error) { br.OnBlock(host, err) }})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, px)

	br, err = browser.New(context.Background(), browser.Config{ProxyURL: "http://" + ln.Addr().String()})
	if err != nil {
		panic(err)
	}
	defer br.Close()

	rep := br.Render(context.Background(), "https://example.com/", "", "ja-JP")
	fmt.Println(rep.FinalURL, rep.Status, rep.Err, len(rep.Chain), len(rep.Forms), len(rep.Downloads), len(rep.Blocked))
}
