package linktoken

import (
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Context is what a link says about where it came from. Issued, the digest
// and the flags are public; Recipient and ShownDomain are sealed.
type Context struct {
	Issued        time.Time // stored in Unix seconds, 1970 to 2106
	MessageDigest [8]byte   // MessageDigest of the Message-ID
	Recipient     string    // optional; UTF-8; left out if it does not fit in 255 bytes with ShownDomain
	ShownDomain   string    // optional; the registrable domain of the visible text, in ASCII
	// Flags: Link takes FlagSchemeless, FlagUnwrapped and FlagText from the
	// caller and derives FlagMismatch (ShownDomain != "") and FlagCompressed.
	Flags Flags
}

// Decoded is a verified link.
type Decoded struct {
	Version uint8
	KeyID   uint8
	Context Context // Issued in UTC
	Dest    string  // absolute http or https URL with a host
}

// Public is what anyone can read from a link without a key. None of it is
// verified.
type Public struct {
	Version       uint8
	KeyID         uint8
	Issued        time.Time // UTC
	Flags         Flags
	MessageDigest [8]byte
	Dest          string
}

// Codec writes and opens the links under one base URL.
type Codec struct {
	base     string
	basePath string // decoded, as in a request's URL.Path
	keys     *Keyring
}

// NewCodec returns a Codec for links under base (the click proxy's
// --base-url), signing with kr's signing key. base must be an http or https
// URL with a host, optionally a path, no query, fragment or user info, and no
// trailing slash.
func NewCodec(base string, kr *Keyring) (*Codec, error) {
	if kr == nil || kr.signing == nil {
		return nil, fmt.Errorf("linktoken: no keyring")
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("linktoken: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("linktoken: base URL %q: scheme must be http or https", base)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("linktoken: base URL %q: no host", base)
	case u.User != nil:
		return nil, fmt.Errorf("linktoken: base URL %q: has user info", base)
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(base, "?"):
		return nil, fmt.Errorf("linktoken: base URL %q: has a query", base)
	case u.Fragment != "" || strings.Contains(base, "#"):
		return nil, fmt.Errorf("linktoken: base URL %q: has a fragment", base)
	case strings.HasSuffix(base, "/"):
		return nil, fmt.Errorf("linktoken: base URL %q: ends with a slash", base)
	}
	for i := 0; i < len(base); i++ {
		if c := base[i]; !literal[c] && c != '%' {
			return nil, fmt.Errorf("linktoken: base URL %q: %q must be escaped", base, c)
		}
	}
	return &Codec{base: base, basePath: u.Path, keys: kr}, nil
}

// Base returns the base URL.
func (c *Codec) Base() string { return c.base }

// IsLink reports whether s has the shape of a Kensa link under the codec's
// base: signed (base+"/k/"+TOKEN+"?u=" or "?d=", TOKEN in base64url) or
// unsigned (base+"/x?u="). It does not verify s. The shape is checked to the
// query, not just the prefix: "BASE/k/../../owa/redir" opens another path of
// the same host in a browser, and must not pass for a link already rewritten
// (issue 16).
func (c *Codec) IsLink(s string) bool {
	if !strings.HasPrefix(s, c.base) {
		return false
	}
	return hasLinkShape(s[len(c.base):])
}

// hasLinkShape reports whether rest, what follows the base, starts as a
// Kensa link: "/x?u=", or "/k/" TOKEN "?u=" or "?d=".
func hasLinkShape(rest string) bool {
	if strings.HasPrefix(rest, unsignedPath+"?u=") {
		return true
	}
	tok, ok := strings.CutPrefix(rest, "/k/")
	if !ok {
		return false
	}
	n := 0
	for n < len(tok) && isB64URL(tok[n]) {
		n++
	}
	return n > 0 && (strings.HasPrefix(tok[n:], "?u=") || strings.HasPrefix(tok[n:], "?d="))
}

func isB64URL(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

const unsignedPath = "/x"

// Unsigned returns the link that replaces a web link Kensa cannot sign
// (docs/link-format.md, "Links Kensa cannot sign"): base + "/x?u=" + the
// escaped original. It carries no token and no signature, and the click
// proxy never redirects from it, so an attacker gains nothing by crafting a
// destination that Link refuses.
func (c *Codec) Unsigned(orig string) string {
	b := make([]byte, 0, len(c.base)+5+len(orig)*3/2)
	b = append(b, c.base...)
	b = append(b, unsignedPath+"?u="...)
	return string(escape(b, orig))
}

// OpenUnsigned returns the original text carried by an unsigned link. It is
// not verified and must never be used as a redirect target.
func (c *Codec) OpenUnsigned(link string) (string, error) {
	prefix := c.base + unsignedPath + "?u="
	if !strings.HasPrefix(link, prefix) {
		return "", fmt.Errorf("%w: not an unsigned link", ErrMalformed)
	}
	return unescape(link[len(prefix):])
}

// Link returns the Kensa link for dest, signed with the signing key: form A,
// or form B if form A would be longer than MaxLinkLength. dest must be an
// absolute http or https URL with a host, of at most 16 KiB; otherwise the
// error wraps ErrBadDestination.
func (c *Codec) Link(ctx Context, dest string) (string, error) {
	host, err := destHost(dest)
	if err != nil {
		return "", err
	}
	if len(dest) > maxDest {
		return "", fmt.Errorf("%w: %d bytes, more than %d", ErrBadDestination, len(dest), maxDest)
	}
	if f := ctx.Flags &^ flagsKnown; f != 0 {
		return "", fmt.Errorf("linktoken: reserved flags %#02x", uint8(f))
	}
	secs := ctx.Issued.Unix()
	if secs < 0 || secs > math.MaxUint32 {
		return "", fmt.Errorf("linktoken: issue time %v outside 1970-2106", ctx.Issued)
	}
	if ctx.Recipient != "" && !utf8.ValidString(ctx.Recipient) {
		return "", fmt.Errorf("linktoken: recipient %q is not UTF-8", ctx.Recipient)
	}
	flags := ctx.Flags & flagsCaller
	if s := ctx.ShownDomain; s != "" {
		if len(s) > maxContext-2 {
			return "", fmt.Errorf("linktoken: shown domain is %d bytes, more than %d", len(s), maxContext-2)
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				return "", fmt.Errorf("linktoken: shown domain %q is not printable ASCII", s)
			}
		}
		flags |= FlagMismatch
	}
	k := c.keys.signing
	h := header{Version: version1, KeyID: k.id, Issued: uint32(secs), Flags: flags, Digest: ctx.MessageDigest}
	plaintext := encodeContext(ctx.Recipient, ctx.ShownDomain)

	link := c.formA(seal(k, h, plaintext, dest), dest)
	if len(link) <= MaxLinkLength {
		return link, nil
	}
	h.Flags |= FlagCompressed
	return c.formB(seal(k, h, plaintext, dest), host, deflate(dest)), nil
}

func (c *Codec) formA(token []byte, dest string) string {
	b := make([]byte, 0, len(c.base)+3+b64.EncodedLen(len(token))+3+len(dest)*3/2)
	b = append(b, c.base...)
	b = append(b, "/k/"...)
	b = b64.AppendEncode(b, token)
	b = append(b, "?u="...)
	return string(escape(b, dest))
}

func (c *Codec) formB(token []byte, host string, z []byte) string {
	b := make([]byte, 0, len(c.base)+3+b64.EncodedLen(len(token))+3+len(host)*3+3+b64.EncodedLen(len(z)))
	b = append(b, c.base...)
	b = append(b, "/k/"...)
	b = b64.AppendEncode(b, token)
	b = append(b, "?d="...)
	b = escapeHost(b, host)
	b = append(b, "&z="...)
	return string(b64.AppendEncode(b, z))
}

func deflate(s string) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		panic(err) // only for a bad level
	}
	io.WriteString(w, s)
	w.Close() // writes to a bytes.Buffer do not fail
	return b.Bytes()
}

