package linktoken

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"
)

// SecretSize is the size of a key secret in bytes.
const SecretSize = 32

// Key is one entry of a key file.
type Key struct {
	ID      uint8
	Secret  []byte // SecretSize random bytes
	Created time.Time
}

// derivedKey holds the keys HKDF-SHA-256 derives from a secret.
type derivedKey struct {
	id       uint8
	secret   []byte
	mac, enc []byte
	block    cipher.Block // AES-256 with enc; safe for concurrent use
	macs     sync.Pool    // of *macState, HMAC-SHA-256 keyed with mac
}

// macState is one pooled HMAC and a buffer to write strings to it.
type macState struct {
	h       hash.Hash
	label   []byte // tagLabel
	scratch []byte
}

func deriveKey(id uint8, secret []byte) *derivedKey {
	mac, err1 := hkdf.Key(sha256.New, secret, nil, "kensa link v1 mac", 32)
	enc, err2 := hkdf.Key(sha256.New, secret, nil, "kensa link v1 enc", 32)
	if err := errors.Join(err1, err2); err != nil {
		panic(err) // only for lengths far beyond 32 bytes
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		panic(err) // enc is always 32 bytes
	}
	k := &derivedKey{id: id, secret: append([]byte(nil), secret...), mac: mac, enc: enc, block: block}
	k.macs.New = func() any { return &macState{h: hmac.New(sha256.New, k.mac), label: []byte(tagLabel)} }
	return k
}

// Keyring holds one signing key and the keys that verify links. It is
// immutable.
type Keyring struct {
	signing *derivedKey
	keys    map[uint8]*derivedKey
	ids     []uint8 // in file order
}

// SigningKeyID returns the ID of the key that signs new links.
func (kr *Keyring) SigningKeyID() uint8 { return kr.signing.id }

// Derive returns a 32-byte key for another purpose than links (the click
// proxy's proceed tokens, screenshot URLs), HKDF-SHA-256 of the signing
// key's secret with info "kensa " + purpose. Keys for different purposes
// are independent of each other and of the link keys.
func (kr *Keyring) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, kr.signing.secret, nil, "kensa "+purpose, 32)
	if err != nil {
		panic("linktoken: HKDF: " + err.Error()) // only for lengths HKDF-SHA-256 cannot give
	}
	return k
}

// KeyIDs returns the IDs of all keys, in the order they were given.
func (kr *Keyring) KeyIDs() []uint8 { return append([]uint8(nil), kr.ids...) }

// NewKeyring returns a keyring that signs with the key signingID and verifies
// with all keys. Every secret must be SecretSize bytes and IDs unique.
func NewKeyring(signingID uint8, keys ...Key) (*Keyring, error) {
	var problems []error
	if len(keys) == 0 {
		problems = append(problems, fmt.Errorf("%w: no keys", ErrKeyFile))
	}
	for _, k := range keys {
		if len(k.Secret) != SecretSize {
			problems = append(problems, fmt.Errorf("%w: key %d: secret is %d bytes, want %d", ErrKeyFile, k.ID, len(k.Secret), SecretSize))
		}
	}
	problems = append(problems, checkKeys(keys)...)
	found := false
	for _, k := range keys {
		found = found || k.ID == signingID
	}
	if len(keys) > 0 && !found {
		problems = append(problems, fmt.Errorf("%w: signing key %d is not among the keys", ErrKeyFile, signingID))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return newKeyring(signingID, keys), nil
}

func newKeyring(signingID uint8, keys []Key) *Keyring {
	kr := &Keyring{keys: map[uint8]*derivedKey{}}
	for _, k := range keys {
		dk := deriveKey(k.ID, k.Secret)
		kr.keys[k.ID] = dk
		kr.ids = append(kr.ids, k.ID)
		if k.ID == signingID {
			kr.signing = dk
		}
	}
	return kr
}

// checkKeys reports repeated IDs and secrets, once per ID and secret.
func checkKeys(keys []Key) []error {
	var problems []error
	dupID := map[uint8]bool{}
	for i, k := range keys {
		for _, prev := range keys[:i] {
			if prev.ID == k.ID {
				if !dupID[k.ID] {
					problems = append(problems, fmt.Errorf("%w: key ID %d appears more than once", ErrKeyFile, k.ID))
				}
				dupID[k.ID] = true
				break
			}
			if len(k.Secret) > 0 && subtle.ConstantTimeCompare(prev.Secret, k.Secret) == 1 {
				problems = append(problems, fmt.Errorf("%w: keys %d and %d have the same secret", ErrKeyFile, prev.ID, k.ID))
				break
			}
		}
	}
	return problems
}

type keyFileJSON struct {
	SigningKey *json.Number `json:"signing_key"`
	Keys       []keyJSON    `json:"keys"`
}

type keyJSON struct {
	ID      *json.Number `json:"id"`
	Secret  string       `json:"secret"`
	Created string       `json:"created"`
}

// ParseKeyring parses a key file (docs/link-format.md, "Keys"):
//
//	{"signing_key": 7, "keys": [{"id": 7, "secret": "<base64 of 32 bytes>", "created": "2026-11-23T11:00:00Z"}]}
//
// It reports every problem it finds at once, joined with errors.Join, each
// wrapping ErrKeyFile.
func ParseKeyring(data []byte) (*Keyring, error) {
	signing, keys, err := parseKeyFile(data)
	if err != nil {
		return nil, err
	}
	return newKeyring(signing, keys), nil
}

func parseKeyFile(data []byte) (uint8, []Key, error) {
	var f keyFileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, nil, fmt.Errorf("%w: data after the JSON object", ErrKeyFile)
	}

	var problems []error
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrKeyFile}, args...)...))
	}
	var signing uint8
	signingOK := false
	switch id, err := parseID(f.SigningKey); {
	case f.SigningKey == nil:
		report("signing_key is missing")
	case err != nil:
		report("signing_key: %v", err)
	default:
		signing, signingOK = id, true
	}
	if len(f.Keys) == 0 {
		report("keys is missing or empty")
	}
	var keys []Key
	idsOK := true
	for i, kj := range f.Keys {
		var k Key
		switch id, err := parseID(kj.ID); {
		case kj.ID == nil:
			report("keys[%d]: id is missing", i)
			idsOK = false
		case err != nil:
			report("keys[%d]: id: %v", i, err)
			idsOK = false
		default:
			k.ID = id
		}
		if kj.Secret == "" {
			report("keys[%d]: secret is missing", i)
		} else if s, err := base64.StdEncoding.Strict().DecodeString(kj.Secret); err != nil {
			report("keys[%d]: secret is not base64: %v", i, err)
		} else if len(s) != SecretSize {
			report("keys[%d]: secret is %d bytes, want %d", i, len(s), SecretSize)
		} else {
			k.Secret = s
		}
		if kj.Created == "" {
			report("keys[%d]: created is missing", i)
		} else if t, err := time.Parse(time.RFC3339, kj.Created); err != nil {
			report("keys[%d]: created: %v", i, err)
		} else {
			k.Created = t
		}
		keys = append(keys, k)
	}
	if idsOK {
		problems = append(problems, checkKeys(keys)...)
		found := false
		for _, k := range keys {
			found = found || k.ID == signing
		}
		if signingOK && len(keys) > 0 && !found {
			report("signing key %d is not among the keys", signing)
		}
	}
	if len(problems) > 0 {
		return 0, nil, errors.Join(problems...)
	}
	return signing, keys, nil
}

