package rewriter

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/domain"
	"github.com/kensa-mail/kensa/rewriter/unwrap"
)

// TraceHeader is the header field Kensa adds to every message it processed,
// with the number of links it rewrote.
const TraceHeader = "X-Kensa-Links"

// FormsHeader is added next to TraceHeader when HTML forms were neutralised
// (their actions point at Kensa links, docs/mail-forms.md): "N" forms, and
// "N; password" when the message holds a password field.
const FormsHeader = "X-Kensa-Forms"

// FormsTrace is FormsHeader's value for res, or "" when it is not added.
func FormsTrace(res Result) string {
	switch {
	case res.PasswordField:
		return strconv.Itoa(res.Forms) + "; password"
	case res.Forms > 0:
		return strconv.Itoa(res.Forms)
	}
	return ""
}

// AttachmentsHeader is added next to TraceHeader when links in attachments
// (HTML, SVG, calendar) were rewritten, with the number of such attachments.
const AttachmentsHeader = "X-Kensa-Attachments"

// Options are the inputs of one rewrite.
type Options struct {
	Codec *linktoken.Codec // signs links; required
	// Recipient is the envelope recipient when the message has exactly one.
	// Links then carry it (encrypted). Leave empty otherwise.
	Recipient string
	Now       time.Time // issue time written into links; zero means time.Now()
	Policy    Policy

	omitTrace bool // RewriteBody: the caller adds the trace header
}

// Policy is the part of the configuration that decides what is rewritten.
type Policy struct {
	// NeverRewrite lists domains whose links stay as they are (the
	// organisation's own). A domain matches itself and its subdomains.
	NeverRewrite []string `yaml:"never_rewrite"`
	// MaxMessageBytes: larger messages pass through unchanged. 0 means no limit.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// OnUnparsable says what happens where the rewriter cannot parse a
	// message's structure, or decode a part: "rewrite-raw" (the default,
	// also for "") rewrites the links it finds there best effort; "tag"
	// leaves those bytes alone and adds UnparsableHeader; "hold" does as
	// "tag" and sets Result.Hold, so that the caller holds the message
	// (the milter quarantines it). Either way the rest is rewritten.
	OnUnparsable string `yaml:"on_unparsable"`
	// RewriteAttachments rewrites the links in HTML and SVG attachments
	// and in calendar (.ics) attachments, which a reader opens in a
	// browser or a calendar. nil means true; false leaves every attachment
	// byte for byte as it is (inline calendar invites are still rewritten).
	RewriteAttachments *bool `yaml:"rewrite_attachments"`
}

// rewriteAttachments reports whether attachments are rewritten (the default).
func (p Policy) rewriteAttachments() bool {
	return p.RewriteAttachments == nil || *p.RewriteAttachments
}

// Validate reports every problem in the policy.
func (p Policy) Validate() error {
	var errs []error
	for _, d := range p.NeverRewrite {
		if !strings.Contains(d, ".") || strings.ContainsAny(d, " /:@*") {
			errs = append(errs, fmt.Errorf("never_rewrite: %q is not a domain name (write example.co.jp; subdomains match too)", d))
		}
	}
	if p.MaxMessageBytes < 0 {
		errs = append(errs, errors.New("max_message_bytes must not be negative"))
	}
	switch p.OnUnparsable {
	case "", OnUnparsableRewriteRaw, OnUnparsableTag, OnUnparsableHold:
	default:
		errs = append(errs, fmt.Errorf("on_unparsable: %q is not one of rewrite-raw, tag, hold", p.OnUnparsable))
	}
	return errors.Join(errs...)
}