// inflate decompresses raw DEFLATE data of at most maxDest bytes of output,
// with nothing after the final block.
func inflate(z []byte) (string, error) {
	r := bytes.NewReader(z)
	fr := flate.NewReader(r)
	out, err := io.ReadAll(io.LimitReader(fr, maxDest+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: z: %v", ErrMalformed, err)
	case len(out) > maxDest:
		return "", fmt.Errorf("%w: z: inflates to more than %d bytes", ErrMalformed, maxDest)
	case r.Len() > 0:
		return "", fmt.Errorf("%w: z: %d bytes after the compressed data", ErrMalformed, r.Len())
	}
	return string(out), nil
}

// Open verifies link, which must be under the codec's base, and returns what
// it says. Errors wrap ErrMalformed, ErrVersion, ErrUnknownKey,
// ErrBadSignature or ErrBadDestination.
func (c *Codec) Open(link string) (Decoded, error) {
	if !c.IsLink(link) {
		return Decoded{}, fmt.Errorf("%w: not under %s/k/", ErrMalformed, c.base)
	}
	token, query, _ := strings.Cut(link[len(c.base)+len("/k/"):], "?")
	return c.open(token, query)
}

// MaxTrim is how many trailing bytes OpenTrimmed may cut.
const MaxTrim = 64

// OpenTrimmed is Open for a link found in plain text, where a mail client
// may have run it into the text that follows (a link followed directly by
// "!x" or by Japanese text a client percent-encodes). If link does not
// verify, it tries link without up to MaxTrim trailing bytes and returns the
// longest prefix that verifies, with its length. A prefix that verifies is a
// link Kensa signed, so this never accepts anything Open would not.
func (c *Codec) OpenTrimmed(link string) (Decoded, int, error) {
	d, err := c.Open(link)
	if err == nil || !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
		return d, len(link), err
	}
	// Only form A ("?u=") links are trimmed, and Link writes form A only up
	// to MaxLinkLength: a longer one is not a signed link with text run on,
	// so it gets one Open, not MaxTrim of them (a long forged link cost 76
	// Opens before, issue 16).
	q := strings.Index(link, "?u=")
	if q < 0 || len(link) > MaxLinkLength+MaxTrim {
		return d, len(link), err
	}
	for end := len(link) - 1; end > q+3 && len(link)-end <= MaxTrim; end-- {
		if d2, err2 := c.Open(link[:end]); err2 == nil {
			return d2, end, nil
		}
	}
	return d, len(link), err
}

