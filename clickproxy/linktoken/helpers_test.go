package linktoken

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

const testBase = "https://kensa.example.com"

// testSecret is the deterministic secret of test key id, as documented in
// vectors.json.
func testSecret(id uint8) []byte {
	s := sha256.Sum256([]byte("kensa test vector key " + strconv.Itoa(int(id))))
	return s[:]
}

func testKey(id uint8, created string) Key {
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		panic(err)
	}
	return Key{ID: id, Secret: testSecret(id), Created: t}
}

// testKeys are the keys of vectors.json: 7 signs, 6 verifies. Key 9 is not
// in the file.
var testKeys = []Key{
	testKey(7, "2026-11-23T11:00:00Z"),
	testKey(6, "2026-05-01T09:00:00Z"),
}

func testKeyFile() []byte { return marshalKeyFile(7, testKeys) }

// testCodec returns a codec under testBase with testKeys, signing with
// signing (which may be a key outside testKeys, then added to the ring).
func testCodec(t testing.TB, signing uint8) *Codec {
	t.Helper()
	keys := append([]Key(nil), testKeys...)
	found := false
	for _, k := range keys {
		found = found || k.ID == signing
	}
	if !found {
		keys = append(keys, testKey(signing, "2026-01-01T00:00:00Z"))
	}
	kr, err := NewKeyring(signing, keys...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCodec(testBase, kr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var testIssued = time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
