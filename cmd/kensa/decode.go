package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// decodeOutput is what `kensa decode` prints: the verified destination
// (field url) and the context carried by the link.
type decodeOutput struct {
	URL           string   `json:"url"`
	Base          string   `json:"base"`
	Version       uint8    `json:"version"`
	KeyID         uint8    `json:"key_id"`
	Issued        string   `json:"issued"`
	Flags         []string `json:"flags"`
	MessageDigest string   `json:"message_digest"`
	Recipient     string   `json:"recipient,omitempty"`
	ShownDomain   string   `json:"shown_domain,omitempty"`
}

// runDecode verifies one Kensa link with the key file and prints its
// destination and context as JSON. A forged, tampered, malformed or
// unknown-key link exits with status 1 and the reason (the error codes of
// docs/link-format.md).
func runDecode(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("decode", stderr)
	keyFile := fs.String("key-file", os.Getenv("KENSA_KEY_FILE"), "link-signing key file (KENSA_KEY_FILE)")
	baseURL := fs.String("base-url", os.Getenv("KENSA_BASE_URL"), "accept only links under this base URL (KENSA_BASE_URL; default: the link's own, with a note)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kensa decode --key-file FILE [--base-url URL] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError("%w", err)
	}
	if fs.NArg() != 1 {
		return usageError("want exactly one link, got %d arguments", fs.NArg())
	}
	if *keyFile == "" {
		return usageError("--key-file is required")
	}
	kr, err := linktoken.LoadKeyring(*keyFile)
	if err != nil {
		return usageError("%v", err)
	}
	link := strings.TrimSpace(fs.Arg(0))
	base := *baseURL
	if base == "" {
		base = linkBase(link)
		fmt.Fprintf(stderr, "kensa decode: no --base-url given; accepting the link's own base %q\n", base)
	}
	codec, err := linktoken.NewCodec(strings.TrimSuffix(base, "/"), kr)
	if err != nil {
		return fmt.Errorf("malformed: not a Kensa link (%v)", err)
	}
	d, err := codec.Open(link)
	if err != nil {
		return fmt.Errorf("%s: %w", linktoken.Code(err), err)
	}
	out := decodeOutput{
		URL:           d.Dest,
		Base:          codec.Base(),
		Version:       d.Version,
		KeyID:         d.KeyID,
		Issued:        d.Context.Issued.UTC().Format(time.RFC3339),
		Flags:         []string{},
		MessageDigest: hex.EncodeToString(d.Context.MessageDigest[:]),
		Recipient:     d.Context.Recipient,
		ShownDomain:   d.Context.ShownDomain,
	}
	if f := d.Context.Flags.String(); f != "none" {
		out.Flags = strings.Split(f, "|")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// linkBase guesses the base URL of a link: everything before the last "/k/"
// of its path. The signature check decides whether it really is one.
func linkBase(link string) string {
	p := link
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndex(p, "/k/"); i > 0 {
		return p[:i]
	}
	return p
}