// OpenRequest is Open for the click proxy: path is the request's decoded
// path (URL.Path, base path + "/k/" + token) and rawQuery its raw query
// (URL.RawQuery). The host is not checked.
func (c *Codec) OpenRequest(path, rawQuery string) (Decoded, error) {
	token, ok := strings.CutPrefix(path, c.basePath+"/k/")
	if !ok || strings.IndexByte(token, '/') >= 0 {
		return Decoded{}, fmt.Errorf("%w: path %q is not %s/k/TOKEN", ErrMalformed, path, c.basePath)
	}
	return c.open(token, rawQuery)
}

func (c *Codec) open(token, query string) (Decoded, error) {
	p, err := parse(token, query)
	if err != nil {
		return Decoded{}, err
	}
	k := c.keys.keys[p.hdr.KeyID]
	if k == nil {
		return Decoded{}, fmt.Errorf("%w: key ID %d", ErrUnknownKey, p.hdr.KeyID)
	}
	plaintext := ctr(k, p.tag, p.sealed)
	if !hmac.Equal(computeTag(k, p.token[:headerLen], plaintext, p.dest), p.tag) {
		return Decoded{}, fmt.Errorf("%w (key %d)", ErrBadSignature, p.hdr.KeyID)
	}
	recipient, shown, err := decodeContext(plaintext)
	if err != nil {
		return Decoded{}, err
	}
	if (shown != "") != (p.hdr.Flags&FlagMismatch != 0) {
		return Decoded{}, fmt.Errorf("%w: mismatch flag and shown domain disagree", ErrMalformed)
	}
	host, err := destHost(p.dest)
	if err != nil {
		return Decoded{}, err
	}
	if p.hdr.Flags&FlagCompressed != 0 && p.shownHost != host {
		return Decoded{}, fmt.Errorf("%w: d=%q is not the destination's host", ErrBadSignature, p.shownHost)
	}
	return Decoded{
		Version: p.hdr.Version,
		KeyID:   p.hdr.KeyID,
		Context: Context{
			Issued:        unixTime(p.hdr.Issued),
			MessageDigest: p.hdr.Digest,
			Recipient:     recipient,
			ShownDomain:   shown,
			Flags:         p.hdr.Flags,
		},
		Dest: p.dest,
	}, nil
}

