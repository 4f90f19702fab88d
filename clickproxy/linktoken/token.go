package linktoken

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Flags is the flags byte of the token header.
type Flags uint8

const (
	// FlagMismatch: the link's visible text named another registrable
	// domain, carried in Context.ShownDomain. Link sets it exactly when
	// ShownDomain is not empty.
	FlagMismatch Flags = 0x01
	// FlagSchemeless: the link came from plain text without a scheme and the
	// destination has "http://" added.
	FlagSchemeless Flags = 0x02
	// FlagUnwrapped: the destination was unwrapped from another gateway's link.
	FlagUnwrapped Flags = 0x04
	// FlagCompressed: form B. Link sets it when form A would be too long.
	FlagCompressed Flags = 0x08
	// FlagText: the link came from a plain-text part, not an HTML href.
	FlagText Flags = 0x10
	// FlagPasswordForm: the message the link came from contained an HTML
	// form with a password field (docs/mail-forms.md). It belongs to the
	// message, not to the link: the rewriter sets it on every link of such
	// a message, and the click proxy shows it as a phishing sign.
	FlagPasswordForm Flags = 0x20

	flagsKnown  = FlagMismatch | FlagSchemeless | FlagUnwrapped | FlagCompressed | FlagText | FlagPasswordForm
	flagsCaller = FlagSchemeless | FlagUnwrapped | FlagText | FlagPasswordForm
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagMismatch, "mismatch"},
	{FlagSchemeless, "schemeless"},
	{FlagUnwrapped, "unwrapped"},
	{FlagCompressed, "compressed"},
	{FlagText, "text"},
	{FlagPasswordForm, "password-form"},
}

// String returns the flag names joined by "|", reserved bits in hex, or "none".
func (f Flags) String() string {
	var names []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			names = append(names, fn.name)
		}
	}
	if r := f &^ flagsKnown; r != 0 {
		names = append(names, fmt.Sprintf("0x%02x", uint8(r)))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

const (
	version1   = 1
	headerLen  = 16
	tagLen     = 16
	maxContext = 255
	// maxDest bounds a destination, and so the output of form B's inflate.
	maxDest = 16 << 10
	// MaxLinkLength is the longest link Link writes in form A. Longer links
	// use form B, which can still exceed it for very long destinations; the
	// rewriter counts those.
	MaxLinkLength = 2000

	itemRecipient = 0x01
	itemShown     = 0x02

	tagLabel = "kensa-link-v1\x00"
)

// b64 is unpadded base64url. Strict rejects non-zero trailing bits, so every
// token has exactly one spelling; callers also reject the '\r' and '\n' that
// the decoder would skip (see decodeB64).
var b64 = base64.RawURLEncoding.Strict()

func decodeB64(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, false
		}
	}
	b, err := b64.DecodeString(s)
	return b, err == nil
}

// header is the public part of a token. Version and Flags are kept raw so
// tests can build tokens this package would refuse to write.
type header struct {
	Version uint8
	KeyID   uint8
	Issued  uint32
	Flags   Flags
	Digest  [8]byte
	N       uint8
}

func (h header) append(b []byte) []byte {
	b = append(b, h.Version, h.KeyID,
		byte(h.Issued>>24), byte(h.Issued>>16), byte(h.Issued>>8), byte(h.Issued),
		byte(h.Flags))
	b = append(b, h.Digest[:]...)
	return append(b, h.N)
}

func parseHeader(b []byte) header {
	h := header{
		Version: b[0],
		KeyID:   b[1],
		Issued:  uint32(b[2])<<24 | uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5]),
		Flags:   Flags(b[6]),
		N:       b[15],
	}
	copy(h.Digest[:], b[7:15])
	return h
}

// computeTag is HMAC-SHA-256(mac_key, "kensa-link-v1" 0x00 header plaintext destination)[:16].
func computeTag(k *derivedKey, hdr, plaintext []byte, dest string) []byte {
	return appendTag(nil, k, hdr, plaintext, dest)
}

