package milter

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter"
)

const testBase = "https://kensa.example.com"

func testCodec(t *testing.T) *linktoken.Codec { return testCodecB(t) }

func testCodecB(t testing.TB) *linktoken.Codec {
	t.Helper()
	keys, err := linktoken.GenerateKeyFile(bytes.NewReader(bytes.Repeat([]byte{9}, 64)), time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := linktoken.ParseKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := linktoken.NewCodec(testBase, kr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type harness struct {
	t       *testing.T
	codec   *linktoken.Codec
	srv     *Server
	metrics *Metrics
	reg     *prometheus.Registry
	client  *gomilter.Client
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	h := &harness{t: t, codec: testCodec(t), reg: prometheus.NewRegistry()}
	h.metrics = NewMetrics(h.reg)
	cfg := Config{Codec: h.codec, Metrics: h.metrics}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := Start("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h.srv = srv
	h.client = gomilter.NewClient("tcp", srv.Addr().String())
	return h
}

type result struct {
	mods []gomilter.ModifyAction
	act  *gomilter.Action
}

func (r result) body() []byte {
	var b []byte
	for _, m := range r.mods {
		if m.Type == gomilter.ActionReplaceBody {
			b = append(b, m.Body...)
		}
	}
	return b
}

func (r result) headers() map[string]string {
	h := map[string]string{}
	for _, m := range r.mods {
		if m.Type == gomilter.ActionInsertHeader || m.Type == gomilter.ActionChangeHeader || m.Type == gomilter.ActionAddHeader {
			h[m.HeaderName] = strings.TrimSpace(m.HeaderValue)
		}
	}
	return h
}

// send runs one message through a session: header fields as (name, value)
// pairs, then the body.
func send(t *testing.T, s *gomilter.ClientSession, rcpts []string, fields [][2]string, body string) result {
	t.Helper()
	must := func(a *gomilter.Action, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if a.Type != gomilter.ActionContinue {
			t.Fatalf("milter answered %v, want continue", a.Type)
		}
	}
	must(s.Mail("<sender@example.top>", ""))
	for _, r := range rcpts {
		must(s.Rcpt("<"+r+">", ""))
	}
	must(s.DataStart())
	for _, f := range fields {
		must(s.HeaderField(f[0], f[1], nil))
	}
	must(s.HeaderEnd())
	mods, act, err := s.BodyReadFrom(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if act.Type != gomilter.ActionAccept && act.Type != gomilter.ActionContinue {
		t.Fatalf("end of message: %v, want accept", act.Type)
	}
	return result{mods, act}
}

func (h *harness) session() *gomilter.ClientSession {
	s, err := h.client.Session(gomilter.NewMacroBag())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	if _, err := s.Conn("mx.example.top", gomilter.FamilyInet, 25, "203.0.113.5"); err != nil {
		h.t.Fatal(err)
	}
	if _, err := s.Helo("mx.example.top"); err != nil {
		h.t.Fatal(err)
	}
	return s
}

var plainFields = [][2]string{
	{"From", " a@example.top"},
	{"To", " taro@example.co.jp"},
	{"Message-ID", " <m1@example.top>"},
	{"Content-Type", " text/plain; charset=utf-8"},
}

func (h *harness) open(link string) linktoken.Decoded {
	h.t.Helper()
	d, err := h.codec.Open(link)
	if err != nil {
		h.t.Fatalf("Open(%q): %v", link, err)
	}
	return d
}

func (h *harness) links(body []byte) []linktoken.Decoded {
	var ds []linktoken.Decoded
	for _, r := range linktoken.Find(testBase, string(body)) {
		ds = append(ds, h.open(string(body[r[0]:r[1]])))
	}
	return ds
}

func TestRecipients(t *testing.T) {
	h := newHarness(t, nil)
	s := h.session()
	// One recipient: the links carry it.
	r := send(t, s, []string{"taro@example.co.jp"}, plainFields, "ログインはhttps://evil.example/loginから\r\n")
	ds := h.links(r.body())
	if len(ds) != 1 || ds[0].Context.Recipient != "taro@example.co.jp" || ds[0].Dest != "https://evil.example/login" {
		t.Fatalf("one recipient: %+v\nbody %q", ds, r.body())
	}
	if !bytes.HasSuffix(r.body(), []byte("から\r\n")) {
		t.Errorf("text after the link changed: %q", r.body())
	}
	if got := r.headers()[rewriter.TraceHeader]; got != "1" {
		t.Errorf("trace header %q, want 1 (mods %+v)", got, r.mods)
	}
	// Second message on the same connection, two recipients: no recipient
	// in the links, and nothing left over from the first message.
	r = send(t, s, []string{"a@example.co.jp", "b@example.co.jp"}, plainFields, "https://evil.example/2 and https://evil.example/3\r\n")
	ds = h.links(r.body())
	if len(ds) != 2 || ds[0].Context.Recipient != "" || ds[1].Context.Recipient != "" {
		t.Fatalf("two recipients: %+v", ds)
	}
	if got := testutil.ToFloat64(h.metrics.messages.WithLabelValues("rewritten", "")); got != 2 {
		t.Errorf("rewritten messages metric = %v, want 2", got)
	}
	if got := testutil.ToFloat64(h.metrics.linkCount); got != 3 {
		t.Errorf("links metric = %v, want 3", got)
	}
}

func TestAbortResetsState(t *testing.T) {
	h := newHarness(t, nil)
	s := h.session()
	if _, err := s.Mail("<x@example.top>", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rcpt("<first@example.co.jp>", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(nil); err != nil {
		t.Fatal(err)
	}
	r := send(t, s, []string{"second@example.co.jp"}, plainFields, "https://evil.example/\r\n")
	ds := h.links(r.body())
	if len(ds) != 1 || ds[0].Context.Recipient != "second@example.co.jp" {
		t.Fatalf("after abort: %+v", ds)
	}
}

func TestPassThrough(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Policy.MaxMessageBytes = 2000
		c.TrustedAuthservID = "mx.example.co.jp"
		c.SkipSignedBy = []string{"partner.example"}
	})
	s := h.session()
	check := func(name string, fields [][2]string, body string, wantLinks int, reason string) {
		t.Helper()
		before := testutil.ToFloat64(h.metrics.messages.WithLabelValues("passed_through", reason))
		r := send(t, s, []string{"taro@example.co.jp"}, fields, body)
		if got := len(h.links(r.body())); got != wantLinks {
			t.Errorf("%s: %d links rewritten, want %d", name, got, wantLinks)
		}
		if wantLinks == 0 && r.body() != nil {
			t.Errorf("%s: body replaced", name)
		}
		if reason != "" && testutil.ToFloat64(h.metrics.messages.WithLabelValues("passed_through", reason)) != before+1 {
			t.Errorf("%s: pass-through %q not counted", name, reason)
		}
	}
	big := strings.Repeat("https://evil.example/big\r\n", 200)
	check("too large", plainFields, big, 0, "too-large")
	signed := append([][2]string{{"Authentication-Results", " mx.example.co.jp; dkim=pass (2048-bit key) header.d=partner.example header.s=s1; spf=pass"}}, plainFields...)
	check("signed by a skipped domain", signed, "https://partner.example/x\r\n", 0, "dkim-skip")
	forged := append([][2]string{{"Authentication-Results", " attacker.example; dkim=pass header.d=partner.example"}}, plainFields...)
	check("A-R from another authserv-id", forged, "https://evil.example/x\r\n", 1, "")
	failed := append([][2]string{{"Authentication-Results", " mx.example.co.jp; dkim=fail header.d=partner.example"}}, plainFields...)
	check("DKIM failed", failed, "https://evil.example/x\r\n", 1, "")
	check("signed S/MIME", [][2]string{{"Content-Type", ` multipart/signed; protocol="application/pkcs7-signature"; boundary="b"`}},
		"--b\r\nContent-Type: text/plain\r\n\r\nhttps://evil.example/\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--b--\r\n", 0, "")
}

func TestRelabelTopLevel(t *testing.T) {
	h := newHarness(t, nil)
	s := h.session()
	fields := [][2]string{{"Content-Type", " text/html; charset=utf-8"}, {"Content-Transfer-Encoding", " 8bit"}}
	line := "<p>" + strings.Repeat("あ", 300) + `<a href="https://evil.example/` + strings.Repeat("x", 20) + `">x</a></p>` + "\r\n"
	r := send(t, s, []string{"taro@example.co.jp"}, fields, line)
	if got := r.headers()["Content-Transfer-Encoding"]; got != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q, want quoted-printable (mods %+v)", got, r.mods)
	}
	for _, l := range strings.Split(string(r.body()), "\r\n") {
		if len(l) > 76 {
			t.Fatalf("line of %d octets after relabelling", len(l))
		}
	}
}

func TestDKIMPassDomains(t *testing.T) {
	check := func(value string, want ...string) {
		t.Helper()
		got := dkimPassDomains(value, "mx.example.co.jp")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: %q, want %q", value, got, want)
		}
	}
	check("mx.example.co.jp; dkim=pass header.d=a.example", "a.example")
	check("MX.example.co.jp 1; dkim=pass (good) header.i=@a.example header.d=a.example; dkim=pass header.d=\"b.example\"", "a.example", "b.example")
	check("mx.example.co.jp; dkim=fail header.d=a.example; dkim=neutral header.d=b.example")
	check("other.example; dkim=pass header.d=a.example")
	check("mx.example.co.jp.evil; dkim=pass header.d=a.example")
	check("mx.example.co.jp; none")
	// Comments go before results are split: a ';' inside one starts no
	// result (issue 16), and a pass with one is still a pass.
	check("mx.example.co.jp; dkim=fail (x; dkim=pass header.d=bank.example ) header.d=evil.example")
	check("mx.example.co.jp; dkim=fail (x; dkim=pass header.d=bank.example (nested; dkim=pass header.d=b.example) )")
	check("mx.example.co.jp; dkim=pass (1024-bit key; unprotected) header.d=a.example header.s=s1", "a.example")
	check("mx.example.co.jp (our verifier; v2); dkim=pass header.d=a.example", "a.example")
	check(`mx.example.co.jp; dkim=fail reason="bad; dkim=pass header.d=bank.example" header.d=evil.example`)
	check("mx.example.co.jp; dkim=fail (unclosed; dkim=pass header.d=bank.example")
}

// TestHeaderFieldLimit: a Content-Type after more header fields than the
// rewriter accepts used to be cut off by the milter library, so a base64
// HTML body was read as text/plain and its links stayed live (issue 16).
// Now the body is read raw and its links rewritten, the fallback is
// counted, logged and named in X-Kensa-Fallback.
func TestHeaderFieldLimit(t *testing.T) {
	h := newHarness(t, nil)
	s := h.session()
	var fields [][2]string
	for i := 0; i < 10001; i++ {
		fields = append(fields, [2]string{"X-Filler", " " + strconv.Itoa(i)})
	}
	fields = append(fields, [2]string{"Content-Type", " text/html; charset=utf-8"}, [2]string{"Content-Transfer-Encoding", " base64"})
	html := `<html><body><a href="https://evil.example/login">Sign in</a></body></html>`
	enc := base64.StdEncoding.EncodeToString([]byte(html))
	r := send(t, s, []string{"taro@example.co.jp"}, fields, enc[:60]+"\r\n"+enc[60:]+"\r\n")
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(r.body()), "\r\n", ""))
	if err != nil {
		t.Fatalf("body %q: %v", r.body(), err)
	}
	ds := h.links(dec)
	if len(ds) != 1 || ds[0].Dest != "https://evil.example/login" {
		t.Fatalf("links %+v in %q", ds, dec)
	}
	if got := r.headers()[rewriter.FallbackHeader]; got != rewriter.FallbackTooComplex {
		t.Errorf("%s: %q", rewriter.FallbackHeader, got)
	}
	if n := testutil.ToFloat64(h.metrics.fallbacks.WithLabelValues(rewriter.FallbackTooComplex)); n != 1 {
		t.Errorf("fallbacks counted %v, want 1", n)
	}
}

// TestOnUnparsableHold: under on_unparsable: hold a message that needed a
// fallback is quarantined (Postfix puts it on hold) and tagged.
func TestOnUnparsableHold(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Policy.OnUnparsable = rewriter.OnUnparsableHold })
	s := h.session()
	fields := [][2]string{{"Content-Type", " text/html; charset=x-klingon"}}
	r := send(t, s, []string{"taro@example.co.jp"}, fields, `<a href="https://evil.example/">x</a>`+"\r\n")
	quarantined := false
	for _, m := range r.mods {
		quarantined = quarantined || m.Type == gomilter.ActionQuarantine
	}
	if !quarantined || r.headers()[rewriter.UnparsableHeader] != rewriter.FallbackUnknownCharset {
		t.Errorf("quarantined %v, headers %v", quarantined, r.headers())
	}
}