type parsed struct {
	token       []byte
	hdr         header
	sealed, tag []byte
	dest        string
	shownHost   string // d of form B, decoded
}

// parse splits and decodes a link's token and query without a key. On
// ErrVersion, p.hdr.Version is set.
func parse(token, query string) (*parsed, error) {
	p := &parsed{}
	tok, ok := decodeB64(token)
	if !ok {
		return p, fmt.Errorf("%w: token is not unpadded base64url", ErrMalformed)
	}
	if len(tok) == 0 {
		return p, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	if tok[0] != version1 {
		p.hdr.Version = tok[0]
		return p, fmt.Errorf("%w: %d", ErrVersion, tok[0])
	}
	if len(tok) < headerLen+tagLen || len(tok) != headerLen+int(tok[15])+tagLen {
		return p, fmt.Errorf("%w: token is %d bytes", ErrMalformed, len(tok))
	}
	p.token = tok
	p.hdr = parseHeader(tok)
	p.sealed = tok[headerLen : len(tok)-tagLen]
	p.tag = tok[len(tok)-tagLen:]
	if f := p.hdr.Flags &^ flagsKnown; f != 0 {
		return p, fmt.Errorf("%w: reserved flags %#02x", ErrMalformed, uint8(f))
	}

	var err error
	if p.hdr.Flags&FlagCompressed == 0 {
		u, ok := strings.CutPrefix(query, "u=")
		if !ok {
			return p, fmt.Errorf("%w: query is not u=...", ErrMalformed)
		}
		p.dest, err = unescape(u)
		return p, err
	}
	d, z, _ := strings.Cut(query, "&")
	d, okD := strings.CutPrefix(d, "d=")
	z, okZ := strings.CutPrefix(z, "z=")
	if !okD || !okZ {
		return p, fmt.Errorf("%w: query is not d=...&z=... (compressed flag set)", ErrMalformed)
	}
	if p.shownHost, err = unescape(d); err != nil {
		return p, err
	}
	zb, ok := decodeB64(z)
	if !ok {
		return p, fmt.Errorf("%w: z is not unpadded base64url", ErrMalformed)
	}
	p.dest, err = inflate(zb)
	return p, err
}

// Inspect reads the public header and the destination of a link under any
// base, without a key and without verifying anything: for the browser
// extension and for explaining why Open failed. On ErrVersion the returned
// Public has Version set.
func Inspect(link string) (Public, error) {
	path, query, _ := strings.Cut(link, "?")
	i := strings.LastIndexByte(path, '/')
	if !strings.HasSuffix(path[:i+1], "/k/") {
		return Public{}, fmt.Errorf("%w: path does not end in /k/TOKEN", ErrMalformed)
	}
	p, err := parse(path[i+1:], query)
	if err != nil {
		return Public{Version: p.hdr.Version}, err
	}
	return Public{
		Version:       p.hdr.Version,
		KeyID:         p.hdr.KeyID,
		Issued:        unixTime(p.hdr.Issued),
		Flags:         p.hdr.Flags,
		MessageDigest: p.hdr.Digest,
		Dest:          p.dest,
	}, nil
}