// Result says what a rewrite did.
type Result struct {
	Links int // links rewritten
	Parts int // text parts changed
	// Attachments counts the attachments (HTML, SVG, calendar) whose links
	// were rewritten, Calendars the calendar parts (inline or attached).
	// Both are also counted in Parts.
	Attachments, Calendars int
	// Forms counts HTML forms whose action now points at a Kensa link
	// (docs/mail-forms.md); PasswordForms those of them with a password field.
	Forms, PasswordForms int
	// PasswordField is set when an HTML part holds a password field (in a
	// form or not, its action rewritten or not). Every link the rewrite
	// signed then carries linktoken.FlagPasswordForm.
	PasswordField bool
	// MessageID is the message's Message-ID field, and MessageDigest the
	// hex digest of it that every link carries (empty without one): the
	// caller logs both so that a click joins to its mail (docs/siem.md).
	MessageID, MessageDigest string
	// Skipped counts links that were left alone, by reason
	// ("already-kensa", "never-rewrite", "bad-url", ...).
	Skipped map[string]int
	// PartErrors lists text parts passed through unchanged, and why: since
	// issue 16 only under on_unparsable: tag or hold (see Fallbacks).
	PartErrors []PartError
	// Fallbacks lists where the message or a part could not be read
	// faithfully and links were found best effort (or, under
	// on_unparsable: tag or hold, left alone). Callers log and count each.
	Fallbacks []Fallback
	// Hold is set under on_unparsable: hold when there was a fallback: the
	// caller should hold the message rather than deliver it.
	Hold bool
	// Relabelled lists parts whose transfer encoding was changed to
	// quoted-printable because a rewritten line would exceed 998 octets.
	// Their Content-Transfer-Encoding field was changed accordingly.
	Relabelled []string
	// HeaderAdded is true when the trace header was added.
	HeaderAdded bool
	// PassThrough is set when the whole message was passed through unchanged.
	PassThrough string
}

// PartError is a text part that could not be rewritten.
type PartError struct {
	Path string // MIME part path, "1.2"; "" for the message itself
	Err  error
}

func (r *Result) count(reason string) { r.Skipped[reason]++ }

// PassThroughError is returned by Rewrite when it copied the message
// unchanged (it is not fatal: the output is complete).
type PassThroughError struct {
	Reason string // "too-large", "unparsable", "internal-error"
	Err    error
}

func (e *PassThroughError) Error() string {
	if e.Err != nil {
		return "rewriter: message passed through unchanged (" + e.Reason + "): " + e.Err.Error()
	}
	return "rewriter: message passed through unchanged (" + e.Reason + ")"
}

func (e *PassThroughError) Unwrap() error { return e.Err }

// IsPassThrough reports whether err only says that the message was copied
// unchanged.
func IsPassThrough(err error) bool {
	var pt *PassThroughError
	return errors.As(err, &pt)
}

// Rewrite writes src to dst with every web link replaced by a Kensa link and
// every other byte unchanged, except one added trace header. It always writes
// a complete message: when src cannot be parsed, is too large, or anything
// goes wrong inside, it writes src unchanged and returns a *PassThroughError.
// Any other error comes from dst.
func Rewrite(dst io.Writer, src []byte, opts Options) (Result, error) {
	res := Result{Skipped: map[string]int{}}
	var out []byte
	splices, err := rewriteSafe(src, opts, &res)
	if err != nil {
		pt := &PassThroughError{Reason: "internal-error", Err: err}
		errors.As(err, &pt)
		res = Result{Skipped: map[string]int{}, PassThrough: pt.Reason}
		out, err = src, pt
	} else {
		out = applySplices(src, splices)
	}
	if _, werr := dst.Write(out); werr != nil {
		return res, werr
	}
	return res, err
}

// RewriteBody is Rewrite for callers that receive the header and the body
// apart. header is the raw header including the blank line that ends it. It
// returns the new body, or nil when the body stays as it is, and never adds
// the trace header: the caller adds it. When Result.Relabelled contains ""
// the message's own Content-Transfer-Encoding must become
// quoted-printable, and the caller changes that field too.
func RewriteBody(header, body []byte, opts Options) ([]byte, Result, error) {
	src := make([]byte, 0, len(header)+len(body))
	src = append(append(src, header...), body...)
	pieces, res, err := RewriteMessageBody(src, opts)
	return pieces.Bytes(), res, err
}