func parseID(n *json.Number) (uint8, error) {
	if n == nil {
		return 0, nil
	}
	id, err := strconv.ParseUint(n.String(), 10, 8)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer from 0 to 255", n.String())
	}
	return uint8(id), nil
}

// LoadKeyring reads and parses the key file at path.
func LoadKeyring(path string) (*Keyring, error) {
	kr, _, err := LoadKeyringFile(path)
	return kr, err
}

// LoadKeyringFile is LoadKeyring that also returns the key file's permission
// bits, so that the caller can warn when KeyFileExposed says others can read
// the keys. It does not warn itself: this package writes no logs.
func LoadKeyringFile(path string) (*Keyring, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("linktoken: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("linktoken: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, fmt.Errorf("linktoken: %w", err)
	}
	kr, err := ParseKeyring(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return kr, fi.Mode().Perm(), nil
}

// KeyFileExposed reports whether a key file with these permission bits is
// open to its group or to others: whoever can read the keys can sign links
// that the click proxy trusts. `kensa keygen` writes mode 0600.
func KeyFileExposed(perm fs.FileMode) bool { return perm&0o077 != 0 }

// GenerateKeyFile returns a key file with one new signing key, created now,
// for `kensa keygen`. Its ID is random, so that links signed by a key that
// was lost and replaced most likely fail as unknown-key, not bad-signature.
func GenerateKeyFile(rand io.Reader, now time.Time) ([]byte, error) {
	var id [1]byte
	if _, err := io.ReadFull(rand, id[:]); err != nil {
		return nil, fmt.Errorf("linktoken: generate key: %w", err)
	}
	k, err := newKey(rand, id[0], now)
	if err != nil {
		return nil, err
	}
	return marshalKeyFile(k.ID, []Key{k}), nil
}

// AddKey returns the key file existing with a new key, created now, which
// becomes the signing key, for `kensa keygen --add`. The old keys keep
// verifying. The new ID is the first unused one after the current signing
// key, wrapping after 255.
func AddKey(existing []byte, rand io.Reader, now time.Time) ([]byte, error) {
	signing, keys, err := parseKeyFile(existing)
	if err != nil {
		return nil, err
	}
	used := map[uint8]bool{}
	for _, k := range keys {
		used[k.ID] = true
	}
	if len(used) == 256 {
		return nil, fmt.Errorf("%w: all 256 key IDs are in use; remove an old key first", ErrKeyFile)
	}
	id := signing + 1
	for used[id] {
		id++
	}
	k, err := newKey(rand, id, now)
	if err != nil {
		return nil, err
	}
	return marshalKeyFile(id, append([]Key{k}, keys...)), nil
}

func newKey(rand io.Reader, id uint8, now time.Time) (Key, error) {
	k := Key{ID: id, Secret: make([]byte, SecretSize), Created: now.UTC().Truncate(time.Second)}
	if _, err := io.ReadFull(rand, k.Secret); err != nil {
		return Key{}, fmt.Errorf("linktoken: generate key: %w", err)
	}
	return k, nil
}

// marshalKeyFile writes the key file layout of docs/link-format.md, one key
// per line.
func marshalKeyFile(signing uint8, keys []Key) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"signing_key\": %d,\n  \"keys\": [\n", signing)
	for i, k := range keys {
		fmt.Fprintf(&b, "    {\"id\": %d, \"secret\": %q, \"created\": %q}", k.ID,
			base64.StdEncoding.EncodeToString(k.Secret), k.Created.UTC().Format(time.RFC3339))
		if i < len(keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}