// appendTag appends the tag to dst; with room for sha256.Size bytes in
// dst it allocates nothing.
func appendTag(dst []byte, k *derivedKey, hdr, plaintext []byte, dest string) []byte {
	m := k.macs.Get().(*macState)
	m.h.Reset()
	m.h.Write(m.label)
	m.h.Write(hdr)
	m.h.Write(plaintext)
	// The hash takes no string: copy dest into the state's own buffer
	// rather than into a new slice each time.
	m.scratch = append(m.scratch[:0], dest...)
	m.h.Write(m.scratch)
	if cap(m.scratch) > 4<<10 {
		m.scratch = nil // keep no rare long destination
	}
	n := len(dst)
	dst = m.h.Sum(dst)[:n+tagLen]
	k.macs.Put(m)
	return dst
}

// ctr is AES-256-CTR with the tag as the initial counter block; it both
// encrypts and decrypts.
func ctr(k *derivedKey, tag, in []byte) []byte {
	out := make([]byte, len(in))
	cipher.NewCTR(k.block, tag).XORKeyStream(out, in)
	return out
}

// seal returns the token for h (with N set from plaintext), the plaintext
// context and the destination. It checks nothing, so tests can build links
// Link would refuse. The token is built in one allocation: the tag is
// summed into the room after the ciphertext, then the plaintext is
// encrypted in place before it.
func seal(k *derivedKey, h header, plaintext []byte, dest string) []byte {
	h.N = uint8(len(plaintext))
	tok := h.append(make([]byte, 0, headerLen+len(plaintext)+sha256.Size))
	end := headerLen + len(plaintext)
	tag := appendTag(tok[end:end], k, tok, plaintext, dest)
	cipher.NewCTR(k.block, tag).XORKeyStream(tok[headerLen:end], plaintext)
	return tok[:end+tagLen]
}

// encodeContext builds the sealed context plaintext. A recipient that does
// not fit in 255 bytes next to the shown domain is left out.
func encodeContext(recipient, shown string) []byte {
	var b []byte
	size := 0
	if shown != "" {
		size = 2 + len(shown)
	}
	if recipient != "" && size+2+len(recipient) <= maxContext {
		b = append(b, itemRecipient, byte(len(recipient)))
		b = append(b, recipient...)
	}
	if shown != "" {
		b = append(b, itemShown, byte(len(shown)))
		b = append(b, shown...)
	}
	return b
}

// decodeContext parses the items of a verified plaintext. Unknown types are
// skipped; known ones must be non-empty, and types must strictly increase.
func decodeContext(p []byte) (recipient, shown string, err error) {
	last := -1
	for len(p) > 0 {
		if len(p) < 2 || len(p) < 2+int(p[1]) {
			return "", "", fmt.Errorf("%w: truncated context item", ErrMalformed)
		}
		typ, val := int(p[0]), string(p[2:2+int(p[1])])
		p = p[2+len(val):]
		if typ <= last {
			return "", "", fmt.Errorf("%w: context item type %d after type %d", ErrMalformed, typ, last)
		}
		last = typ
		switch typ {
		case itemRecipient:
			recipient = val
		case itemShown:
			shown = val
		default:
			continue
		}
		if val == "" {
			return "", "", fmt.Errorf("%w: empty context item type %d", ErrMalformed, typ)
		}
	}
	return recipient, shown, nil
}

// MessageDigest returns the first 8 bytes of SHA-256 of messageID with
// surrounding white space (space, tab, CR, LF) and one pair of angle brackets
// removed, or all zeros if nothing is left.
func MessageDigest(messageID string) [8]byte {
	var d [8]byte
	id := strings.Trim(messageID, " \t\r\n")
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		id = id[1 : len(id)-1]
	}
	if id == "" {
		return d
	}
	sum := sha256.Sum256([]byte(id))
	copy(d[:], sum[:])
	return d
}

func unixTime(s uint32) time.Time {
	return time.Unix(int64(s), 0).UTC()
}