// RewriteMessageBody is RewriteBody for a caller that holds the whole
// message in one slice, msg, as the milter does: it saves a copy of the
// message and one of the new body. The new body comes as Pieces, which
// may be slices of msg: msg must not change while they are in use. Pieces
// is nil when the body stays as it is.
func RewriteMessageBody(msg []byte, opts Options) (Pieces, Result, error) {
	res := Result{Skipped: map[string]int{}}
	opts.omitTrace = true
	splices, err := rewriteSafe(msg, opts, &res)
	if err != nil {
		pt := &PassThroughError{Reason: "internal-error", Err: err}
		errors.As(err, &pt)
		return nil, Result{Skipped: map[string]int{}, PassThrough: pt.Reason}, pt
	}
	if res.Parts == 0 {
		return nil, res, nil
	}
	return bodyPieces(msg, splices), res, nil
}

// Pieces are the bytes of a body in order.
type Pieces [][]byte

// Len is the number of bytes.
func (p Pieces) Len() int {
	n := 0
	for _, b := range p {
		n += len(b)
	}
	return n
}

// Bytes joins the pieces (nil for nil Pieces).
func (p Pieces) Bytes() []byte {
	if p == nil {
		return nil
	}
	out := make([]byte, 0, p.Len())
	for _, b := range p {
		out = append(out, b...)
	}
	return out
}

// Reader reads the pieces in order, without joining them.
func (p Pieces) Reader() io.Reader {
	bufs := make(net.Buffers, len(p))
	copy(bufs, p)
	return &bufs
}

// bodyPieces returns the body of src with splices applied. When they all
// lie in the body, and a blank line ends the header, the header is the same
// bytes before and after and the body starts where it did: the pieces are
// then cut from src and the replacements without joining them. Otherwise
// (a header field relabelled, a header read raw) the new message is joined
// and its body found again, as Rewrite's output would be read.
func bodyPieces(src []byte, splices []splice) Pieces {
	headerEnd, bodyStart := splitHeader(src)
	inBody := bodyStart > headerEnd
	for _, s := range splices {
		if s.start < bodyStart {
			inBody = false
		}
	}
	if !inBody {
		out := applySplices(src, splices)
		_, bs := splitHeader(out)
		return Pieces{out[bs:]}
	}
	sortSplices(splices)
	p := make(Pieces, 0, 2*len(splices)+1)
	pos := bodyStart
	for _, s := range splices {
		if s.start > pos {
			p = append(p, src[pos:s.start])
		}
		if len(s.repl) > 0 {
			p = append(p, s.repl)
		}
		pos = s.end
	}
	if pos < len(src) {
		p = append(p, src[pos:])
	}
	if p == nil {
		p = Pieces{}
	}
	return p
}

// rewriteSafe is rewrite, with a panic turned into an error.
func rewriteSafe(src []byte, opts Options, res *Result) (out []splice, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return rewrite(src, opts, res)
}

type splice struct {
	start, end int
	repl       []byte
}