func TestShutdown(t *testing.T) {
	h := newHarness(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNegotiation: the milter asks the MTA to skip the steps it does not
// read (connect, HELO, MAIL, DATA) and to wait for it only at the end of
// the message (issue 12: every step the MTA waits on costs it time). The
// client answers "continue" for a skipped step without sending it.
func TestNegotiation(t *testing.T) {
	h := newHarness(t, nil)
	s := h.session()
	for _, opt := range []gomilter.OptProtocol{
		gomilter.OptNoConnect, gomilter.OptNoHelo, gomilter.OptNoMailFrom, gomilter.OptNoData, gomilter.OptNoUnknown,
		gomilter.OptNoRcptReply, gomilter.OptNoHeaderReply, gomilter.OptNoEOHReply, gomilter.OptNoBodyReply, gomilter.OptHeaderLeadingSpace,
	} {
		if !s.ProtocolOption(opt) {
			t.Errorf("protocol option %v not negotiated", opt)
		}
	}
	for _, opt := range []gomilter.OptProtocol{gomilter.OptNoRcptTo, gomilter.OptNoHeaders, gomilter.OptNoEOH, gomilter.OptNoBody} {
		if s.ProtocolOption(opt) {
			t.Errorf("protocol option %v negotiated: the milter needs that step", opt)
		}
	}
	// Still one recipient per message, and a second message on the same
	// connection starts clean without a MAIL step.
	r := send(t, s, []string{"a@example.co.jp"}, plainFields, "https://evil.example/1\r\n")
	r2 := send(t, s, []string{"b@example.co.jp"}, plainFields, "https://evil.example/2\r\n")
	ds, ds2 := h.links(r.body()), h.links(r2.body())
	if len(ds) != 1 || ds[0].Context.Recipient != "a@example.co.jp" || len(ds2) != 1 || ds2[0].Context.Recipient != "b@example.co.jp" {
		t.Fatalf("recipients: %+v, %+v", ds, ds2)
	}
}
