package linktoken

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOpenTrimmed(t *testing.T) {
	c := testCodec(t, 7)
	link, err := c.Link(Context{Issued: time.Unix(1.8e9, 0)}, "https://example.jp/login")
	if err != nil {
		t.Fatal(err)
	}
	check := func(s string, wantN int, wantErr error) {
		t.Helper()
		d, n, err := c.OpenTrimmed(s)
		if !errors.Is(err, wantErr) || (err == nil && (n != wantN || d.Dest != "https://example.jp/login")) {
			t.Errorf("OpenTrimmed(%q) = %q, %d, %v; want %d, %v", s, d.Dest, n, err, wantN, wantErr)
		}
	}
	check(link, len(link), nil)
	check(link+"!0", len(link), nil)
	check(link+"%E3%81%8B%E3%82%89", len(link), nil) // から, percent-encoded by a client
	check(link+strings.Repeat("x", MaxTrim), len(link), nil)
	check(link+strings.Repeat("x", MaxTrim+1), 0, ErrBadSignature)
	check(strings.Replace(link, "login", "logon", 1)+"!", 0, ErrBadSignature)
	check(link[:len(link)-1], 0, ErrBadSignature) // a shorter link never verifies by itself
	// Longer than any form A link plus MaxTrim: not trimmed at all.
	long := link + "&" + strings.Repeat("x", MaxLinkLength)
	check(long, 0, ErrBadSignature)
}

// BenchmarkOpenTrimmedForged: a forged 16 KB link costs one Open, not
// MaxTrim of them.
//
//	go test -run '^$' -bench 'Open(Trimmed)?Forged' ./clickproxy/linktoken
func BenchmarkOpenTrimmedForged(b *testing.B) {
	c := testCodec(b, 7)
	link, _ := c.Link(Context{Issued: time.Unix(1.8e9, 0)}, "https://example.jp/login")
	forged := link + strings.Repeat("a", 16<<10)
	for b.Loop() {
		c.OpenTrimmed(forged)
	}
}

func BenchmarkOpenForged(b *testing.B) {
	c := testCodec(b, 7)
	link, _ := c.Link(Context{Issued: time.Unix(1.8e9, 0)}, "https://example.jp/login")
	forged := link + strings.Repeat("a", 16<<10)
	for b.Loop() {
		c.Open(forged)
	}
}
