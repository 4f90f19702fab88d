package rewriter

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// The rewriter benchmark and its baseline run over the same messages
// (../shared/corpus/phish-mail) in the same binary, so `make bench` can put
// them side by side. The baseline is what a rewriter built the usual way
// would cost before doing any work of its own: parse every message with
// go-message (textproto headers, multipart reader), decode every leaf's
// transfer encoding, and re-serialise the same message (header writer,
// multipart writer with the same boundaries, re-encoded bodies), changing
// nothing.

func loadPhishCorpus(b *testing.B) ([][]byte, int64) {
	base := os.Getenv("KENSA_CORPUS")
	if base == "" {
		base = "../../shared/corpus"
	}
	files, _ := filepath.Glob(filepath.Join(base, "phish-mail", "*.eml"))
	if len(files) == 0 {
		b.Skip("no corpus (set KENSA_CORPUS)")
	}
	var msgs [][]byte
	var total int64
	for _, f := range files {
		m, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	return msgs, total
}

func BenchmarkRewriteCorpus(b *testing.B) {
	msgs, total := loadPhishCorpus(b)
	opts := testOptions(b)
	opts.Policy = Policy{}
	var out bytes.Buffer
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, m := range msgs {
			out.Reset()
			if _, err := Rewrite(&out, m, opts); err != nil && !IsPassThrough(err) {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkBaselineGoMessageRoundTrip(b *testing.B) {
	msgs, total := loadPhishCorpus(b)
	var out bytes.Buffer
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, m := range msgs {
			out.Reset()
			_ = roundTrip(&out, bufio.NewReader(bytes.NewReader(m)), 0)
		}
	}
	b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// roundTrip re-serialises one entity with go-message's textproto layer.
func roundTrip(w io.Writer, r *bufio.Reader, depth int) error {
	h, err := textproto.ReadHeader(r)
	if err != nil {
		return err
	}
	if err := textproto.WriteHeader(w, h); err != nil {
		return err
	}
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		mr := textproto.NewMultipartReader(r, params["boundary"])
		mw := textproto.NewMultipartWriter(w)
		if err := mw.SetBoundary(params["boundary"]); err != nil {
			return err
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			pw, err := mw.CreatePart(p.Header)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(p)
			var hb bytes.Buffer
			textproto.WriteHeader(&hb, p.Header)
			if err := roundTrip(pw, bufio.NewReader(io.MultiReader(&hb, bytes.NewReader(body))), depth+1); err != nil {
				continue
			}
		}
		return mw.Close()
	}
	body, _ := io.ReadAll(r)
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		dec, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		qw := quotedprintable.NewWriter(w)
		qw.Write(dec)
		return qw.Close()
	case "base64":
		dec, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body)))
		bw := base64.NewEncoder(base64.StdEncoding, w)
		bw.Write(dec)
		return bw.Close()
	}
	_, err = w.Write(body)
	return err
}
