// Package logging builds Kensa's zap loggers, so that every subcommand logs
// the same way: JSON for services and machines, a console format for people
// at a terminal. Sampling is always off: zap's production preset drops
// repeated messages, and a dropped line about a rewritten or clicked link is
// a hole in an investigation.
package logging

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Format is "json" or "console".
type Format string

// New returns a logger writing to stderr at the given level ("debug",
// "info", "warn", "error").
func New(format Format, level string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("logging: level %q: %w", level, err)
	}
	var cfg zap.Config
	switch format {
	case "json", "":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "@timestamp"
		cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.Development = false
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("logging: format %q: want json or console", format)
	}
	cfg.Sampling = nil
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return cfg.Build()
}

// ForTerminal picks console output when stderr is a terminal, JSON otherwise.
func ForTerminal() Format {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return "console"
	}
	return "json"
}
