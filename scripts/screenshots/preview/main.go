// Command preview serves Kensa's click-proxy pages with sample data, for the
// screenshots in docs/screenshots (see scripts/screenshots.sh) and for
// looking at the pages while working on them:
//
//	go run ./scripts/screenshots/preview -addr 127.0.0.1:8099
//
// then open http://127.0.0.1:8099/. Pages are at /{kind}/{lang}, for example
// /warn/ja or /block/en. The sample is a made-up phishing mail: a fake 楽天
// card login on rakuten-card.account-check.top. Every response carries the
// pages' security headers, so the pages are seen as the click proxy serves
// them.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/pages"
	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	urlFile := flag.String("url-file", "", "write the server's base URL to this file once listening")
	flag.Parse()
	if err := run(*addr, *urlFile); err != nil {
		log.Fatal(err)
	}
}

func run(addr, urlFile string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	log.Printf("preview: serving on %s", base)
	if urlFile != "" {
		if err := os.WriteFile(urlFile, []byte(base+"\n"), 0o644); err != nil {
			return err
		}
	}
	shot, err := placeholderShot()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler(shot), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func handler(shot []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("<!DOCTYPE html><meta charset=utf-8><title>Kensa pages</title><ul>")
		for _, k := range kinds {
			for _, l := range []pages.Lang{pages.JA, pages.EN} {
				fmt.Fprintf(&b, `<li><a href="/%s/%s">%s %s</a>`, k, l, k, l)
			}
		}
		b.WriteString("</ul>")
		send(w, "text/html; charset=utf-8", []byte(b.String()))
	})
	mux.HandleFunc("GET "+pages.StylePath, func(w http.ResponseWriter, r *http.Request) {
		send(w, "text/css; charset=utf-8", pages.CSS)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /shot/sample.png", func(w http.ResponseWriter, r *http.Request) {
		send(w, "image/png", shot)
	})
	mux.HandleFunc("GET /{kind}/{lang}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := sample(pages.Kind(r.PathValue("kind")), pages.Lang(r.PathValue("lang")))
		if !ok {
			http.NotFound(w, r)
			return
		}
		var b bytes.Buffer
		if err := pages.Render(&b, p); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		send(w, "text/html; charset=utf-8", b.Bytes())
	})
	return mux
}

func send(w http.ResponseWriter, contentType string, body []byte) {
	for _, h := range pages.Headers() {
		w.Header().Set(h[0], h[1])
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(body)
}

var kinds = []pages.Kind{pages.KindWarn, pages.KindBlock, pages.KindChecking, pages.KindError, pages.KindUnchecked}

const (
	sampleDest  = "https://rakuten-card.account-check.top/login/index.php?session=8f3a2c91&ref=mail"
	sampleClick = "k7q2m9xkd4ht"
)

// sample returns the sample page of a kind in a language.
func sample(k pages.Kind, l pages.Lang) (pages.Page, bool) {
	if l != pages.JA && l != pages.EN {
		return pages.Page{}, false
	}
	p := pages.Page{Kind: k, Lang: l, ClickID: sampleClick, ReportURL: "/report"}
	switch k {
	case pages.KindWarn, pages.KindBlock:
		p.Dest = sampleDest
		p.Level = verdict.Suspicious
		if k == pages.KindBlock {
			p.Level = verdict.Malicious
		} else {
			p.ProceedURL = "/proceed/" + sampleClick + "?s=Q2hlY2tlZA"
		}
		p.Reasons = sampleReasons(k == pages.KindBlock)
		p.Chain = []string{
			"https://click.rakuten-info-mail.com/r?id=8f3a2c91",
			"https://rakuten-card.account-check.top/redirect?to=login",
			sampleDest,
		}
		p.ShownDomain = "www.rakuten-card.co.jp"
		p.ScreenshotURL = "/shot/sample.png?s=" + sampleClick
	case pages.KindChecking:
		p.Dest = sampleDest
		p.ReportURL = ""
		// Long enough for a screenshot; the click proxy uses a few seconds.
		p.RefreshURL = "/checking/" + string(l) + "?again=1"
		p.RefreshSeconds = 60
	case pages.KindError:
		p.ErrorKey = "bad-signature"
		p.ReportURL = ""
	case pages.KindUnchecked:
		p.UncheckedText = "https://rakuten-card.account-check.top/login?id=8f3a2c91"
		p.ReportURL = ""
	default:
		return pages.Page{}, false
	}
	return p, true
}

func sampleReasons(malicious bool) []verdict.Reason {
	lvl := verdict.Suspicious
	if malicious {
		lvl = verdict.Malicious
	}
	return []verdict.Reason{
		{
			Code: verdict.CodeCredentialForm, Level: lvl,
			Evidence: map[string]string{"field": "password"},
			JA:       "ID とパスワード、カード番号を入力させるフォームがあります。",
			EN:       "The page has a form that asks for your ID, password and card number.",
		},
		{
			Code: verdict.CodeBrandImpersonated, Level: lvl,
			Evidence: map[string]string{"brand": "楽天"},
			JA:       "楽天カードのロゴや見た目を使っていますが、楽天のドメインではありません。",
			EN:       "The page uses the Rakuten Card logo and look, but it is not on a Rakuten domain.",
		},
		{
			Code: verdict.CodeLookalikeDomain, Level: verdict.Suspicious,
			Evidence: map[string]string{"brand": "楽天カード"},
			JA:       "「rakuten-card」を含む、楽天カードのものに見せかけたドメインですが、楽天のものではありません。",
			EN:       "The domain contains \"rakuten-card\" to look like Rakuten Card's, but it does not belong to Rakuten.",
		},
		{
			Code: verdict.CodeCertificateError, Level: verdict.Clean,
			JA: "証明書に問題はありません。", EN: "The certificate is fine.",
		},
	}
}

// placeholderShot draws a stand-in for a sandbox screenshot: the outline of
// a card-company login page (a red header, a logo block, two input fields
// and a button), with no text and no external image.
func placeholderShot() ([]byte, error) {
	const w, h = 640, 400
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	var (
		white = color.RGBA{0xff, 0xff, 0xff, 0xff}
		page  = color.RGBA{0xf4, 0xf4, 0xf4, 0xff}
		red   = color.RGBA{0xbf, 0x00, 0x00, 0xff}
		grey  = color.RGBA{0xc8, 0xc8, 0xc8, 0xff}
		light = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
		text  = color.RGBA{0x9a, 0x9a, 0x9a, 0xff}
	)
	fill(0, 0, w, h, page)
	fill(0, 0, w, 56, red)          // header bar
	fill(24, 16, 120, 40, white)    // logo
	fill(170, 88, 470, 372, white)  // login box
	fill(196, 108, 330, 122, text)  // title line
	fill(196, 146, 330, 154, text)  // label
	fill(196, 160, 444, 192, light) // ID field
	fill(196, 160, 444, 161, grey)  //
	fill(196, 212, 330, 220, text)  // label
	fill(196, 226, 444, 258, light) // password field
	fill(196, 226, 444, 227, grey)  //
	fill(196, 284, 444, 320, red)   // button
	fill(280, 298, 360, 306, white) // button label
	fill(196, 340, 300, 346, grey)  // "forgot password" line
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
