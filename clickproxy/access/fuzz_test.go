package access

import (
	"strings"
	"testing"
)

// FuzzParsePHC: a stored password hash is parsed without panicking, only
// within the cost bounds, and what the store writes always parses back.
func FuzzParsePHC(f *testing.F) {
	s := &Store{params: DefaultArgon2}
	f.Add(s.hash("correct horse battery"))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=+19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5")
	f.Add("$argon2id$v=19$m=19456,t=2,p=0$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, phc string) {
		p, salt, key, ok := parsePHC(phc)
		if !ok {
			return
		}
		if p.Memory > maxArgon2Memory || p.Time > maxArgon2Time || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted %q: %+v", phc, p)
		}
		if !strings.HasPrefix(phc, "$argon2id$v=19$") {
			t.Fatalf("accepted %q", phc)
		}
	})
}

func TestHashParses(t *testing.T) {
	s := &Store{params: DefaultArgon2}
	h := s.hash("another password")
	p, salt, key, ok := parsePHC(h)
	if !ok || p != DefaultArgon2 || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("%q: %+v %v", h, p, ok)
	}
	if !verify(h, "another password") || verify(h, "another passworD") {
		t.Error("verify")
	}
}
