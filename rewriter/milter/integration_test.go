package milter_test

// Integration tests: a real private Postfix on loopback (internal/postfixtest)
// with smtpd_milters pointing at a real `kensa milter` process built from
// cmd/kensa. Mail goes in with swaks and is read back from smtp-sink.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/postfixtest"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/rewriter"
	"github.com/kensa-mail/kensa/rewriter/milter"
)

const itBase = "https://kensa.example.com"

var kensaBin string // built once in TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kensa-it-")
	if err != nil {
		panic(err)
	}
	kensaBin = filepath.Join(dir, "kensa")
	out, err := exec.Command("go", "build", "-o", kensaBin, "../../cmd/kensa").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building kensa: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needPostfix(t testing.TB) {
	t.Helper()
	postfixtest.Require(t)
}

// kensaMilter is a `kensa milter` process.
type kensaMilter struct {
	t       testing.TB
	addr    string
	metrics string // HOST:PORT of /metrics
	keyFile string
	cfgFile string
	cmd     *exec.Cmd
	log     *testenv.Buffer
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func newKensaMilter(t testing.TB) *kensaMilter {
	dir := t.TempDir()
	km := &kensaMilter{t: t, addr: freePort(t), metrics: freePort(t), keyFile: filepath.Join(dir, "keys.json"), cfgFile: filepath.Join(dir, "kensa.yaml")}
	keys, err := exec.Command(kensaBin, "keygen").Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(km.keyFile, keys, 0o600)
	cfg := fmt.Sprintf("base_url: %s\nkey_file: %s\nmax_message_bytes: 26214400\nlog_format: json\nmilter:\n  listen: inet:%s\n  metrics_listen: %s\n", itBase, km.keyFile, km.addr, km.metrics)
	os.WriteFile(km.cfgFile, []byte(cfg), 0o600)
	km.start()
	t.Cleanup(km.stop)
	return km
}

func (km *kensaMilter) start() {
	km.t.Helper()
	km.log = &testenv.Buffer{}
	km.cmd = exec.Command(kensaBin, "milter", "--config", km.cfgFile)
	km.cmd.Stderr = km.log
	if err := km.cmd.Start(); err != nil {
		km.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", km.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			km.t.Fatalf("kensa milter did not listen on %s: %s", km.addr, km.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the milter with SIGTERM (a graceful shutdown) and waits.
func (km *kensaMilter) stop() {
	if km.cmd == nil || km.cmd.Process == nil {
		return
	}
	km.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- km.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		km.cmd.Process.Kill()
		<-done
	}
	km.cmd = nil
}

// kill ends the milter at once, as a crash would.
func (km *kensaMilter) kill() {
	km.cmd.Process.Kill()
	km.cmd.Wait()
	km.cmd = nil
}

func (km *kensaMilter) codec() *linktoken.Codec {
	kr, err := linktoken.LoadKeyring(km.keyFile)
	if err != nil {
		km.t.Fatal(err)
	}
	c, err := linktoken.NewCodec(itBase, kr)
	if err != nil {
		km.t.Fatal(err)
	}
	return c
}

// decodeCLI verifies a link with the kensa binary, as an admin would.
func (km *kensaMilter) decodeCLI(link string) (string, error) {
	out, err := exec.Command(kensaBin, "decode", "--key-file", km.keyFile, "--base-url", itBase, link).Output()
	if err != nil {
		return "", err
	}
	var d struct {
		URL string `json:"url"`
	}
	err = json.Unmarshal(out, &d)
	return d.URL, err
}

// withID puts a test ID header on top of a message.
func withID(id string, msg []byte) []byte {
	return append([]byte("X-Test-ID: "+id+"\r\n"), msg...)
}

func byID(ds []postfixtest.Delivery) map[string][]byte {
	m := map[string][]byte{}
	for _, d := range ds {
		msg := postfixtest.StripReceived(d.Message)
		// A trace header added by the milter goes at the end of the header;
		// the test ID is the first field.
		if i := bytes.IndexByte(msg, '\n'); i > 0 && bytes.HasPrefix(msg, []byte("X-Test-ID: ")) {
			m[string(msg[len("X-Test-ID: "):i])] = msg
		}
	}
	return m
}

func split(msg []byte) (header, body []byte) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return msg, nil
	}
	return msg[:i+1], msg[i+2:]
}

