package milter

import (
	"errors"
	"io"
	"net/textproto"
	"strings"
	"sync"
	"time"

	gomilter "github.com/d--j/go-milter"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/rewriter"
)

// The protocol conversation, written against go-milter's Milter interface
// rather than its mailfilter package, because mailfilter decides the
// negotiation itself and asks for every step of the SMTP transaction: the
// MTA sent connect, HELO, MAIL and DATA, each with its macros, and waited
// for the milter's reply to MAIL and to DATA. Kensa reads none of them.
// Here the milter asks the MTA (protocol version 6, which Postfix and
// Sendmail honour) to skip them, to expect no reply to RCPT, the header
// fields, the end of the header and the body chunks, and to send only the
// queue ID as macro: Postfix then waits on the milter once per message, at
// its end.

// protocol is what the milter asks the MTA for. The "no reply" flags of
// the skipped steps count only with an MTA that offers no way to skip
// them (the server keeps just the flags the MTA offers).
const protocol = gomilter.OptHeaderLeadingSpace | gomilter.OptNoUnknown |
	gomilter.OptNoConnect | gomilter.OptNoHelo | gomilter.OptNoMailFrom | gomilter.OptNoData |
	gomilter.OptNoConnReply | gomilter.OptNoHeloReply | gomilter.OptNoMailReply | gomilter.OptNoDataReply |
	gomilter.OptNoRcptReply | gomilter.OptNoHeaderReply | gomilter.OptNoEOHReply | gomilter.OptNoBodyReply

// actions are the changes the milter may make: header fields added or
// changed, the body replaced, the message quarantined.
const actions = gomilter.OptAddHeader | gomilter.OptChangeHeader | gomilter.OptChangeBody | gomilter.OptQuarantine

func serverOptions(s *Server) []gomilter.Option {
	queueID := []gomilter.MacroName{gomilter.MacroQueueId}
	return []gomilter.Option{
		gomilter.WithDynamicMilter(func(_ uint32, _ gomilter.OptAction, p gomilter.OptProtocol, _ gomilter.DataSize) gomilter.Milter {
			return &conn{s: s, leadingSpace: p&gomilter.OptHeaderLeadingSpace != 0}
		}),
		gomilter.WithActions(actions),
		gomilter.WithProtocols(protocol),
		// Postfix sends its milter_*_macros at a stage the milter asks
		// nothing of; every stage it still sends gets the queue ID alone.
		gomilter.WithMacroRequest(gomilter.StageRcpt, queueID),
		gomilter.WithMacroRequest(gomilter.StageEOH, queueID),
		gomilter.WithMacroRequest(gomilter.StageEOM, queueID),
	}
}

// conn is the milter's side of one MTA connection: it collects one message
// at a time, and at its end rewrites it and sends the changes.
type conn struct {
	gomilter.NoOpMilter
	s            *Server
	leadingSpace bool
	msg          message
}

// field is a header field as the MTA sent it.
type field struct {
	canonical string
	raw       string // "Name:value", value with its leading space
	nameLen   int
}

func (f field) value() string { return f.raw[f.nameLen+1:] }

// message is one message being read, and the changes decide made to it.
type message struct {
	rcpts   []string
	queueID string
	fields  []field
	nFields int // fields sent, kept or not
	// buf is the header (each field and CRLF, then CRLF) and then the
	// body, as the rewriter takes them, once the header has ended.
	buf       []byte
	hdrLen    int
	hasBody   bool
	truncated bool

	// Changes, sent in this order: the field changed (canonical name and
	// new value), the fields added, the replacement body, the quarantine.
	set         [2]string
	added       [][2]string
	replacement io.Reader
	quarantine  string
}

// maxFields is the most header fields kept: one more than the rewriter
// accepts, so that a longer header reaches it as too long (and its body is
// read raw), never cut silently before a Content-Type it would then not
// see (issue 16).
const maxFields = rewriter.MaxHeaderFields + 1

// bufPool holds message buffers of up to maxPooled bytes for the next
// message: most mail is well under that, and a buffer grown anew for each
// message was most of the bytes the milter allocated.
var bufPool sync.Pool

const maxPooled = 4 << 20

func (m *message) reset() {
	if m.buf != nil && cap(m.buf) <= maxPooled {
		b := m.buf[:0]
		bufPool.Put(&b)
	}
	*m = message{rcpts: m.rcpts[:0], fields: m.fields[:0], added: m.added[:0]}
}

func (m *message) resetChanges() {
	m.set, m.added, m.replacement, m.quarantine = [2]string{}, m.added[:0], nil, ""
}

// raw is the header and the body in one slice.
func (m *message) raw() []byte { return m.buf }

// addField adds a header field at the end.
func (m *message) addField(name, value string) {
	m.added = append(m.added, [2]string{name, value})
}

// setField changes the first header field called name, or adds one.
func (m *message) setField(name, value string) {
	canonical := textproto.CanonicalMIMEHeaderKey(name)
	for _, f := range m.fields {
		if f.canonical == canonical {
			m.set = [2]string{canonical, value}
			return
		}
	}
	m.addField(name, value)
}

// NewConnection is called once the connection is negotiated.
func (c *conn) NewConnection(gomilter.Modifier) error {
	c.msg.reset()
	return nil
}

// RcptTo records a recipient. The MTA expects no reply.
func (c *conn) RcptTo(rcptTo, _ string, m gomilter.Modifier) (*gomilter.Response, error) {
	c.msg.rcpts = append(c.msg.rcpts, rcptTo)
	if c.msg.queueID == "" {
		c.msg.queueID = m.Get(gomilter.MacroQueueId)
	}
	return gomilter.RespContinue, nil
}

