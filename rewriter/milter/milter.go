package milter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/d--j/go-milter/mailfilter"
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
	f   *mailfilter.MailFilter
	cfg Config
}

// Start listens on network ("tcp" or "unix") and address and serves
// connections until Shutdown.
func Start(network, address string, cfg Config) (*Server, error) {
	if cfg.Codec == nil {
		return nil, errors.New("milter: no codec")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &Server{cfg: cfg}
	maxBody := cfg.Policy.MaxMessageBytes
	if maxBody <= 0 {
		maxBody = 100 << 20
	}
	f, err := mailfilter.New(network, address, s.decide,
		mailfilter.WithDecisionAt(mailfilter.DecisionAtEndOfMessage),
		// Bodies up to 1 MiB stay in memory, larger ones go to a temporary
		// file. Past the maximum the body is truncated (never rejected) and
		// decide passes the message through unchanged.
		mailfilter.WithBody(1<<20, maxBody, mailfilter.TruncateWhenTooBig),
		// One field more than the rewriter accepts: a longer header
		// reaches it as too long (and its body is read raw), never cut
		// silently before a Content-Type it would then not see (issue 16).
		mailfilter.WithHeader(rewriter.MaxHeaderFields+1, mailfilter.TruncateWhenTooBig),
		mailfilter.WithErrorHandling(mailfilter.AcceptWhenError),
	)
	if err != nil {
		return nil, fmt.Errorf("milter: %w", err)
	}
	s.f = f
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.f.Addr() }

// Shutdown stops accepting connections and waits for the open ones to end,
// or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.f.Shutdown(ctx) }

// Close stops the server at once.
func (s *Server) Close() { s.f.Close() }

// decide is called once per message, at the end of DATA. It accepts, or
// under on_unparsable: hold quarantines (Postfix: the hold queue) a message
// the rewriter could not read faithfully.
func (s *Server) decide(ctx context.Context, trx mailfilter.Trx) (d mailfilter.Decision, err error) {
	start := s.cfg.now()
	log := s.cfg.Log.With(zap.String("queue_id", trx.QueueId()))
	outcome, reason := "passed_through", "internal-error"
	decision := mailfilter.Decision(mailfilter.Accept)
	defer func() {
		if r := recover(); r != nil {
			log.Error("milter panic; message accepted unchanged", zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			outcome, reason = "passed_through", "internal-error"
			decision = mailfilter.Accept
		}
		s.cfg.Metrics.observe(outcome, reason, s.cfg.now().Sub(start))
		d, err = decision, nil
	}()
	var hold string
	outcome, reason, hold = s.process(trx, log)
	if hold != "" {
		decision = mailfilter.QuarantineResponse("kensa: " + hold)
	}
	return decision, nil
}

// process rewrites one message through trx and says what happened, and why
// the message is to be held ("" when it is not).
func (s *Server) process(trx mailfilter.Trx, log *zap.Logger) (outcome, reason, hold string) {
	var rcpts []string
	for _, r := range trx.RcptTos() {
		// QUIRK: the address arrives as the MTA sent it, angle brackets and all.
		rcpts = append(rcpts, strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.Addr), "<"), ">"))
	}
	recipient := ""
	if len(rcpts) == 1 {
		recipient = rcpts[0]
	}
	if d, ok := s.signedBySkipped(trx); ok {
		log.Info("message accepted unchanged: DKIM-signed by a domain on skip_signed_by", zap.String("domain", d))
		s.addTrace(trx, "skipped=dkim")
		return "passed_through", "dkim-skip", ""
	}

	msg, hdrLen, err := readMessage(trx)
	if err != nil {
		log.Error("reading the message failed; message accepted unchanged", zap.Error(err))
		return "passed_through", "internal-error", ""
	}
	if msg == nil {
		return "passed_through", "no-body", ""
	}
	if max := s.cfg.Policy.MaxMessageBytes; max > 0 && int64(len(msg)) >= max {
		// At the maximum the library may have truncated the body.
		log.Info("message accepted unchanged: larger than max_message_bytes", zap.Int("body_bytes", len(msg)-hdrLen), zap.Int64("max", max))
		return "passed_through", "too-large", ""
	}

	newBody, res, err := rewriter.RewriteMessageBody(msg, rewriter.Options{
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
		trx.Headers().Add(name, sum)
		if res.Hold {
			hold = sum
			log.Warn("message quarantined (on_unparsable: hold)", zap.String("fallbacks", sum))
		}
	}
	s.cfg.Metrics.links(res.Links)
	if newBody == nil {
		s.addTrace(trx, "0")
		log.Info("message has no links to rewrite", fields...)
		return "unchanged", "", hold
	}
	for _, p := range res.Relabelled {
		if p == "" {
			// QUIRK: the message's own part grew a line longer than SMTP
			// allows and was re-encoded; its header must say so.
			trx.Headers().Set("Content-Transfer-Encoding", "quoted-printable")
		}
	}
	// The library sends the replacement in chunks as large as the MTA
	// takes (64 KiB with Postfix), read straight from the pieces.
	trx.ReplaceBody(newBody.Reader())
	s.addTrace(trx, strconv.Itoa(res.Links))
	if res.Attachments > 0 {
		trx.Headers().Add(rewriter.AttachmentsHeader, strconv.Itoa(res.Attachments))
	}
	if f := rewriter.FormsTrace(res); f != "" {
		trx.Headers().Add(rewriter.FormsHeader, f)
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

// readMessage returns the header (with the blank line that ends it) and
// the body in one slice, as the rewriter takes them, read with one
// allocation of the right size; and the header's length. msg is nil when
// there is no body.
func readMessage(trx mailfilter.Trx) (msg []byte, hdrLen int, err error) {
	body := trx.Body()
	if body == nil {
		return nil, 0, nil
	}
	size, err := body.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	var hdr bytes.Buffer
	if _, err := hdr.ReadFrom(trx.Headers().Reader()); err != nil {
		return nil, 0, err
	}
	msg = make([]byte, hdr.Len()+int(size))
	copy(msg, hdr.Bytes())
	if _, err := io.ReadFull(body, msg[hdr.Len():]); err != nil {
		return nil, 0, err
	}
	return msg, hdr.Len(), nil
}

func (s *Server) addTrace(trx mailfilter.Trx, value string) {
	trx.Headers().Add(rewriter.TraceHeader, value)
}

// signedBySkipped reports whether the trusted verifier's
// Authentication-Results say dkim=pass for a domain on SkipSignedBy.
func (s *Server) signedBySkipped(trx mailfilter.Trx) (string, bool) {
	if s.cfg.TrustedAuthservID == "" || len(s.cfg.SkipSignedBy) == 0 {
		return "", false
	}
	fields := trx.Headers().Fields()
	for fields.Next() {
		if fields.CanonicalKey() != "Authentication-Results" {
			continue
		}
		for _, d := range dkimPassDomains(fields.UnfoldedValue(), s.cfg.TrustedAuthservID) {
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
