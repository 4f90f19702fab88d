package milter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	gomilter "github.com/d--j/go-milter"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter"
)

// Config configures the milter.
type Config struct {
	Codec  *linktoken.Codec
	Policy rewriter.Policy
	// TrustedAuthservID is the authserv-id of the Authentication-Results
	// fields this server's own DKIM verifier adds. Only those are believed.
	TrustedAuthservID string
	// SkipSignedBy lists domains whose mail is left alone when it carries a
	// DKIM signature that the trusted verifier reported as pass
	// (header.d=domain), so that their signatures stay valid.
	SkipSignedBy []string
	Log          *zap.Logger
	Metrics      *Metrics // may be nil
	// Rewritten, if set, is told of every message whose links were
	// rewritten (digest: what the links carry, hex): kensa milter records
	// it in Redis for the SOC's join of a click to its mail. It must not
	// block for long; it runs before the message is answered.
	Rewritten func(digest, messageID string, recipients []string, links int)
	now       func() time.Time
}

// Server is a running milter.
type Server struct {
	srv  *gomilter.Server
	ln   net.Listener
	done chan struct{}
	cfg  Config
	// maxBody is the most body bytes kept of one message; past it the
	// message is passed through unchanged.
	maxBody int64
	// noop accepts every message without looking, once it is read: the
	// benchmarks' baseline, the same protocol conversation without Kensa.
	noop bool
}

// Start listens on network ("tcp" or "unix") and address and serves
// connections until Shutdown.
func Start(network, address string, cfg Config) (*Server, error) {
	if cfg.Codec == nil {
		return nil, errors.New("milter: no codec")
	}
	return start(network, address, cfg, false)
}

func start(network, address string, cfg Config, noop bool) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &Server{cfg: cfg, noop: noop, done: make(chan struct{})}
	s.maxBody = cfg.Policy.MaxMessageBytes
	if s.maxBody <= 0 {
		s.maxBody = 100 << 20
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("milter: %w", err)
	}
	s.ln = ln
	s.srv = gomilter.NewServer(serverOptions(s)...)
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, gomilter.ErrServerClosed) {
			cfg.Log.Warn("milter server stopped", zap.Error(err))
		}
	}()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting connections and waits for the open ones to end,
// or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close stops the server at once.
func (s *Server) Close() { s.srv.Close() }

// decide is called once per message, at the end of DATA, after the whole
// message was read. It never fails: it accepts, or under on_unparsable:
// hold quarantines (Postfix: the hold queue) a message the rewriter could
// not read faithfully; the changes to send are left in msg.
func (s *Server) decide(msg *message) {
	start := s.cfg.now()
	log := s.cfg.Log.With(zap.String("queue_id", msg.queueID))
	outcome, reason := "passed_through", "internal-error"
	defer func() {
		if r := recover(); r != nil {
			log.Error("milter panic; message accepted unchanged", zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			outcome, reason = "passed_through", "internal-error"
			msg.resetChanges()
		}
		s.cfg.Metrics.observe(outcome, reason, s.cfg.now().Sub(start))
	}()
	var hold string
	outcome, reason, hold = s.process(msg, log)
	if hold != "" {
		msg.quarantine = "kensa: " + hold
	}
}

// process rewrites one message and says what happened, and why the message
// is to be held ("" when it is not).
func (s *Server) process(msg *message, log *zap.Logger) (outcome, reason, hold string) {
	var rcpts []string
	for _, r := range msg.rcpts {
		// QUIRK: the address arrives as the MTA sent it, angle brackets and all.
		rcpts = append(rcpts, strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r), "<"), ">"))
	}
	recipient := ""
	if len(rcpts) == 1 {
		recipient = rcpts[0]
	}
	if d, ok := s.signedBySkipped(msg); ok {
		log.Info("message accepted unchanged: DKIM-signed by a domain on skip_signed_by", zap.String("domain", d))
		s.addTrace(msg, "skipped=dkim")
		return "passed_through", "dkim-skip", ""
	}

	if !msg.hasBody {
		return "passed_through", "no-body", ""
	}
	raw := msg.raw()
	if max := s.cfg.Policy.MaxMessageBytes; msg.truncated || max > 0 && int64(len(raw)) >= max {
		// At the maximum the body was cut: it is not all here.
		log.Info("message accepted unchanged: larger than max_message_bytes", zap.Int("body_bytes", len(raw)-msg.hdrLen), zap.Int64("max", max))
		return "passed_through", "too-large", ""
	}

	newBody, res, err := rewriter.RewriteMessageBody(raw, rewriter.Options{
		Codec:     s.cfg.Codec,
		Recipient: recipient,
		Now:       s.cfg.now(),
		Policy:    s.cfg.Policy,
	})
	fields := []zap.Field{zap.Int("links", res.Links), zap.Int("recipients", len(rcpts))}
	if recipient == "" {
		fields = append(fields, zap.Strings("recipient_list", rcpts))
	}
	if err != nil {
		log.Warn("message accepted unchanged", append(fields, zap.String("reason", res.PassThrough), zap.Error(err))...)
		return "passed_through", res.PassThrough, ""
	}
	for _, pe := range res.PartErrors {
		log.Warn("text part left unchanged", zap.String("part", pe.Path), zap.Error(pe.Err))
	}
	for _, fb := range res.Fallbacks {
		log.Warn("fallback: could not parse or decode faithfully (see on_unparsable)", zap.String("part", fb.Path), zap.String("fallback", fb.Reason), zap.Error(fb.Err))
		s.cfg.Metrics.fallback(fb.Reason)
	}
	if sum := rewriter.FallbackSummary(res.Fallbacks); sum != "" {
		name := rewriter.FallbackHeader
		if p := s.cfg.Policy.OnUnparsable; p == rewriter.OnUnparsableTag || p == rewriter.OnUnparsableHold {
			name = rewriter.UnparsableHeader
		}
		msg.addField(name, sum)
		if res.Hold {
			hold = sum
			log.Warn("message quarantined (on_unparsable: hold)", zap.String("fallbacks", sum))
		}
	}
	s.cfg.Metrics.links(res.Links)
	if newBody == nil {
		s.addTrace(msg, "0")
		log.Info("message has no links to rewrite", fields...)
		return "unchanged", "", hold
	}
	for _, p := range res.Relabelled {
		if p == "" {
			// QUIRK: the message's own part grew a line longer than SMTP
			// allows and was re-encoded; its header must say so.
			msg.setField("Content-Transfer-Encoding", "quoted-printable")
		}
	}
	// The library sends the replacement in chunks as large as the MTA
	// takes (64 KiB with Postfix), read straight from the pieces.
	msg.replacement = newBody.Reader()
	s.addTrace(msg, strconv.Itoa(res.Links))
	if res.Attachments > 0 {
		msg.addField(rewriter.AttachmentsHeader, strconv.Itoa(res.Attachments))
	}
	if f := rewriter.FormsTrace(res); f != "" {
		msg.addField(rewriter.FormsHeader, f)
	}
	// The digest and Message-ID under the SOC's names (docs/siem.md): a
	// click's kensa.message_digest joins to this line.
	log.Info("message rewritten", append(fields, zap.Int("parts", res.Parts), zap.Any("skipped", res.Skipped), zap.Strings("relabelled_qp", res.Relabelled),
		zap.String("kensa.message_digest", res.MessageDigest), zap.String("email.message_id", res.MessageID), zap.Strings("email.to.address", rcpts))...)
	if s.cfg.Rewritten != nil && res.MessageDigest != "" {
		s.cfg.Rewritten(res.MessageDigest, res.MessageID, rcpts, res.Links)
	}
	return "rewritten", "", hold
}

