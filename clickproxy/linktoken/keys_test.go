package linktoken

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixedRand returns a deterministic stream of bytes for key generation
// tests: SHA-256(seed || counter) blocks.
func fixedRand(seed byte) io.Reader { return &detReader{seed: seed} }

type detReader struct {
	seed  byte
	n     uint64
	block []byte
}

func (r *detReader) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.block) == 0 {
			b := sha256.Sum256(binary.BigEndian.AppendUint64([]byte{r.seed}, r.n))
			r.block, r.n = b[:], r.n+1
		}
		p[i], r.block = r.block[0], r.block[1:]
	}
	return len(p), nil
}

func TestGenerateKeyFile(t *testing.T) {
	now := time.Date(2026, 11, 23, 20, 0, 0, 123, time.FixedZone("JST", 9*3600))
	file, err := GenerateKeyFile(fixedRand(1), now)
	if err != nil {
		t.Fatal(err)
	}
	stream := make([]byte, 33)
	io.ReadFull(fixedRand(1), stream)
	want := fmt.Sprintf(`{
  "signing_key": %d,
  "keys": [
    {"id": %[1]d, "secret": %q, "created": "2026-11-23T11:00:00Z"}
  ]
}
`, stream[0], base64.StdEncoding.EncodeToString(stream[1:]))
	if string(file) != want {
		t.Errorf("GenerateKeyFile =\n%s\nwant\n%s", file, want)
	}
	kr, err := ParseKeyring(file)
	if err != nil {
		t.Fatal(err)
	}
	if kr.SigningKeyID() != stream[0] || !reflect.DeepEqual(kr.KeyIDs(), []uint8{stream[0]}) {
		t.Errorf("keyring: signing %d, IDs %v", kr.SigningKeyID(), kr.KeyIDs())
	}
	if _, err := GenerateKeyFile(strings.NewReader("short"), now); err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("GenerateKeyFile with a failing reader = %v", err)
	}
}

func TestAddKey(t *testing.T) {
	check := func(signing uint8, ids []uint8, wantID uint8) {
		t.Helper()
		var keys []Key
		for _, id := range ids {
			keys = append(keys, Key{ID: id, Secret: testSecret(id), Created: testIssued})
		}
		out, err := AddKey(marshalKeyFile(signing, keys), fixedRand(3), testIssued.Add(time.Hour))
		if err != nil {
			t.Fatalf("AddKey: %v", err)
		}
		gotSigning, got, err := parseKeyFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if gotSigning != wantID || got[0].ID != wantID || !got[0].Created.Equal(testIssued.Add(time.Hour)) || len(got[0].Secret) != SecretSize {
			t.Errorf("AddKey to %v (signing %d): new key %+v, signing %d; want ID %d", ids, signing, got[0], gotSigning, wantID)
		}
		if !reflect.DeepEqual(got[1:], keys) {
			t.Errorf("AddKey changed the old keys: %+v", got[1:])
		}
	}
	check(7, []uint8{7}, 8)
	check(7, []uint8{7, 6}, 8)
	check(6, []uint8{7, 6}, 8)
	check(255, []uint8{255}, 0)
	check(254, []uint8{254, 255, 0, 1}, 2)

	var all []Key
	for id := 0; id < 256; id++ {
		all = append(all, Key{ID: uint8(id), Secret: testSecret(uint8(id)), Created: testIssued})
	}
	if _, err := AddKey(marshalKeyFile(0, all), fixedRand(3), testIssued); !errors.Is(err, ErrKeyFile) {
		t.Errorf("AddKey with 256 keys = %v, want ErrKeyFile", err)
	}
	if _, err := AddKey([]byte(`{}`), fixedRand(3), testIssued); !errors.Is(err, ErrKeyFile) {
		t.Errorf("AddKey to a bad file = %v, want ErrKeyFile", err)
	}
}