// rewrite locates the MIME entities of src, rewrites the text leaves
// (rewriteLeaves) and adds the trace header, and returns the splices that
// make the new message of src. An error means the message is passed
// through: a *PassThroughError says why, any other error is a bug.
func rewrite(src []byte, opts Options, res *Result) ([]splice, error) {
	if opts.Codec == nil {
		return nil, errors.New("rewriter: no codec")
	}
	if opts.Policy.MaxMessageBytes > 0 && int64(len(src)) > opts.Policy.MaxMessageBytes {
		return nil, &PassThroughError{Reason: "too-large"}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	headerEnd, bodyStart := splitHeader(src)
	lk := &linker{
		codec:  opts.Codec,
		policy: opts.Policy,
		res:    res,
		ctx: linktoken.Context{
			Issued:        now,
			MessageDigest: linktoken.MessageDigest(headerFieldValue(src[:headerEnd], "Message-Id")),
			Recipient:     opts.Recipient,
		},
	}

	p := parser{src: src}
	root, err := p.parseEntity(0, len(src), "", 0, "text/plain")
	splices := rewriteMessage(src, headerEnd, bodyStart, root, err, lk, res)
	if lk.passwordField && res.Links > 0 {
		// A password field is a sign about the whole message, and the
		// links signed before it was found lack the flag: sign them all
		// again. Legitimate mail has no password field, so this costs
		// nothing there; a phish is decoded and signed twice. (A pre-pass
		// over the HTML parts would decode every message's HTML twice.)
		*res = Result{Skipped: map[string]int{}}
		lk.ctx.Flags |= linktoken.FlagPasswordForm
		splices = rewriteMessage(src, headerEnd, bodyStart, root, err, lk, res)
	}
	res.PasswordField = lk.passwordField
	// What the links carry, for the SOC's join of a click to its mail.
	res.MessageID = strings.TrimSpace(headerFieldValue(src[:headerEnd], "Message-Id"))
	if lk.ctx.MessageDigest != ([8]byte{}) {
		res.MessageDigest = hex.EncodeToString(lk.ctx.MessageDigest[:])
	}
	if len(res.Fallbacks) > 0 && opts.Policy.OnUnparsable == OnUnparsableHold {
		res.Hold = true
	}

	nl := "\r\n"
	if i := bytes.IndexByte(src, '\n'); i == 0 || (i > 0 && src[i-1] != '\r') {
		nl = "\n"
	}
	if opts.omitTrace || (len(splices) == 0 && hasField(src[:headerEnd], TraceHeader)) {
		// Already processed and nothing new: byte for byte the same.
		return splices, nil
	}
	// The trace header goes on top, as trace fields do (RFC 5322 §3.6.7).
	trace := fmt.Sprintf("%s: %d%s", TraceHeader, res.Links, nl)
	if res.Attachments > 0 {
		trace += fmt.Sprintf("%s: %d%s", AttachmentsHeader, res.Attachments, nl)
	}
	if f := FormsTrace(*res); f != "" {
		trace += FormsHeader + ": " + f + nl
	}
	if sum := FallbackSummary(res.Fallbacks); sum != "" {
		name := FallbackHeader
		if !lk.rewriteRaw() {
			name = UnparsableHeader
		}
		trace += name + ": " + sum + nl
	}
	at := 0
	if root == nil || root.headerErr != nil {
		// QUIRK: on top of a header the parser refused, the trace could
		// make it parse (a first line that starts with white space would
		// continue the trace field), and a second pass would read the
		// message otherwise. At its end, the header stays as refused.
		at = headerEnd
		if at > 0 && src[at-1] != '\n' {
			trace = nl + trace
		}
	}
	splices = append(splices, splice{at, at, []byte(trace)})
	res.HeaderAdded = true
	return splices, nil
}

// rewriteMessage rewrites the links of the parsed message (or, when it was
// refused, of its raw bytes) and returns the splices.
func rewriteMessage(src []byte, headerEnd, bodyStart int, root *entity, err error, lk *linker, res *Result) []splice {
	var splices []splice
	switch {
	case err != nil:
		// Absurd structure (errTooComplex): refused, and read raw.
		cte := headerFieldValue(src[:headerEnd], "Content-Transfer-Encoding")
		splices = rawFallback(src, bodyStart, len(src), cte, false, "", FallbackTooComplex, err, lk, res, nil)
	case root.headerErr != nil:
		// QUIRK: mail clients differ on a header line that is no field:
		// some skip it, some start the body there. So the raw read starts
		// there. (The milter can change only the body: links in header
		// lines after it stay as they are there.)
		cte := headerFieldValue(src[:headerEnd], "Content-Transfer-Encoding")
		splices = rawFallback(src, firstNonField(src[:headerEnd], bodyStart), len(src), cte, false, "", FallbackUnparsable, root.headerErr, lk, res, nil)
	default:
		lk.ctx.MessageDigest = linktoken.MessageDigest(root.header.Get("Message-Id"))
		splices = rewriteLeaves(src, root, lk, res, nil)
	}
	return splices
}

// firstNonField returns the offset of the first line of hdr that is neither
// a header field nor its continuation, or def.
func firstNonField(hdr []byte, def int) int {
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		next := len(hdr)
		if j >= 0 {
			next = i + j + 1
		}
		line := bytes.TrimRight(hdr[i:next], "\r\n")
		if len(line) > 0 && (i == 0 || line[0] != ' ' && line[0] != '\t') && !isFieldLine(line) {
			return i
		}
		i = next
	}
	return def
}

