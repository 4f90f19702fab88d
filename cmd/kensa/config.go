package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/logging"
	"github.com/kensa-mail/kensa/rewriter"
)

// Every subcommand has one typed config (RewriteConfig, MilterConfig,
// ServeConfig, WorkerConfig, ScanConfig, DecodeConfig, KeygenConfig). load fills it once,
// from the lowest precedence to the highest:
//
//  1. the zero value, which means the default (defaults.go);
//  2. the YAML file named by --config, for the subcommands that have it;
//  3. KENSA_* environment variables;
//  4. flags;
//
// then reads the secrets the config names by file (*_file), and asks the
// config's Validate, which is pure, for every remaining problem. All the
// problems are reported together.

// fileConfig is the YAML file shared by the subcommands (--config). Each
// subcommand uses the parts it needs; an unknown key is an error everywhere,
// so a typo does not silently turn a setting off.
type fileConfig struct {
	Common `yaml:",inline"`
	Milter MilterSection `yaml:"milter"`
	Serve  ServeSection  `yaml:"serve"`
	Worker WorkerSection `yaml:"worker"`
}

// Common is the top level of the config file: what rewrite, milter and serve
// share.
type Common struct {
	BaseURL         string `yaml:"base_url"` // --base-url, KENSA_BASE_URL; required
	KeyFile         string `yaml:"key_file"` // --key-file, KENSA_KEY_FILE; required
	rewriter.Policy `yaml:",inline"`
	LogFormat       string `yaml:"log_format"` // KENSA_LOG_FORMAT; json or console; default by terminal
	LogLevel        string `yaml:"log_level"`  // KENSA_LOG_LEVEL; default info
}

// config is what load needs from a subcommand's typed config.
type config interface {
	// settings binds flags and environment variables to fields.
	settings() []setting
	// Validate reports every problem at once. It is pure: no I/O, no
	// environment.
	Validate() error
}

// The optional parts of a config.
type (
	// fromFile takes the parts of the config file the subcommand uses; a
	// config with it has --config.
	fromFile interface{ useFile(f *fileConfig) }
	// withArgs takes the positional arguments (Validate checks them);
	// without it, arguments are a usage error.
	withArgs interface{ setArgs(args []string) }
	// withSecrets reads the secrets its *_file settings name.
	withSecrets interface {
		readSecrets(readFile func(string) ([]byte, error)) []error
	}
)

// A setting binds a field of a typed config to a flag, an environment
// variable, or both.
type setting struct {
	flag, env, usage string
	v                value
}

// value is a field of a typed config, set from a string.
type value interface{ Set(string) error }

type (
	stringValue   struct{ p *string }
	boolValue     struct{ p *bool }
	durationValue struct{ p *time.Duration }
	listValue     struct{ p *[]string } // comma-separated
	floatValue    struct{ p *float64 }
	intValue      struct{ p *int }
)

func (v stringValue) Set(s string) error { *v.p = s; return nil }

func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v.p = b
	return nil
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 500ms or 10s", s)
	}
	*v.p = d
	return nil
}

func (v floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*v.p = f
	return nil
}

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v.p = n
	return nil
}

func (v listValue) Set(s string) error {
	*v.p = nil
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			*v.p = append(*v.p, e)
		}
	}
	return nil
}

// flagRecord keeps a flag's raw value until load applies flags, last.
type flagRecord struct {
	given   bool
	raw     string
	boolean bool
}

func (r *flagRecord) String() string   { return r.raw }
func (r *flagRecord) IsBoolFlag() bool { return r.boolean }
func (r *flagRecord) Set(s string) error {
	r.given, r.raw = true, s
	return nil
}