func TestParseKeyring(t *testing.T) {
	kr, err := ParseKeyring(testKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if kr.SigningKeyID() != 7 || !reflect.DeepEqual(kr.KeyIDs(), []uint8{7, 6}) {
		t.Errorf("signing %d, IDs %v", kr.SigningKeyID(), kr.KeyIDs())
	}
	// The example of docs/link-format.md, with real secrets.
	doc := `{
  "signing_key": 7,
  "keys": [
    {"id": 7, "secret": "` + base64.StdEncoding.EncodeToString(testSecret(7)) + `", "created": "2026-11-23T11:00:00Z"},
    {"id": 6, "secret": "` + base64.StdEncoding.EncodeToString(testSecret(6)) + `", "created": "2026-05-01T09:00:00+02:00"}
  ]
}`
	if _, err := ParseKeyring([]byte(doc)); err != nil {
		t.Errorf("doc example: %v", err)
	}
}

func TestParseKeyringErrors(t *testing.T) {
	secret := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	s7 := base64.StdEncoding.EncodeToString(testSecret(7))
	check := func(file string, want ...string) {
		t.Helper()
		kr, err := ParseKeyring([]byte(file))
		if err == nil {
			t.Errorf("ParseKeyring(%s) = %v, want errors", file, kr)
			return
		}
		if !errors.Is(err, ErrKeyFile) {
			t.Errorf("error %v does not wrap ErrKeyFile", err)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(want) {
			t.Errorf("ParseKeyring(%s): %d problems:\n%v\nwant %d: %q", file, len(lines), err, len(want), want)
			return
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], "linktoken: invalid key file: ") || !strings.Contains(lines[i], w) {
				t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
			}
		}
	}
	check(``, "EOF")
	check(`[]`, "cannot unmarshal")
	check(`{"signing_key": 7, "keys": [], "extra": 1}`, `unknown field "extra"`)
	check(`{} {}`, "data after the JSON object")
	check(`{}`, "signing_key is missing", "keys is missing or empty")
	check(`{"signing_key": 7, "keys": [{"id": 7, "secret": "`+s7+`", "created": "2026-11-23T11:00:00Z"}], "signing_key": 8}`,
		"signing key 8 is not among the keys")
	check(`{"signing_key": 256, "keys": [
		{"id": -1, "secret": "`+secret(32)+`", "created": "2026-11-23T11:00:00Z"},
		{"id": 1.5},
		{"id": 3, "secret": "not base64!", "created": "yesterday"},
		{"id": 4, "secret": "`+secret(31)+`", "created": "2026-11-23T11:00:00Z"},
		{"id": 5, "secret": "`+secret(33)+`", "created": "2026-11-23"}
	]}`,
		"signing_key: 256 is not an integer from 0 to 255",
		"keys[0]: id: -1 is not an integer from 0 to 255",
		"keys[1]: id: 1.5 is not an integer from 0 to 255",
		"keys[1]: secret is missing",
		"keys[1]: created is missing",
		"keys[2]: secret is not base64",
		`keys[2]: created: parsing time "yesterday"`,
		"keys[3]: secret is 31 bytes, want 32",
		"keys[4]: secret is 33 bytes, want 32",
		`keys[4]: created: parsing time "2026-11-23"`)
	check(`{"signing_key": 9, "keys": [
		{"id": 7, "secret": "`+s7+`", "created": "2026-11-23T11:00:00Z"},
		{"id": 7, "secret": "`+secret(32)+`", "created": "2026-11-23T11:00:00Z"},
		{"id": 8, "secret": "`+s7+`", "created": "2026-11-23T11:00:00Z"},
		{"id": 7, "secret": "`+secret(32)+`", "created": "2026-11-23T11:00:00Z"}
	]}`,
		"key ID 7 appears more than once",
		"keys 7 and 8 have the same secret",
		"signing key 9 is not among the keys")
	check(`{"signing_key": 7, "keys": [{"id": 7, "secret": "`+strings.TrimRight(s7, "=")+`", "created": "2026-11-23T11:00:00Z"}]}`,
		"keys[0]: secret is not base64")
}

