// Package logging builds Kensa's zap loggers, so that every subcommand logs
// the same way: JSON for services and machines, a console format for people
// at a terminal. Sampling is always off: zap's production preset drops
// repeated messages, and a dropped line about a rewritten or clicked link is
// a hole in an investigation.
package logging

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Format is "json" or "console".
type Format string

// New returns a logger writing to w at the given level ("debug", "info",
// "warn", "error").
func New(w io.Writer, format Format, level string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("logging: level %q: %w", level, err)
	}
	var enc zapcore.Encoder
	switch format {
	case "json", "":
		ec := zap.NewProductionEncoderConfig()
		ec.TimeKey = "@timestamp"
		ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		enc = zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	default:
		return nil, fmt.Errorf("logging: format %q: want json or console", format)
	}
	// No sampler: every line is kept.
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), zap.NewAtomicLevelAt(lvl))
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(w)))), nil
}

// ForTerminal picks console output when stderr is a terminal, JSON otherwise.
func ForTerminal() Format {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return "console"
	}
	return "json"
}