// Header records a header field. The MTA expects no reply.
func (c *conn) Header(name, value string, _ gomilter.Modifier) (*gomilter.Response, error) {
	if c.msg.nFields++; c.msg.nFields > maxFields {
		return gomilter.RespContinue, nil
	}
	name = strings.Trim(name, " \t\r\n")
	if name == "" {
		c.s.cfg.Log.Warn("header field without a name skipped", zap.String("queue_id", c.msg.queueID))
		return gomilter.RespContinue, nil
	}
	// QUIRK: an MTA that did not agree to keep the space after the colon
	// (Sendmail) swallows it; put it back, unless the value starts with a
	// tab, to rebuild the field as the client sent it.
	if !c.leadingSpace && (value == "" || value[0] != '\t') {
		value = " " + value
	}
	c.msg.fields = append(c.msg.fields, field{canonical: textproto.CanonicalMIMEHeaderKey(name), raw: name + ":" + value, nameLen: len(name)})
	return gomilter.RespContinue, nil
}

// Headers is the end of the header: the fields go into the message buffer
// the body is appended to. The MTA expects no reply.
func (c *conn) Headers(gomilter.Modifier) (*gomilter.Response, error) {
	n := 2
	for _, f := range c.msg.fields {
		n += len(f.raw) + 2
	}
	var buf []byte
	if p, ok := bufPool.Get().(*[]byte); ok && cap(*p) >= n {
		buf = (*p)[:0]
	} else {
		buf = make([]byte, 0, max(n, 64<<10))
	}
	for _, f := range c.msg.fields {
		buf = append(buf, f.raw...)
		buf = append(buf, "\r\n"...)
	}
	c.msg.buf = append(buf, "\r\n"...)
	c.msg.hdrLen = len(c.msg.buf)
	return gomilter.RespContinue, nil
}

// BodyChunk appends a piece of the body, up to the most kept. The MTA
// expects no reply.
func (c *conn) BodyChunk(chunk []byte, _ gomilter.Modifier) (*gomilter.Response, error) {
	if c.msg.buf == nil { // no end of header (an MTA that skipped it)
		c.Headers(nil)
	}
	c.msg.hasBody = true
	room := c.s.maxBody - int64(len(c.msg.buf)-c.msg.hdrLen)
	if int64(len(chunk)) > room {
		chunk = chunk[:max(room, 0)]
		c.msg.truncated = true
	}
	c.msg.buf = append(c.msg.buf, chunk...)
	return gomilter.RespContinue, nil
}

// EndOfMessage rewrites the message and sends the changes, then accepts.
// Nothing here rejects or tempfails a message (see decide).
func (c *conn) EndOfMessage(m gomilter.Modifier) (*gomilter.Response, error) {
	defer c.msg.reset()
	if c.msg.buf == nil {
		c.Headers(nil)
	}
	if id := m.Get(gomilter.MacroQueueId); id != "" {
		c.msg.queueID = id
	}
	if c.s.noop {
		return gomilter.RespAccept, nil
	}
	c.decideWithProgress(m)
	if err := c.sendChanges(m); err != nil {
		// The connection to the MTA broke: nothing more can be said.
		return nil, err
	}
	return gomilter.RespAccept, nil
}

// decideWithProgress runs decide and, while it runs for longer than a
// second (a Rewritten callback waiting on Redis), tells the MTA every
// second that the milter is still at work, so it does not time out.
func (c *conn) decideWithProgress(m gomilter.Modifier) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.s.decide(&c.msg)
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if err := m.Progress(); err != nil && !errors.Is(err, gomilter.ErrVersionTooLow) {
				c.s.cfg.Log.Warn("progress to the MTA failed", zap.String("queue_id", c.msg.queueID), zap.Error(err))
				<-done
				return
			}
		}
	}
}

// sendChanges sends what decide changed: a header field changed, fields
// added at the end, the new body, the quarantine.
func (c *conn) sendChanges(m gomilter.Modifier) error {
	msg := &c.msg
	changed := 0
	if msg.set[0] != "" {
		for _, f := range msg.fields {
			if f.canonical == msg.set[0] {
				// The first field of that name (index 1), its name as sent.
				if err := m.ChangeHeader(1, f.raw[:f.nameLen], " "+msg.set[1]); err != nil {
					return err
				}
				changed = 1
				break
			}
		}
	}
	// An index past the last field appends; with Sendmail, whose hidden
	// header fields count, only a large one does.
	at := len(msg.fields) + 1 + changed + 100
	for _, a := range msg.added {
		if err := m.InsertHeader(at, a[0], " "+a[1]); err != nil {
			return err
		}
	}
	if msg.replacement != nil {
		if err := m.ReplaceBody(msg.replacement); err != nil {
			return err
		}
	}
	if msg.quarantine != "" {
		if err := m.Quarantine(msg.quarantine); err != nil {
			return err
		}
	}
	return nil
}

// Abort forgets the message; the connection may carry another.
func (c *conn) Abort(gomilter.Modifier) error {
	c.msg.reset()
	return nil
}

// Cleanup is called when the connection ends.
func (c *conn) Cleanup(gomilter.Modifier) {
	c.msg.reset()
}

// unfold replaces each line break and the white space after it with one
// space.
func unfold(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
			c = '\n'
		}
		if c != '\n' {
			b.WriteByte(c)
			continue
		}
		for i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t' || s[i+1] == '\r' || s[i+1] == '\n' || s[i+1] == '\f') {
			i++
		}
		b.WriteByte(' ')
	}
	return b.String()
}
