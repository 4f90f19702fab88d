package main

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"

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
	for _, fb := range res.Fallbacks {
		log.Warn("fallback: could not parse or decode faithfully (see on_unparsable)", zap.String("part", fb.Path), zap.String("fallback", fb.Reason), zap.Error(fb.Err))
	}
	log.Info("message rewritten",
		zap.Int("links", res.Links),
		zap.String("kensa.message_digest", res.MessageDigest), // a click's kensa.message_digest joins here (docs/siem.md)
		zap.String("email.message_id", res.MessageID),
		zap.Int("parts", res.Parts),
		zap.Any("skipped", res.Skipped),
		zap.Strings("relabelled_qp", res.Relabelled),
		zap.Bool("recipient_in_links", cfg.Recipient != ""),
	)
	if res.Hold {
		// on_unparsable: hold. 75 is EX_TEMPFAIL: a pipe transport defers
		// the message rather than deliver it.
		return &exitError{code: 75, err: fmt.Errorf("message held (on_unparsable: hold): %s", rewriter.FallbackSummary(res.Fallbacks))}
	}
	return nil
}