// load layers cfg once (see the top of this file) from args and the
// environment and validates it. The error is a usage error (exit status 2):
// bad flag syntax alone, or "invalid configuration" with every problem.
func load(name string, cfg config, args []string, stderr io.Writer, usage string) error {
	fs := newFlagSet(name, stderr)
	var configFile string
	if _, ok := cfg.(fromFile); ok {
		fs.StringVar(&configFile, "config", "", "YAML config `FILE`, one for every subcommand (docs/kensa.example.yaml)")
	}
	settings := cfg.settings()
	flags := registerFlags(fs, settings)
	if usage != "" {
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: "+usage)
			fs.PrintDefaults()
		}
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if a, ok := cfg.(withArgs); ok {
		a.setArgs(rest)
	} else if len(rest) != 0 {
		return usageError("unexpected arguments %q", rest)
	}

	var problems []error
	if configFile != "" {
		var f fileConfig
		problems = append(problems, readConfigFile(configFile, &f)...)
		cfg.(fromFile).useFile(&f)
	}
	problems = append(problems, applyEnvAndFlags(settings, flags)...)
	if sc, ok := cfg.(withSecrets); ok {
		problems = append(problems, sc.readSecrets(os.ReadFile)...)
	}
	problems = append(problems, cfg.Validate())
	if err := errors.Join(problems...); err != nil {
		return invalidConfig(err)
	}
	return nil
}

// registerFlags adds the settings' flags to fs. They only record what was
// given: applyEnvAndFlags sets the fields, after the file and environment.
func registerFlags(fs *flag.FlagSet, settings []setting) []*flagRecord {
	records := make([]*flagRecord, len(settings))
	for i, s := range settings {
		if s.flag == "" {
			continue
		}
		_, isBool := s.v.(boolValue)
		records[i] = &flagRecord{boolean: isBool}
		u := s.usage
		if s.env != "" {
			u += " (" + s.env + ")"
		}
		fs.Var(records[i], s.flag, u)
	}
	return records
}

// applyEnvAndFlags sets the settings from KENSA_* variables (an empty one
// counts as unset), then from the flags given, and returns every bad value.
func applyEnvAndFlags(settings []setting, flags []*flagRecord) []error {
	var problems []error
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		if v, ok := os.LookupEnv(s.env); ok && v != "" {
			if err := s.v.Set(v); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", s.env, err))
			}
		}
	}
	for i, s := range settings {
		if r := flags[i]; r != nil && r.given {
			if err := s.v.Set(r.raw); err != nil {
				problems = append(problems, fmt.Errorf("--%s: %w", s.flag, err))
			}
		}
	}
	return problems
}

// parseInterleaved parses flags that may come before or after positional
// arguments (kensa scan URL --json) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError("%w", err)
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

var yamlUnknownField = regexp.MustCompile(`^(line \d+): field (\S+) not found in type \S+$`)

// readConfigFile decodes the config file strictly and returns every problem
// it found: yaml.v3 goes on after an unknown key or a wrongly typed value,
// so they are all listed, not only the first.
func readConfigFile(path string, into *fileConfig) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{fmt.Errorf("config: %w", err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(into)
	var te *yaml.TypeError
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &te):
		var problems []error
		for _, e := range te.Errors {
			if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
				e = fmt.Sprintf("%s: unknown key %q", m[1], m[2])
			}
			problems = append(problems, fmt.Errorf("config %s: %s", path, e))
		}
		return problems
	default:
		return []error{fmt.Errorf("config %s: %w", path, err)}
	}
}

// readSecretFile reads a secret (a Redis URL, say) from a file: the first
// line, without surrounding white space. The content never appears in an
// error.
func readSecretFile(readFile func(string) ([]byte, error), key, path string) (string, error) {
	b, err := readFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return line, nil
}

// redactURL returns u with its password replaced by "xxxxx", for messages;
// a string that is not a URL is not shown at all.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(not a URL; not shown, it may hold a password)"
	}
	return p.Redacted()
}

func invalidConfig(err error) error {
	return usageError("invalid configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// settings of Common: every subcommand that has a config file has these.
func (c *Common) settings() []setting {
	return []setting{
		{flag: "base-url", env: "KENSA_BASE_URL", v: stringValue{&c.BaseURL}, usage: "the click proxy's base `URL`, e.g. https://kensa.example.com"},
		{flag: "key-file", env: "KENSA_KEY_FILE", v: stringValue{&c.KeyFile}, usage: "link-signing key `FILE` (kensa keygen)"},
		{env: "KENSA_LOG_FORMAT", v: stringValue{&c.LogFormat}},
		{env: "KENSA_LOG_LEVEL", v: stringValue{&c.LogLevel}},
	}
}

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

func (c *Common) logger(w io.Writer) (*zap.Logger, error) {
	format := logging.Format(c.LogFormat)
	if format == "" {
		format = logging.ForTerminal()
	}
	return logging.New(w, format, c.withDefaults().LogLevel)
}
