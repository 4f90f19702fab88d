package linktoken_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// fakeRand stands in for crypto/rand.Reader so that the output is stable.
type fakeRand struct{ next byte }

func (r *fakeRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func ExampleCodec_Link() {
	now := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	// In production: keyFile, err := linktoken.GenerateKeyFile(rand.Reader, time.Now())
	keyFile, err := linktoken.GenerateKeyFile(&fakeRand{}, now)
	if err != nil {
		log.Fatal(err)
	}
	kr, err := linktoken.ParseKeyring(keyFile)
	if err != nil {
		log.Fatal(err)
	}
	c, err := linktoken.NewCodec("https://kensa.example.com", kr)
	if err != nil {
		log.Fatal(err)
	}

	ctx := linktoken.Context{
		Issued:        now,
		MessageDigest: linktoken.MessageDigest("<20261123110000.4821@mail.example.org>"),
		Recipient:     "alice@example.com",
		Flags:         linktoken.FlagText,
	}
	link, err := c.Link(ctx, "https://example.jp/login?id=42")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link)

	d, err := c.Open(link)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Dest, d.Context.Recipient, d.Context.Flags, d.Context.Issued)

	_, err = c.Open(link + "&next=https://evil.example/")
	fmt.Println(linktoken.Code(err), errors.Is(err, linktoken.ErrBadSignature))
	// Output:
	// https://kensa.example.com/k/AQBrBBywEBchmXYZ6D47E8VzxwpQIwav81X8HxgAjHzeRZ2IpJZW8YCC03-lDVbYhO9z?u=https://example.jp/login?id=42
	// https://example.jp/login?id=42 alice@example.com text 2026-11-23 11:00:00 +0000 UTC
	// bad-signature true
}

func ExampleAddKey() {
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rand := &fakeRand{next: 6}
	keyFile, _ := linktoken.GenerateKeyFile(rand, day)
	kr, _ := linktoken.ParseKeyring(keyFile)
	c, _ := linktoken.NewCodec("https://kensa.example.com", kr)
	old, _ := c.Link(linktoken.Context{Issued: day}, "https://example.jp/")

	// kensa keygen --add FILE: a new signing key; the old one keeps verifying.
	keyFile, err := linktoken.AddKey(keyFile, rand, day.AddDate(0, 6, 0))
	if err != nil {
		log.Fatal(err)
	}
	kr, err = linktoken.ParseKeyring(keyFile)
	if err != nil {
		log.Fatal(err)
	}
	c, _ = linktoken.NewCodec("https://kensa.example.com", kr)
	d, err := c.Open(old)
	fmt.Println("keys:", kr.KeyIDs(), "signing:", kr.SigningKeyID(), "old link:", d.KeyID, err)

	// Removing key 6 from the file retires every link signed with it.
	var f struct {
		SigningKey int               `json:"signing_key"`
		Keys       []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(keyFile, &f); err != nil {
		log.Fatal(err)
	}
	f.Keys = f.Keys[:1]
	keyFile, _ = json.Marshal(f)
	kr, err = linktoken.ParseKeyring(keyFile)
	if err != nil {
		log.Fatal(err)
	}
	c, _ = linktoken.NewCodec("https://kensa.example.com", kr)
	_, err = c.Open(old)
	fmt.Println("keys:", kr.KeyIDs(), "old link:", linktoken.Code(err))
	// Output:
	// keys: [7 6] signing: 7 old link: 6 <nil>
	// keys: [7] old link: unknown-key
}

func ExampleFind() {
	text := "Sign in at (https://kensa.example.com/k/AQBrBBywAAAAAAAAAAAAAMxXG9qq8IEwcbCDKXpYtWI?u=https://example.jp/a%2E)."
	for _, r := range linktoken.Find("https://kensa.example.com", text) {
		fmt.Println(text[r[0]:r[1]])
	}
	// Output:
	// https://kensa.example.com/k/AQBrBBywAAAAAAAAAAAAAMxXG9qq8IEwcbCDKXpYtWI?u=https://example.jp/a%2E
}

func ExampleInspect() {
	p, err := linktoken.Inspect("https://kensa.example.com/k/AQBrBBywEBchmXYZ6D47E8VzxwpQIwav81X8HxgAjHzeRZ2IpJZW8YCC03-lDVbYhO9z?u=https://example.jp/login?id=42")
	fmt.Println(p.Version, p.KeyID, p.Issued, p.Flags, p.Dest, err)
	// Output:
	// 1 0 2026-11-23 11:00:00 +0000 UTC text https://example.jp/login?id=42 <nil>
}
