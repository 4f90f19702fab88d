package postfixtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Postfix's Received header for one recipient (see the package doc).
var receivedRE = regexp.MustCompile(`\AReceived: from client\.kensa\.test \(unknown \[127\.0\.0\.1\]\)\n` +
	`\tby mx\.kensa\.test \(Postfix\) with ESMTP id [0-9A-Z]+\n` +
	`\tfor <([^>]+)>; [A-Z][a-z]{2}, [ 0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4} \(UTC\)\n`)

// smallMessage has what a careless pipeline would damage: dot lines, a
// 5000-byte line, 8-bit UTF-8, swaks' %TOKENS% and a literal backslash-n,
// a bare CR, LF-only line ends next to CRLF ones, no final line end.
func smallMessage(id string) []byte {
	return []byte("From: Alice <a@sender.test>\r\n" +
		"To: b@rcpt.test\r\n" +
		"Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n" +
		"Message-ID: <" + id + "@sender.test>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"hello http://evil.example/x world\r\n" +
		".leading dot\r\n" +
		"..two dots\r\n" +
		".\r\n" +
		"日本語のリンク https://example.co.jp/パス\n" +
		"%DATE% %FROM_ADDRESS% literal \\n stays\n" +
		"bare\rcr\r\n" +
		strings.Repeat("long", 1250) + "\r\n" +
		"\r\n" +
		"last line without line end")
}

// bigMessage is about size bytes of 76-column base64-looking text with
// links, some lines starting with a dot.
func bigMessage(id string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 100)
	b.WriteString("From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: big\r\n" +
		"Message-ID: <" + id + "@sender.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n")
	r := rand.New(rand.NewPCG(1, 2))
	block := make([]byte, 57*4099) // lines repeat only every 4099
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	text := base64.StdEncoding.EncodeToString(block)
	for i := 0; b.Len() < size; i++ {
		switch {
		case i%1000 == 0:
			fmt.Fprintf(&b, ".dot line %d http://evil.example/%d\r\n", i, i)
		case i%97 == 0:
			fmt.Fprintf(&b, "see https://link%d.example/path?q=%d\r\n", i, i)
		default:
			off := (i % 4099) * 76
			b.WriteString(text[off : off+76])
			b.WriteString("\r\n")
		}
	}
	return b.Bytes()
}

func byMessageID(t *testing.T, ds []Delivery, id string) Delivery {
	t.Helper()
	for _, d := range ds {
		if bytes.Contains(d.Message, []byte("\nMessage-ID: <"+id+"@sender.test>\n")) {
			return d
		}
	}
	t.Fatalf("no delivered message has Message-ID <%s@sender.test>", id)
	return Delivery{}
}

// checkUnchanged: the delivery is Postfix's Received header followed by
// exactly what was sent (in LF form), to the envelope given.
func checkUnchanged(t *testing.T, d Delivery, sent []byte, from string, to []string) {
	t.Helper()
	m := receivedRE.FindSubmatch(d.Message)
	if m == nil {
		t.Errorf("%s: message does not start with Postfix's Received header:\n%.400s", d.File, d.Message)
	} else if len(to) == 1 && string(m[1]) != to[0] {
		t.Errorf("%s: Received header is for <%s>, want <%s>", d.File, m[1], to[0])
	}
	got, want := StripReceived(d.Message), Normalize(sent)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(i-80, 0)
		t.Errorf("%s: delivered message (%d bytes) differs from the sent one (%d bytes, normalized) at byte %d:\n got: %q\nwant: %q",
			d.File, len(got), len(want), i, got[lo:min(i+80, len(got))], want[lo:min(i+80, len(want))])
	}
	if d.MailFrom != from || !slices.Equal(d.Rcpts, to) {
		t.Errorf("%s: envelope %q -> %q, want %q -> %q", d.File, d.MailFrom, d.Rcpts, from, to)
	}
	if !bytes.HasSuffix(d.Raw, append(slices.Clone(d.Message), '\n')) || !bytes.HasPrefix(d.Raw, []byte("X-Client-Addr: 127.0.0.1\n")) {
		t.Errorf("%s: capture file is not smtp-sink's records + message + empty line", d.File)
	}
}

