// Command bare303 is the baseline of the click-proxy benchmark (make bench):
// a fasthttp server with the same limits as kensa serve that answers every
// request with the same 303 and no logic at all, so that wrk measures what
// Kensa's click path adds.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8089", "HOST:PORT")
	location := flag.String("location", "http://shop.example-store.jp/sale", "the redirect target")
	flag.Parse()
	loc := []byte(*location)
	s := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.Response.Header.SetBytesV("Location", loc)
			ctx.SetStatusCode(fasthttp.StatusSeeOther)
		},
		Name: "bare", NoDefaultServerHeader: true, Concurrency: 20_000,
		ReadTimeout: 10 * time.Second, WriteTimeout: 35 * time.Second, IdleTimeout: 60 * time.Second,
		MaxRequestBodySize: 64 << 10, ReadBufferSize: 8 << 10,
	}
	log.Fatal(s.ListenAndServe(*listen))
}