// hasField reports whether raw header bytes hold a field of that name,
// without parsing them (the parser may have refused them).
func hasField(hdr []byte, name string) bool {
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		next := len(hdr)
		if j >= 0 {
			next = i + j + 1
		}
		if k := bytes.IndexByte(hdr[i:next], ':'); k > 0 && strings.EqualFold(strings.TrimRight(string(hdr[i:i+k]), " \t"), name) {
			return true
		}
		i = next
	}
	return false
}

// rewriteLeaves rewrites every text leaf under e, children before parents,
// and appends to splices the new bodies (and the relabelled transfer
// encodings) to put in place of the old. A leaf that cannot be rewritten is
// recorded in res.PartErrors and left as it was; the links counted while
// trying it are taken back.
func rewriteLeaves(src []byte, e *entity, lk *linker, res *Result, splices []splice) []splice {
	for _, c := range e.children {
		splices = rewriteLeaves(src, c, lk, res, splices)
	}
	switch {
	case e.headerErr != nil:
		return rawFallback(src, e.start, e.end, "", true, e.path, FallbackBadPartHeader, e.headerErr, lk, res, splices)
	case e.multiErr != nil:
		return rawFallback(src, e.bodyStart, e.end, transferEncoding(e.header), false, e.path, FallbackBadMultipart, e.multiErr, lk, res, splices)
	case e.children != nil:
		return splices
	}
	kind, attached := leafKind(e)
	if kind == "" || attached && !lk.policy.rewriteAttachments() {
		return splices
	}
	var find func(string) []edit
	switch kind {
	case "html":
		find = lk.htmlEdits
	case "svg":
		find = lk.svgEdits
	case "calendar":
		find = lk.calendarEdits
	default:
		find = lk.textEdits
	}
	cte := transferEncoding(e.header)
	linksBefore, formsBefore, pwBefore := res.Links, res.Forms, res.PasswordForms
	restore := func() { res.Links, res.Forms, res.PasswordForms = linksBefore, formsBefore, pwBefore }
	raw, charset := src[e.bodyStart:e.end], e.params["charset"]
	lo, err := rewriteLeaf(raw, cte, charset, find)
	if err != nil {
		// Issue 16: a part that cannot be decoded faithfully is read
		// leniently, never left with its links live.
		restore()
		reason := FallbackUndecodable
		if errors.Is(err, ErrUnknownCharset) {
			reason = FallbackUnknownCharset
			if _, wide := wideCodec(charset, nil); wide {
				reason = FallbackUTF16
			}
		}
		res.Fallbacks = append(res.Fallbacks, Fallback{Path: e.path, Reason: reason, Err: err})
		if !lk.rewriteRaw() {
			res.PartErrors = append(res.PartErrors, PartError{Path: e.path, Err: err})
			return splices
		}
		lo = rewriteLeafLenient(raw, cte, charset, find, restore)
	}
	if !lo.changed() {
		return splices
	}
	res.Parts++
	if attached {
		res.Attachments++
	}
	if kind == "calendar" {
		res.Calendars++
	}
	if lo.splices != nil {
		for _, sp := range lo.splices {
			splices = append(splices, splice{e.bodyStart + sp.start, e.bodyStart + sp.end, sp.repl})
		}
	} else {
		splices = append(splices, splice{e.bodyStart, e.end, lo.body})
	}
	if lo.switchToQP {
		res.Relabelled = append(res.Relabelled, e.path)
		splices = append(splices, relabelQP(src, e))
	}
	return splices
}

