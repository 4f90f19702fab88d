package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// keyFileMode is the mode of every key file keygen writes: whoever can read
// the keys can sign links.
const keyFileMode = 0o600

// KeygenConfig is the configuration of `kensa keygen`: flags only.
type KeygenConfig struct {
	Add string // add a key to this key file
	Out string // write a new key file here (default: stdout)
}

func (c *KeygenConfig) settings() []setting {
	return []setting{
		{flag: "add", v: stringValue{&c.Add}, usage: "add a new signing key to this key `FILE` (rewritten in place, mode 0600)"},
		{flag: "out", v: stringValue{&c.Out}, usage: "write a new key file to `FILE`, mode 0600; it must not exist (default: stdout)"},
	}
}

// Validate reports every problem at once; it is pure.
func (c *KeygenConfig) Validate() error {
	if c.Add != "" && c.Out != "" {
		return errors.New("--add and --out: give one")
	}
	return nil
}

// runKeygen: `kensa keygen --out FILE` (or `> FILE`) writes a new key file;
// `kensa keygen --add FILE` adds a key to FILE and makes it the signing key,
// keeping the old keys for verification (docs/link-format.md, "Keys"). Key
// files are mode 0600, also when stdout is redirected to a file.
func runKeygen(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg KeygenConfig
	if err := load("keygen", &cfg, args, stderr, "kensa keygen [--out FILE | --add FILE]"); err != nil {
		return err
	}
	now := time.Now().UTC()
	switch {
	case cfg.Add != "":
		if err := addKey(cfg.Add, now); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "kensa keygen: added a new signing key to %s\n", cfg.Add)
		return nil
	case cfg.Out != "":
		data, err := linktoken.GenerateKeyFile(rand.Reader, now)
		if err != nil {
			return err
		}
		return writeNewKeyFile(cfg.Out, data)
	default:
		data, err := linktoken.GenerateKeyFile(rand.Reader, now)
		if err != nil {
			return err
		}
		// `kensa keygen > keys.json`: the shell created the file with its
		// umask, most likely 0644. Narrow it before the key is in it.
		if f, ok := stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				if err := f.Chmod(keyFileMode); err != nil {
					return fmt.Errorf("key file: %w", err)
				}
			}
		}
		_, err = stdout.Write(data)
		return err
	}
}

// writeNewKeyFile creates path, which must not exist, with mode 0600.
func writeNewKeyFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, keyFileMode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// addKey adds a key to the key file at path, replacing it atomically with a
// file of mode 0600.
func addKey(path string, now time.Time) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	data, err := linktoken.AddKey(old, rand.Reader, now)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kensa-keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(keyFileMode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
