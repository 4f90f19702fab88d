package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/logging"
	"github.com/kensa-mail/kensa/rewriter"
)

// rewriteConfig is the configuration of `kensa rewrite` (and, later, of
// `kensa milter`). Precedence: flags, then KENSA_* environment variables,
// then the YAML file named by --config.
type rewriteConfig struct {
	BaseURL         string `yaml:"base_url"`
	KeyFile         string `yaml:"key_file"`
	rewriter.Policy `yaml:",inline"`
	LogFormat       string `yaml:"log_format"`
	LogLevel        string `yaml:"log_level"`

	recipient string
	codec     *linktoken.Codec // set by Validate
}

// parseWithConfig parses a subcommand's flags (no arguments allowed) and
// then reads the config file named by its --config flag, if any. The
// caller layers KENSA_* variables and flags over what it returns.
func parseWithConfig(fs *flag.FlagSet, args []string, configFile *string) (fileConfig, error) {
	var file fileConfig
	if err := fs.Parse(args); err != nil {
		return file, usageError("%w", err)
	}
	if fs.NArg() != 0 {
		return file, usageError("unexpected arguments %q", fs.Args())
	}
	if *configFile != "" {
		if err := loadYAML(*configFile, &file); err != nil {
			return file, usageError("config: %v", err)
		}
	}
	return file, nil
}

// loadYAML reads a config file strictly: an unknown key is an error, so a
// typo does not silently turn a setting off.
func loadYAML(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Validate checks everything and reports every problem at once. It loads the
// key file, so a config that validates can run.
func (c *rewriteConfig) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("base_url (--base-url, KENSA_BASE_URL) is required"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url %q must be an http(s) URL such as https://kensa.example.com", c.BaseURL))
	}
	var kr *linktoken.Keyring
	if c.KeyFile == "" {
		errs = append(errs, errors.New("key_file (--key-file, KENSA_KEY_FILE) is required; create one with 'kensa keygen > keys.json'"))
	} else if k, err := linktoken.LoadKeyring(c.KeyFile); err != nil {
		errs = append(errs, fmt.Errorf("key_file: %w", err))
	} else {
		kr = k
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("log_format %q: want json or console", c.LogFormat))
	}
	if len(errs) == 0 {
		codec, err := linktoken.NewCodec(strings.TrimSuffix(c.BaseURL, "/"), kr)
		if err != nil {
			errs = append(errs, fmt.Errorf("base_url: %w", err))
		}
		c.codec = codec
	}
	return errors.Join(errs...)
}

func runRewrite(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rewrite", stderr)
	configFile := fs.String("config", "", "YAML config file (base_url, key_file, never_rewrite, max_message_bytes, log_format, log_level)")
	baseURL := fs.String("base-url", "", "the click proxy's base URL, e.g. https://kensa.example.com")
	keyFile := fs.String("key-file", "", "link-signing key file (kensa keygen)")
	recipient := fs.String("recipient", "", "the envelope recipient, when the message has exactly one")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kensa rewrite --base-url URL --key-file FILE [--recipient ADDR] [--config FILE] < in.eml > out.eml")
		fs.PrintDefaults()
	}
	file, err := parseWithConfig(fs, args, configFile)
	if err != nil {
		return err
	}
	cfg := file.rewriteConfig
	cfg.fromEnv()
	setIfGiven(&cfg.BaseURL, *baseURL)
	setIfGiven(&cfg.KeyFile, *keyFile)
	cfg.recipient = *recipient
	if err := cfg.Validate(); err != nil {
		return invalidConfig(err)
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	defer log.Sync()

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
		Codec:     cfg.codec,
		Recipient: cfg.recipient,
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
		zap.Int("parts", res.Parts),
		zap.Any("skipped", res.Skipped),
		zap.Strings("relabelled_qp", res.Relabelled),
		zap.Bool("recipient_in_links", cfg.recipient != ""),
	)
	if res.Hold {
		// on_unparsable: hold. 75 is EX_TEMPFAIL: a pipe transport defers
		// the message rather than deliver it.
		return &exitError{code: 75, err: fmt.Errorf("message held (on_unparsable: hold): %s", rewriter.FallbackSummary(res.Fallbacks))}
	}
	return nil
}

// fileConfig is the YAML file shared by the subcommands (--config). Each
// subcommand uses the parts it needs; an unknown key is an error everywhere.
type fileConfig struct {
	rewriteConfig `yaml:",inline"`
	Milter        milterSection `yaml:"milter"`
	Serve         serveSection  `yaml:"serve"`
}

func (c *rewriteConfig) fromEnv() {
	setFromEnv(&c.BaseURL, "KENSA_BASE_URL")
	setFromEnv(&c.KeyFile, "KENSA_KEY_FILE")
	setFromEnv(&c.LogFormat, "KENSA_LOG_FORMAT")
	setFromEnv(&c.LogLevel, "KENSA_LOG_LEVEL")
}

func (c *rewriteConfig) logger(w io.Writer) (*zap.Logger, error) {
	format := logging.Format(c.LogFormat)
	if format == "" {
		format = logging.ForTerminal()
	}
	level := c.LogLevel
	if level == "" {
		level = "info"
	}
	return logging.New(w, format, level)
}

func invalidConfig(err error) error {
	return usageError("invalid configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

func setFromEnv(dst *string, name string) {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		*dst = v
	}
}

func setIfGiven(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