func TestNewKeyring(t *testing.T) {
	check := func(signing uint8, keys []Key, want ...string) {
		t.Helper()
		kr, err := NewKeyring(signing, keys...)
		if len(want) == 0 {
			if err != nil || kr.SigningKeyID() != signing {
				t.Errorf("NewKeyring(%d, %v) = %v", signing, keys, err)
			}
			return
		}
		if err == nil || !errors.Is(err, ErrKeyFile) {
			t.Fatalf("NewKeyring(%d) = %v, want errors %q", signing, err, want)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(want) {
			t.Fatalf("NewKeyring(%d): %v, want %q", signing, err, want)
		}
		for i, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("problem %d = %q, want %q", i, lines[i], w)
			}
		}
	}
	check(7, testKeys)
	check(6, testKeys)
	check(7, nil, "no keys")
	check(8, testKeys, "signing key 8 is not among the keys")
	check(1, []Key{{ID: 1, Secret: make([]byte, 16)}, {ID: 1, Secret: testSecret(1)}},
		"key 1: secret is 16 bytes, want 32", "key ID 1 appears more than once")
	// The keyring keeps its own copy of the secrets.
	secret := testSecret(7)
	kr, err := NewKeyring(7, Key{ID: 7, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewCodec(testBase, kr)
	link, _ := c.Link(Context{Issued: testIssued}, "https://example.jp/")
	secret[0] ^= 1
	if _, err := c.Open(link); err != nil {
		t.Errorf("Open after changing the caller's secret: %v", err)
	}
}

func TestLoadKeyring(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(good, testKeyFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	if kr, err := LoadKeyring(good); err != nil || kr.SigningKeyID() != 7 {
		t.Errorf("LoadKeyring: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{}`), 0o600)
	if _, err := LoadKeyring(bad); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadKeyring(bad) = %v", err)
	}
	if _, err := LoadKeyring(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadKeyring(missing) = %v", err)
	}
}

// TestLoadKeyringFileMode: the loader returns the key file's permission
// bits, and KeyFileExposed flags a file that its group or others can read.
func TestLoadKeyringFileMode(t *testing.T) {
	dir := t.TempDir()
	check := func(perm os.FileMode, exposed bool) {
		t.Helper()
		path := filepath.Join(dir, fmt.Sprintf("keys-%o.json", perm))
		if err := os.WriteFile(path, testKeyFile(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, perm); err != nil { // not subject to the umask
			t.Fatal(err)
		}
		kr, got, err := LoadKeyringFile(path)
		if err != nil || kr.SigningKeyID() != 7 || got != perm || KeyFileExposed(got) != exposed {
			t.Errorf("mode %o: got %o, exposed %v, %v; want exposed %v", perm, got, KeyFileExposed(got), err, exposed)
		}
	}
	check(0o600, false)
	check(0o400, false)
	check(0o640, true)
	check(0o644, true)
	check(0o604, true)
	check(0o660, true)
	if _, _, err := LoadKeyringFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadKeyringFile(missing) = %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	file, err := GenerateKeyFile(fixedRand(1), testIssued)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := ParseKeyring(file)
	if err != nil {
		t.Fatal(err)
	}
	oldID := kr.SigningKeyID()
	c, _ := NewCodec(testBase, kr)
	old, err := c.Link(Context{Issued: testIssued}, "https://example.jp/old")
	if err != nil {
		t.Fatal(err)
	}

	file, err = AddKey(file, fixedRand(2), testIssued.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kr, err = ParseKeyring(file)
	if err != nil {
		t.Fatal(err)
	}
	if kr.SigningKeyID() != oldID+1 {
		t.Errorf("signing key after AddKey = %d, want %d", kr.SigningKeyID(), oldID+1)
	}
	c, _ = NewCodec(testBase, kr)
	if d, err := c.Open(old); err != nil || d.KeyID != oldID {
		t.Errorf("Open(old link) after AddKey = %+v, %v; want key %d", d, err, oldID)
	}
	fresh, err := c.Link(Context{Issued: testIssued}, "https://example.jp/new")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.Open(fresh); err != nil || d.KeyID != oldID+1 {
		t.Errorf("Open(new link) = %+v, %v; want key %d", d, err, oldID+1)
	}

	// Retire the old key: its links are gone, new ones still open.
	_, keys, err := parseKeyFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kr, err = ParseKeyring(marshalKeyFile(oldID+1, keys[:1]))
	if err != nil {
		t.Fatal(err)
	}
	c, _ = NewCodec(testBase, kr)
	if _, err := c.Open(old); !errors.Is(err, ErrUnknownKey) || Code(err) != "unknown-key" {
		t.Errorf("Open(old link) after removing its key = %v, want ErrUnknownKey", err)
	}
	if _, err := c.Open(fresh); err != nil {
		t.Errorf("Open(new link) after removing the old key: %v", err)
	}
}

func TestDerive(t *testing.T) {
	kr, err := NewKeyring(1, Key{ID: 1, Secret: make([]byte, SecretSize)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := kr.Derive("proceed v1"), kr.Derive("screenshot v1")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, kr.Derive("proceed v1")) {
		t.Errorf("Derive: %x %x", a, b)
	}
	other, _ := NewKeyring(2, Key{ID: 2, Secret: bytes.Repeat([]byte{1}, SecretSize)})
	if bytes.Equal(a, other.Derive("proceed v1")) {
		t.Error("different secrets gave the same key")
	}
}
