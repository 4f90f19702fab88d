package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// runKeygen: `kensa keygen > FILE` writes a new key file; `kensa keygen --add
// FILE` adds a key to FILE and makes it the signing key, keeping the old keys
// for verification (docs/link-format.md, "Keys").
func runKeygen(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen", stderr)
	add := fs.String("add", "", "add a new signing key to this key file (rewritten in place, mode 0600)")
	if err := fs.Parse(args); err != nil {
		return usageError("%w", err)
	}
	if fs.NArg() != 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	now := time.Now().UTC()
	if *add == "" {
		data, err := linktoken.GenerateKeyFile(rand.Reader, now)
		if err != nil {
			return err
		}
		_, err = stdout.Write(data)
		return err
	}
	old, err := os.ReadFile(*add)
	if err != nil {
		return err
	}
	data, err := linktoken.AddKey(old, rand.Reader, now)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*add), ".kensa-keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
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
	if err := os.Rename(tmp.Name(), *add); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "kensa keygen: added a new signing key to %s\n", *add)
	return nil
}
