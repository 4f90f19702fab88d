package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// DecodeConfig is the configuration of `kensa decode`: flags and the
// environment.
type DecodeConfig struct {
	KeyFile string
	BaseURL string // default: the link's own base, with a note on stderr
	Link    string // the one positional argument

	args []string
}

func (c *DecodeConfig) settings() []setting {
	return []setting{
		{flag: "key-file", env: "KENSA_KEY_FILE", v: stringValue{&c.KeyFile}, usage: "link-signing key `FILE`"},
		{flag: "base-url", env: "KENSA_BASE_URL", v: stringValue{&c.BaseURL}, usage: "accept only links under this base `URL` (default: the link's own, with a note)"},
	}
}

func (c *DecodeConfig) setArgs(args []string) {
	c.args = args
	if len(args) == 1 {
		c.Link = strings.TrimSpace(args[0])
	}
}

// Validate reports every problem at once; it is pure.
func (c *DecodeConfig) Validate() error {
	var errs []error
	if len(c.args) != 1 {
		errs = append(errs, fmt.Errorf("want exactly one link, got %d arguments", len(c.args)))
	}
	if c.KeyFile == "" {
		errs = append(errs, errors.New("--key-file (KENSA_KEY_FILE) is required"))
	}
	return errors.Join(errs...)
}

// runDecode verifies one Kensa link with the key file and prints its
// destination and context as JSON. A forged, tampered, malformed or
// unknown-key link exits with status 1 and the reason (the error codes of
// docs/link-format.md).
func runDecode(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg DecodeConfig
	if err := load("decode", &cfg, args, stderr, "kensa decode --key-file FILE [--base-url URL] URL"); err != nil {
		return err
	}
	kr, perm, err := linktoken.LoadKeyringFile(cfg.KeyFile)
	if err != nil {
		return usageError("%v", err)
	}
	if linktoken.KeyFileExposed(perm) {
		fmt.Fprintf(stderr, "kensa decode: warning: %s (mode %v) is open to its group or others: whoever reads it can sign links; chmod 600 it\n", cfg.KeyFile, perm)
	}
	link := cfg.Link
	base := cfg.BaseURL
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