func TestDeliverUnchanged(t *testing.T) {
	p := Start(t, Config{})
	small, big := smallMessage("small"), bigMessage("big", 30_000_000)
	from, to := "a@sender.test", []string{"b@rcpt.test"}

	start := time.Now()
	p.Send(t, from, to, small)
	p.Send(t, from, to, big)
	ds := p.WaitDeliveries(t, 2, 3*time.Minute)
	t.Logf("sent and delivered %d + %d bytes in %v", len(small), len(big), time.Since(start).Round(time.Millisecond))
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	checkUnchanged(t, byMessageID(t, ds, "small"), small, from, to)
	checkUnchanged(t, byMessageID(t, ds, "big"), big, from, to)
	if got := p.Delivered(); len(got) != 2 || !bytes.Equal(got[0], ds[0].Message) {
		t.Errorf("Delivered() disagrees with Deliveries()")
	}
	p.Flush(t) // nothing deferred; it must just work
	if log := p.Maillog(); strings.Count(log, "status=sent") != 2 {
		t.Errorf("maillog has %d status=sent lines, want 2:\n%s", strings.Count(log, "status=sent"), tail(log, 20))
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A milter that cannot be reached with milter_default_action = accept:
// Postfix logs it and delivers the message unchanged.
func TestMilterDownAccept(t *testing.T) {
	milter := "inet:" + closedPort(t)
	p := Start(t, Config{MilterAddr: milter, DefaultAction: "accept"})
	msg := smallMessage("accept")
	p.Send(t, "a@sender.test", []string{"b@rcpt.test"}, msg)
	ds := p.WaitDeliveries(t, 1, time.Minute)
	checkUnchanged(t, ds[0], msg, "a@sender.test", []string{"b@rcpt.test"})
	p.WaitLog(t, "connect to Milter service "+milter+": Connection refused", 10*time.Second)
}

// With milter_default_action = tempfail the SMTP client gets the 4xx and
// Postfix queues nothing: a retry is the client's business, not Flush's.
func TestMilterDownTempfail(t *testing.T) {
	milter := "inet:" + closedPort(t)
	p := Start(t, Config{MilterAddr: milter, DefaultAction: "tempfail"})
	err := p.SendErr("a@sender.test", []string{"b@rcpt.test"}, smallMessage("tempfail"))
	if err == nil || !strings.Contains(err.Error(), "451 4.7.1") {
		t.Fatalf("SendErr = %v, want a 451 4.7.1 refusal", err)
	}
	p.WaitLog(t, "milter-reject", 10*time.Second)
	if n := len(p.Deliveries()); n != 0 {
		t.Errorf("%d deliveries, want none", n)
	}
}

// RecipientLimit 1: each recipient is its own SMTP transaction (so its own
// milter run) and its own delivery.
func TestRecipientLimit(t *testing.T) {
	p := Start(t, Config{RecipientLimit: 1})
	msg := smallMessage("rcpt")
	rcpts := []string{"b@rcpt.test", "c@rcpt.test"}
	p.Send(t, "", rcpts, msg)
	ds := p.WaitDeliveries(t, 2, time.Minute)
	var got []string
	for _, d := range ds {
		if len(d.Rcpts) != 1 {
			t.Fatalf("%s: recipients %q, want one", d.File, d.Rcpts)
		}
		checkUnchanged(t, d, msg, "", d.Rcpts)
		got = append(got, d.Rcpts[0])
	}
	slices.Sort(got)
	if !slices.Equal(got, rcpts) {
		t.Errorf("delivered to %q, want %q", got, rcpts)
	}
}