func (s *Server) addTrace(msg *message, value string) {
	msg.addField(rewriter.TraceHeader, value)
}

// signedBySkipped reports whether the trusted verifier's
// Authentication-Results say dkim=pass for a domain on SkipSignedBy.
func (s *Server) signedBySkipped(msg *message) (string, bool) {
	if s.cfg.TrustedAuthservID == "" || len(s.cfg.SkipSignedBy) == 0 {
		return "", false
	}
	for _, f := range msg.fields {
		if f.canonical != "Authentication-Results" {
			continue
		}
		for _, d := range dkimPassDomains(unfold(f.value()), s.cfg.TrustedAuthservID) {
			for _, want := range s.cfg.SkipSignedBy {
				if strings.EqualFold(d, want) {
					return d, true
				}
			}
		}
	}
	return "", false
}

// dkimPassDomains parses an Authentication-Results value (RFC 8601) from
// authservID and returns the header.d of every dkim=pass result. It is a
// small reader for the one thing Kensa needs; results from any other
// authserv-id are ignored, since anyone can write such a field.
//
// Comments go first: a ';' inside one ("dkim=fail (x; dkim=pass
// header.d=bank.example)") must not start a result of its own, or a sender
// writes the pass that makes Kensa skip their mail.
func dkimPassDomains(value, authservID string) []string {
	parts := strings.Split(stripComments(value), ";")
	id := strings.TrimSpace(parts[0])
	if i := strings.IndexAny(id, " \t"); i >= 0 {
		id = id[:i] // an optional version follows the authserv-id
	}
	if !strings.EqualFold(id, authservID) {
		return nil
	}
	var out []string
	for _, res := range parts[1:] {
		words := strings.Fields(res)
		if len(words) == 0 || !strings.EqualFold(words[0], "dkim=pass") {
			continue
		}
		for _, w := range words[1:] {
			if k, v, ok := strings.Cut(w, "="); ok && strings.EqualFold(k, "header.d") {
				out = append(out, strings.Trim(v, `"`))
			}
		}
	}
	return out
}

// stripComments drops RFC 5322 comments (nested, and running to the end
// when unclosed) and blanks the ';' inside quoted strings, so that neither
// starts a result of its own.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				if r == ';' {
					r = ' '
				}
				b.WriteRune(r)
			}
		case r == '\\' && (quoted || depth > 0):
			escaped = true
			if depth == 0 {
				b.WriteRune(r)
			}
		case quoted:
			if r == '"' {
				quoted = false
			} else if r == ';' {
				r = ' '
			}
			b.WriteRune(r)
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == '"':
			quoted = true
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