func traceValue(header []byte) string {
	for _, l := range strings.Split(string(header), "\n") {
		if v, ok := strings.CutPrefix(l, rewriter.TraceHeader+": "); ok {
			return v
		}
	}
	return ""
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openAll replaces every Kensa link in text by "[destination]", opening it
// with codec (the text is plain text or HTML with &amp; already undone).
func openAll(t testing.TB, codec *linktoken.Codec, text string) (string, []string) {
	t.Helper()
	var b strings.Builder
	var dests []string
	pos := 0
	for _, r := range linktoken.Find(itBase, text) {
		d, n, err := codec.OpenTrimmed(text[r[0]:r[1]])
		if err != nil {
			t.Fatalf("link %q: %v", text[r[0]:r[1]], err)
		}
		b.WriteString(text[pos:r[0]] + "[" + d.Dest + "]")
		pos = r[0] + n
		dests = append(dests, d.Dest)
	}
	b.WriteString(text[pos:])
	return b.String(), dests
}

func TestPostfixIntegration(t *testing.T) {
	needPostfix(t)
	km := newKensaMilter(t)
	pf := postfixtest.Start(t, postfixtest.Config{MilterAddr: "inet:" + km.addr, DefaultAction: "accept"})
	codec := km.codec()
	rcpt := []string{"taro@example.co.jp"}

	// The messages, sent one after another, each with its own ID.
	newsletter := withID("a", []byte("From: news@shop.example.jp\r\nTo: taro@example.co.jp\r\nSubject: news\r\nMessage-ID: <a@shop.example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+newsletterHTML(40)))
	isojp := withID("b", readFile(t, "../../testdata/rewrite/jp-iso2022jp-text.eml"))
	sjis := withID("c", readFile(t, "../../testdata/rewrite/jp-sjis-html-qp.eml"))
	mixed := withID("d", readFile(t, "../../testdata/rewrite/mixed-attachment.eml"))
	signed := withID("e", readFile(t, "../../testdata/rewrite/signed.eml"))
	big := withID("f", bigMessage(30<<20))
	manyFields := withID("h", manyFieldsMessage(10001))
	sent := map[string][]byte{"a": newsletter, "b": isojp, "c": sjis, "d": mixed, "e": signed, "f": big, "h": manyFields}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "h"} {
		pf.Send(t, "sender@example.top", rcpt, sent[id])
	}
	phish, _ := filepath.Glob(filepath.Join(corpus(t), "phish-mail", "*.eml"))
	if len(phish) < 20 {
		t.Fatalf("only %d phishing mails in the corpus", len(phish))
	}
	phish = phish[:20]
	for i, f := range phish {
		id := "g" + strconv.Itoa(i)
		sent[id] = withID(id, readFile(t, f))
		pf.Send(t, "sender@example.top", rcpt, sent[id])
	}
	got := byID(pf.WaitDeliveries(t, len(sent), 3*time.Minute))
	for id := range sent {
		if got[id] == nil {
			t.Fatalf("message %s was not delivered (maillog:\n%s)", id, pf.Maillog())
		}
	}

	t.Run("a newsletter: every link rewritten, kensa decode recovers it", func(t *testing.T) {
		hdr, body := split(got["a"])
		text, dests := openAll(t, codec, strings.ReplaceAll(string(body), "&amp;", "&"))
		_, origBody := split(postfixtest.Normalize(newsletter))
		if len(dests) != 40 || traceValue(hdr) != "40" {
			t.Fatalf("%d links opened, trace %q, want 40", len(dests), traceValue(hdr))
		}
		want := strings.ReplaceAll(string(origBody), "&amp;", "&")
		for i := 0; i < 40; i++ {
			u := fmt.Sprintf("https://shop.example.jp/item/%d?utm_source=mail&utm_campaign=nov", i)
			want = strings.Replace(want, `"`+u+`"`, `"[`+u+`]"`, 1)
		}
		if text != want {
			t.Errorf("text outside links changed")
		}
		// The admin's tool agrees.
		links := linktoken.Find(itBase, strings.ReplaceAll(string(body), "&amp;", "&"))
		for _, i := range []int{0, 17, 39} {
			l := strings.ReplaceAll(string(body), "&amp;", "&")[links[i][0]:links[i][1]]
			if u, err := km.decodeCLI(l); err != nil || u != dests[i] {
				t.Errorf("kensa decode %q = %q, %v; want %q", l, u, err, dests[i])
			}
		}
	})

	t.Run("b ISO-2022-JP text: Japanese unchanged, links stop where it begins", func(t *testing.T) {
		_, body := split(got["b"])
		_, origBody := split(postfixtest.Normalize(isojp))
		dec := func(b []byte) string {
			s, err := japanese.ISO2022JP.NewDecoder().Bytes(b)
			if err != nil {
				t.Fatal(err)
			}
			return string(s)
		}
		text, dests := openAll(t, codec, dec(body))
		orig := dec(origBody)
		if len(dests) != 4 {
			t.Fatalf("%d links, want 4:\n%s", len(dests), text)
		}
		orig = strings.NewReplacer(
			"https://sagawa-exp.example.top/login", "[https://sagawa-exp.example.top/login]",
			"https://www.sagawa-exp.co.jp/faq/", "[https://www.sagawa-exp.co.jp/faq/]",
			" www.sagawa-exp.co.jp。", " [http://www.sagawa-exp.co.jp]。",
			"https://support.example.jp/ticket?id=42&lang=ja", "[https://support.example.jp/ticket?id=42&lang=ja]",
		).Replace(orig)
		if text != orig {
			t.Errorf("decoded text differs:\n got %s\nwant %s", text, orig)
		}
		if !strings.Contains(text, "[https://sagawa-exp.example.top/login]からログイン") {
			t.Errorf("link did not stop before the Japanese text:\n%s", text)
		}
	})

	t.Run("c Shift_JIS HTML: links rewritten, text intact", func(t *testing.T) {
		hdr, body := split(got["c"])
		qp, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := japanese.ShiftJIS.NewDecoder().Bytes(qp)
		if err != nil {
			t.Fatal(err)
		}
		text, dests := openAll(t, codec, strings.ReplaceAll(string(s), "&amp;", "&"))
		if len(dests) != 5 || traceValue(hdr) != "5" {
			t.Fatalf("%d links, trace %q, want 5", len(dests), traceValue(hdr))
		}
		if !strings.Contains(text, "アカウントの確認が必要です") || !strings.Contains(text, "[https://amazon-co-jp.account-verify.example.top/signin?ref=mail&id=9]") {
			t.Errorf("Japanese text or link lost:\n%s", text)
		}
	})

	t.Run("d PDF attachment byte-identical, HTML attachment rewritten", func(t *testing.T) {
		orig := postfixtest.Normalize(mixed)
		start := bytes.Index(orig, []byte("--mixed5\nContent-Type: application/pdf"))
		end := bytes.Index(orig, []byte("--mixed5\nContent-Type: text/html"))
		if start < 0 || end < 0 || !bytes.Contains(got["d"], orig[start:end]) {
			t.Errorf("the PDF part is not byte-identical")
		}
		if bytes.Contains(got["d"], []byte(`href="https://attached.example.top/"`)) {
			t.Errorf("the HTML attachment's link was not rewritten")
		}
		if traceValue(got["d"]) != "2" || !bytes.Contains(got["d"], []byte(rewriter.AttachmentsHeader+": 1\n")) {
			t.Errorf("trace %q, want 2 and %s: 1", traceValue(got["d"]), rewriter.AttachmentsHeader)
		}
	})

	t.Run("e multipart/signed delivered unchanged", func(t *testing.T) {
		_, body := split(got["e"])
		_, orig := split(postfixtest.Normalize(signed))
		if !bytes.Equal(body, orig) {
			t.Errorf("signed body changed")
		}
	})

	t.Run("f 30 MB message delivered unchanged", func(t *testing.T) {
		hdr, body := split(got["f"])
		_, orig := split(postfixtest.Normalize(big))
		if !bytes.Equal(body, orig) || traceValue(hdr) != "" {
			t.Errorf("big message changed (%d bytes, want %d; trace %q)", len(body), len(orig), traceValue(hdr))
		}
		if !strings.Contains(km.log.String(), "larger than max_message_bytes") {
			t.Errorf("too-large pass-through not logged")
		}
	})

	t.Run("h 10,001 header fields before Content-Type: body read raw, link rewritten", func(t *testing.T) {
		hdr, body := split(got["h"])
		dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
		if err != nil {
			t.Fatalf("delivered body is not base64: %v", err)
		}
		text, dests := openAll(t, codec, string(dec))
		if len(dests) != 1 || dests[0] != "https://evil.example/login" || strings.Count(text, "https://") != 1 {
			t.Errorf("links %q in %q", dests, dec)
		}
		if !bytes.Contains(hdr, []byte("X-Kensa-Fallback: too-complex")) || traceValue(hdr) != "1" {
			t.Errorf("trace %q, no X-Kensa-Fallback: too-complex", traceValue(hdr))
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + km.metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{
			`kensa_milter_messages_total{outcome="passed_through",reason="too-large"} 1`,
			`kensa_milter_processing_seconds_count 27`,
			`kensa_milter_fallbacks_total{reason="too-complex"} 1`,
			"kensa_milter_links_rewritten_total ",
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})

	t.Run("g twenty phishing mails delivered, links rewritten", func(t *testing.T) {
		total := 0
		for i := range phish {
			id := "g" + strconv.Itoa(i)
			// What the rewriter does with this message on its own.
			var ref bytes.Buffer
			res, _ := rewriter.Rewrite(&ref, postfixtest.Normalize(sent[id]), rewriter.Options{Codec: codec})
			hdr, _ := split(got[id])
			if v := traceValue(hdr); v != strconv.Itoa(res.Links) {
				t.Errorf("%s (%s): trace %q, want %d", id, filepath.Base(phish[i]), v, res.Links)
			}
			total += res.Links
		}
		if total < 20 {
			t.Errorf("only %d links in twenty phishing mails", total)
		}
		t.Logf("%d links rewritten in %d phishing mails", total, len(phish))
	})

	t.Run("the queue ID on every message's log line, though Postfix skips MAIL and DATA for Kensa", func(t *testing.T) {
		n := 0
		for _, line := range strings.Split(km.log.String(), "\n") {
			var l struct {
				Msg     string `json:"msg"`
				QueueID string `json:"queue_id"`
			}
			if json.Unmarshal([]byte(line), &l) != nil || (l.Msg != "message rewritten" && l.Msg != "message has no links to rewrite") {
				continue
			}
			n++
			if l.QueueID == "" || !strings.Contains(pf.Maillog(), " "+l.QueueID+": ") {
				t.Errorf("queue ID %q is not one of Postfix's", l.QueueID)
			}
		}
		if n < len(sent)-3 { // the big, the signed and the many-fields messages log otherwise
			t.Errorf("%d message lines logged for %d messages", n, len(sent))
		}
	})
}

// TestPostfixMilterDown: Kensa stopped in the middle of a run. Postfix goes on
// delivering, unchanged (milter_default_action = accept); when Kensa comes
// back, rewriting resumes.
func TestPostfixMilterDown(t *testing.T) {
	needPostfix(t)
	km := newKensaMilter(t)
	pf := postfixtest.Start(t, postfixtest.Config{MilterAddr: "inet:" + km.addr, DefaultAction: "accept"})
	msg := func(id string) []byte {
		return withID(id, []byte("From: a@example.top\r\nTo: taro@example.co.jp\r\nSubject: "+id+"\r\n\r\nhttps://evil.example/"+id+"\r\n"))
	}
	pf.Send(t, "a@example.top", []string{"taro@example.co.jp"}, msg("before"))
	pf.WaitDeliveries(t, 1, time.Minute)
	km.kill()
	pf.Send(t, "a@example.top", []string{"taro@example.co.jp"}, msg("down1"))
	pf.Send(t, "a@example.top", []string{"taro@example.co.jp"}, msg("down2"))
	pf.WaitDeliveries(t, 3, time.Minute)
	km.start()
	pf.Send(t, "a@example.top", []string{"taro@example.co.jp"}, msg("after"))
	got := byID(pf.WaitDeliveries(t, 4, time.Minute))
	for id, wantRewritten := range map[string]bool{"before": true, "down1": false, "down2": false, "after": true} {
		m := got[id]
		if m == nil {
			t.Fatalf("%s not delivered", id)
		}
		rewritten := bytes.Contains(m, []byte(itBase+"/k/"))
		if rewritten != wantRewritten || (!wantRewritten && !bytes.Contains(m, []byte("https://evil.example/"+id))) {
			t.Errorf("%s: rewritten=%v, want %v:\n%s", id, rewritten, wantRewritten, m)
		}
	}
	// Postfix noticed the milter was gone and applied the default action.
	if !strings.Contains(pf.Maillog(), "connect to Milter service inet:"+km.addr) {
		t.Errorf("the maillog does not mention the unreachable milter")
	}
}

func corpus(t testing.TB) string {
	base := os.Getenv("KENSA_CORPUS")
	if base == "" {
		base = "../../../shared/corpus"
	}
	if _, err := os.Stat(base); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return base
}

func newsletterHTML(links int) string {
	var b strings.Builder
	b.WriteString("<html><body>\r\n")
	for i := 0; i < links; i++ {
		fmt.Fprintf(&b, "<p>お知らせ %d: <a href=\"https://shop.example.jp/item/%d?utm_source=mail&amp;utm_campaign=nov\">詳しくはこちら</a></p>\r\n", i, i)
	}
	b.WriteString("</body></html>\r\n")
	return b.String()
}

// bigMessage is a multipart message of about n bytes with a link in its text
// and a large attachment.
// manyFieldsMessage is issue 16's header attack: n filler fields, then the
// Content-Type of a base64 HTML body with a phishing link.
func manyFieldsMessage(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.top\r\nTo: taro@example.co.jp\r\nSubject: fields\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "X-Filler: %d\r\n", i)
	}
	html := `<html><body><a href="https://evil.example/login">Sign in</a></body></html>`
	b.WriteString("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString([]byte(html)) + "\r\n")
	return []byte(b.String())
}

func bigMessage(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: big@example.top\r\nTo: taro@example.co.jp\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nhttps://evil.example/big\r\n--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJDRA", 12) + "QUJD\r\n"
	for b.Len() < n {
		b.WriteString(line)
	}
	b.WriteString("--big--\r\n")
	return b.Bytes()
}

// BenchmarkPostfix sends the same 100 KB newsletter (about 300 links)
// through a private Postfix without a milter and with `kensa milter`, side by
// side: SMTP transaction latency (the milter runs before Postfix answers the
// DATA) and messages per second until all are delivered, 4 connections at a
// time. Run with -benchtime=Nx, N messages per setup.
func BenchmarkPostfix(b *testing.B) {
	needPostfix(b)
	for _, links := range []int{60, 300} {
		msg := []byte("From: news@shop.example.jp\r\nTo: taro@example.co.jp\r\nSubject: news\r\nMessage-ID: <bench@shop.example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + newsletterHTML(links))
		for len(msg) < 100<<10 {
			msg = append(msg, "<p>今月のおすすめ商品をご紹介します。季節の変わり目に合わせて、新しいコレクションが入荷しました。</p>\r\n"...)
		}
		for _, setup := range []string{"without-milter", "with-noop-milter", "with-kensa-milter"} {
			benchPostfix(b, msg, links, setup)
		}
	}
}

// benchPostfix runs one setup: no milter, a milter that accepts without
// looking (the same library and protocol conversation as kensa milter, in
// this process: what any milter costs Postfix), or `kensa milter`.
func benchPostfix(b *testing.B, msg []byte, links int, setup string) {
	{
		b.Run(fmt.Sprintf("%dlinks/%s", links, setup), func(b *testing.B) {
			cfg := postfixtest.Config{DefaultAction: "tempfail"}
			milterPid := 0
			switch setup {
			case "with-kensa-milter":
				km := newKensaMilter(b)
				cfg.MilterAddr = "inet:" + km.addr
				milterPid = km.cmd.Process.Pid
			case "with-noop-milter":
				f, err := milter.StartNoop("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(f.Close)
				cfg.MilterAddr = "inet:" + f.Addr().String()
			}
			pf := postfixtest.Start(b, cfg)
			n := b.N
			lat := make([]time.Duration, n)
			jobs := make(chan int)
			errs := make(chan error, n)
			b.SetBytes(int64(len(msg)))
			pfCPU0, milterCPU0, selfCPU0 := postfixCPU(pf.Dir), pidCPU(milterPid), pidCPU(os.Getpid())
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < 4; w++ {
				go func() {
					for i := range jobs {
						t0 := time.Now()
						errs <- smtp.SendMail(pf.SMTPAddr, nil, "news@shop.example.jp", []string{"taro@example.co.jp"}, msg)
						lat[i] = time.Since(t0)
					}
				}()
			}
			for i := 0; i < n; i++ {
				jobs <- i
			}
			close(jobs)
			for i := 0; i < n; i++ {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			pf.WaitDeliveries(b, n, 5*time.Minute)
			elapsed := time.Since(start)
			b.StopTimer()
			// CPU time per message (/proc, 10 ms ticks), which the load on
			// the shared cores does not change as it changes msgs/s.
			pf1 := postfixCPU(pf.Dir).sub(pfCPU0)
			perMsg := func(ticks int64) float64 { return float64(ticks) * 10 / float64(n) }
			b.ReportMetric(perMsg(pf1.total()), "postfix-cpu-ms/msg")
			b.ReportMetric(perMsg(pf1["cleanup"]), "cleanup-cpu-ms/msg")
			b.ReportMetric(perMsg(pf1["smtpd"]), "smtpd-cpu-ms/msg")
			if milterPid != 0 {
				b.ReportMetric(perMsg(pidCPU(milterPid)-milterCPU0), "milter-cpu-ms/msg")
			}
			// This process: the SMTP sender, the wait for deliveries and,
			// with-noop-milter, the no-op milter.
			b.ReportMetric(perMsg(pidCPU(os.Getpid())-selfCPU0), "bench-cpu-ms/msg")
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(lat[n*50/100].Microseconds())/1000, "smtp-p50-ms")
			b.ReportMetric(float64(lat[min(n-1, n*99/100)].Microseconds())/1000, "smtp-p99-ms")
		})
	}
}