// relabelQP replaces the part's Content-Transfer-Encoding field, or adds one
// at the end of its header.
func relabelQP(src []byte, e *entity) splice {
	hdr := src[e.start:e.headerEnd]
	nl := "\r\n"
	if i := bytes.IndexByte(src[e.start:], '\n'); i == 0 || (i > 0 && src[e.start+i-1] != '\r') {
		nl = "\n"
	}
	field := []byte("Content-Transfer-Encoding: quoted-printable" + nl)
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		next := len(hdr)
		if j >= 0 {
			next = i + j + 1
		}
		if len(hdr)-i >= 26 && strings.EqualFold(string(hdr[i:i+26]), "content-transfer-encoding:") {
			end := next
			for end < len(hdr) && (hdr[end] == ' ' || hdr[end] == '\t') {
				k := bytes.IndexByte(hdr[end:], '\n')
				if k < 0 {
					end = len(hdr)
					break
				}
				end += k + 1
			}
			return splice{e.start + i, e.start + end, field}
		}
		i = next
	}
	return splice{e.headerEnd, e.headerEnd, field}
}

func applySplices(src []byte, splices []splice) []byte {
	sortSplices(splices)
	n := len(src)
	for _, s := range splices {
		n += len(s.repl) - (s.end - s.start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, s := range splices {
		out = append(out, src[pos:s.start]...)
		out = append(out, s.repl...)
		pos = s.end
	}
	return append(out, src[pos:]...)
}

// sortSplices orders splices by where they start, keeping the order of
// those that start at the same offset.
func sortSplices(splices []splice) {
	sort.SliceStable(splices, func(i, j int) bool { return splices[i].start < splices[j].start })
}

// linker decides whether a link is rewritten and makes the Kensa link.
type linker struct {
	codec  *linktoken.Codec
	policy Policy
	ctx    linktoken.Context // Flags holds the message's flags (FlagPasswordForm)
	res    *Result
	// passwordField: an HTML part holds a password field (forms.go).
	passwordField bool
}

// wrap returns the Kensa link for a link found in a part, or false when the
// link stays as it is.
func (lk *linker) wrap(raw, visible string, fromText, schemeless bool) (string, bool) {
	u := cleanURL(raw)
	if !isWebURL(u) {
		return "", false
	}
	if lk.codec.IsLink(u) {
		lk.res.count("already-kensa")
		return "", false
	}
	var flags linktoken.Flags
	if fromText {
		flags |= linktoken.FlagText
	}
	if schemeless {
		flags |= linktoken.FlagSchemeless
	}
	dest, vendors := unwrap.All(u)
	if len(vendors) > 0 {
		flags |= linktoken.FlagUnwrapped
		if lk.codec.IsLink(dest) {
			lk.res.count("already-kensa")
			return "", false
		}
	}
	if len(lk.policy.NeverRewrite) == 0 {
		// Nothing to match: no need to parse the link again.
	} else if pu, err := url.Parse(dest); err == nil && lk.neverRewrite(pu.Hostname()) {
		lk.res.count("never-rewrite")
		return "", false
	}
	ctx := lk.ctx
	ctx.Flags |= flags
	if visible != "" {
		if shown, mismatch := domain.Mismatch(visible, dest); mismatch {
			ctx.ShownDomain = shown
		}
	}
	link, err := lk.codec.Link(ctx, dest)
	if err != nil && dest != u {
		// The wrapper held something Kensa cannot sign; sign the wrapper.
		ctx.Flags &^= linktoken.FlagUnwrapped
		link, err = lk.codec.Link(ctx, u)
	}
	if err != nil {
		// Attackers craft destinations that a wrapper refuses, so that the
		// link stays clickable. A link Kensa cannot sign becomes an
		// unsigned Kensa link, which the click proxy never follows.
		lk.res.count("unsigned")
		link = lk.codec.Unsigned(u)
	}
	lk.res.Links++
	return link, true
}

func (lk *linker) neverRewrite(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range lk.policy.NeverRewrite {
		d = strings.TrimSuffix(strings.ToLower(d), ".")
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// cleanURL strips what a browser strips from an href: leading and trailing
// C0 controls and spaces, and tabs and line breaks anywhere (WHATWG URL §4.4).
func cleanURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 })
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	}
	return s
}

func isWebURL(s string) bool {
	return len(s) > 8 && (strings.EqualFold(s[:7], "http://") || strings.EqualFold(s[:8], "https://"))
}
