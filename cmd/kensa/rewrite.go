package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/logging"
	"github.com/kensa-mail/kensa/rewriter"
)

// RewriteConfig is the configuration of `kensa rewrite`: the top level of
// the config file, and the envelope recipient (flag only).
type RewriteConfig struct {
	Common
	Recipient string
}

func (c *RewriteConfig) useFile(f *fileConfig) { c.Common = f.Common }

func (c *RewriteConfig) settings() []setting {
	return append(c.Common.settings(),
		setting{flag: "recipient", v: stringValue{&c.Recipient}, usage: "the envelope recipient `ADDR`, when the message has exactly one"})
}

func (c *RewriteConfig) Validate() error { return c.Common.Validate() }

// Validate reports every problem of the shared settings at once. It is pure:
// the key file is read later, by codec.
func (c *Common) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("base_url (--base-url, KENSA_BASE_URL) is required"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url %q must be an http(s) URL such as https://kensa.example.com", c.BaseURL))
	}
	if c.KeyFile == "" {
		errs = append(errs, errors.New("key_file (--key-file, KENSA_KEY_FILE) is required; create one with 'kensa keygen --out keys.json'"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("log_format %q: want json or console", c.LogFormat))
	}
	if c.LogLevel != "" {
		var l zapcore.Level
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
		}
	}
	return errors.Join(errs...)
}

// codec reads the key file and returns the link codec and its keyring. A key
// file that its group or others can read is worth a warning, not a refusal.
func (c *Common) codec(log *zap.Logger) (*linktoken.Codec, *linktoken.Keyring, error) {
	kr, perm, err := linktoken.LoadKeyringFile(c.KeyFile)
	if err != nil {
		return nil, nil, invalidConfig(fmt.Errorf("key_file: %w", err))
	}
	if linktoken.KeyFileExposed(perm) {
		log.Warn("the key file is open to its group or others: whoever reads it can sign links; chmod 600 it",
			zap.String("key_file", c.KeyFile), zap.String("mode", perm.String()))
	}
	codec, err := linktoken.NewCodec(strings.TrimSuffix(c.BaseURL, "/"), kr)
	if err != nil {
		return nil, nil, invalidConfig(fmt.Errorf("base_url: %w", err))
	}
	return codec, kr, nil
}

func runRewrite(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg RewriteConfig
	if err := load("rewrite", &cfg, args, stderr, "kensa rewrite --base-url URL --key-file FILE [--recipient ADDR] [--config FILE] < in.eml > out.eml"); err != nil {
		return err
	}
	cfg.Common = cfg.Common.withDefaults()
	log, err := cfg.logger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()
	codec, _, err := cfg.codec(log)
	if err != nil {
		return err
	}

	// Read everything first: whatever happens next, these bytes go out.
	src, readErr := io.ReadAll(stdin)
	if readErr != nil {
		log.Error("reading the message failed; writing out what was read, unchanged", zap.Error(readErr), zap.Int("bytes", len(src)))
		if _, err := stdout.Write(src); err != nil {
			return err
		}
		return readErr
	}
	res, err := rewriter.Rewrite(stdout, src, rewriter.Options{
		Codec:     codec,
		Recipient: cfg.Recipient,
		Policy:    cfg.Policy,
	})
	switch {
	case rewriter.IsPassThrough(err):
		log.Warn("message passed through unchanged", zap.String("reason", res.PassThrough), zap.Error(err), zap.Int("bytes", len(src)))
	case err != nil:
		return fmt.Errorf("writing the message: %w", err)
	}
	for _, pe := range res.PartErrors {
		log.Warn("text part passed through unchanged", zap.String("part", pe.Path), zap.Error(pe.Err))
	}
	log.Info("message rewritten",
		zap.Int("links", res.Links),
		zap.Int("parts", res.Parts),
		zap.Any("skipped", res.Skipped),
		zap.Strings("relabelled_qp", res.Relabelled),
		zap.Bool("recipient_in_links", cfg.Recipient != ""),
	)
	return nil
}

func (c *Common) logger(w io.Writer) (*zap.Logger, error) {
	format := logging.Format(c.LogFormat)
	if format == "" {
		format = logging.ForTerminal()
	}
	return logging.New(w, format, c.withDefaults().LogLevel)
}
