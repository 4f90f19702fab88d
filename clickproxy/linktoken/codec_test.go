package linktoken

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	c := testCodec(t, 7)
	check := func(ctx Context, dest string) {
		t.Helper()
		link, err := c.Link(ctx, dest)
		if err != nil {
			t.Errorf("Link(%+v, %q): %v", ctx, dest, err)
			return
		}
		want := Decoded{Version: 1, KeyID: 7, Context: ctx, Dest: dest}
		want.Context.Issued = ctx.Issued.Truncate(time.Second).UTC()
		want.Context.Flags = ctx.Flags & flagsCaller
		if ctx.ShownDomain != "" {
			want.Context.Flags |= FlagMismatch
		}
		if len(link) > MaxLinkLength || strings.Contains(link, "?d=") {
			want.Context.Flags |= FlagCompressed
		}
		got, err := c.Open(link)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Open(Link(%+v, %q)) = %+v, %v; want %+v", ctx, dest, got, err, want)
		}
		p, err := Inspect(link)
		if wantP := (Public{1, 7, want.Context.Issued, want.Context.Flags, ctx.MessageDigest, dest}); err != nil || p != wantP {
			t.Errorf("Inspect = %+v, %v; want %+v", p, err, wantP)
		}
		for i := 0; i < len(link); i++ {
			if c := link[i]; !literal[c] && c != '%' {
				t.Errorf("link %q has byte %q", link, c)
			}
		}
	}
	digest := MessageDigest(testMessageID)
	issued := time.Date(2026, 11, 23, 20, 0, 0, 999999999, time.FixedZone("JST", 9*3600))
	for f := Flags(0); f <= flagsCaller; f++ {
		if f&^flagsCaller != 0 {
			continue
		}
		for _, recipient := range []string{"", "alice@example.com", "山田@例え.jp"} {
			for _, shown := range []string{"", "example.com"} {
				for _, d := range [][8]byte{{}, digest} {
					for _, dest := range []string{"https://example.jp/a?b=c#d.", longDest(2500)} {
						check(Context{Issued: issued, MessageDigest: d, Recipient: recipient, ShownDomain: shown, Flags: f}, dest)
					}
				}
			}
		}
	}
	check(Context{Issued: time.Unix(0, 0)}, "http://x")
	check(Context{Issued: time.Unix(1<<32-1, 0)}, "http://x")
	check(Context{Issued: testIssued}, longDest(maxDest))
	check(Context{Issued: testIssued}, "HTTP://X.JP:/")
	check(Context{Issued: testIssued}, "https://a&z=b/")
}

func TestLinkIgnoresDerivedFlags(t *testing.T) {
	c := testCodec(t, 7)
	plain, err := c.Link(Context{Issued: testIssued}, "https://example.jp/")
	if err != nil {
		t.Fatal(err)
	}
	forced, err := c.Link(Context{Issued: testIssued, Flags: FlagMismatch | FlagCompressed}, "https://example.jp/")
	if err != nil || forced != plain {
		t.Errorf("Link with mismatch and compressed flags = %q, %v; want %q", forced, err, plain)
	}
}

func TestFormSwitch(t *testing.T) {
	c := testCodec(t, 7)
	for _, recipient := range []string{"", "alice@example.com"} {
		ctx := Context{Issued: testIssued, Recipient: recipient}
		tokenLen := b64.EncodedLen(headerLen + len(encodeContext(recipient, "")) + tagLen)
		fixed := len(testBase+"/k/?u=") + tokenLen
		for _, n := range []int{MaxLinkLength - fixed - 1, MaxLinkLength - fixed, MaxLinkLength - fixed + 1} {
			dest := longDest(n)
			link, err := c.Link(ctx, dest)
			if err != nil {
				t.Fatal(err)
			}
			formA := fixed+n <= MaxLinkLength
			if got := strings.Contains(link, "?u="); got != formA {
				t.Errorf("recipient %q, form A would be %d characters: form A = %v, want %v", recipient, fixed+n, got, formA)
			}
			if formA && len(link) != fixed+n {
				t.Errorf("form A link is %d characters, want %d", len(link), fixed+n)
			}
			if !formA && (!strings.Contains(link, "?d=example.jp&z=") || len(link) > MaxLinkLength) {
				t.Errorf("form B link %q", link)
			}
		}
	}
	// A percent-encoded destination switches earlier: the escaped length counts.
	dest := "https://example.jp/" + strings.Repeat("日", 600) // 1819 bytes, 5419 escaped
	link, err := c.Link(Context{Issued: testIssued}, dest)
	if err != nil || !strings.Contains(link, "?d=") {
		t.Errorf("Link(%d-byte non-ASCII URL) = %.80q..., %v; want form B", len(dest), link, err)
	}
}

func TestLinkErrors(t *testing.T) {
	c := testCodec(t, 7)
	check := func(ctx Context, dest string, wantErr error, wantText string) {
		t.Helper()
		_, err := c.Link(ctx, dest)
		if err == nil || wantErr != nil && !errors.Is(err, wantErr) || !strings.Contains(err.Error(), wantText) || !strings.HasPrefix(err.Error(), "linktoken: ") {
			t.Errorf("Link(%+v, %.40q) = %v, want %v containing %q", ctx, dest, err, wantErr, wantText)
		}
	}
	ok := Context{Issued: testIssued}
	check(ok, "javascript:alert(1)", ErrBadDestination, "not an absolute http or https URL")
	check(ok, "mailto:a@example.jp", ErrBadDestination, "not an absolute")
	check(ok, "/relative", ErrBadDestination, "not an absolute")
	check(ok, "http://", ErrBadDestination, "no host")
	check(ok, "https://example.jp/\xff", ErrBadDestination, "not UTF-8")
	check(ok, longDest(maxDest+1), ErrBadDestination, "more than 16384")
	check(Context{Issued: testIssued, Flags: 0x40}, "https://example.jp/", nil, "reserved flags 0x40")
	check(Context{}, "https://example.jp/", nil, "issue time")
	check(Context{Issued: time.Unix(-1, 0)}, "https://example.jp/", nil, "issue time")
	check(Context{Issued: time.Unix(1<<32, 0)}, "https://example.jp/", nil, "issue time")
	check(Context{Issued: testIssued, Recipient: "a\xff@b"}, "https://example.jp/", nil, "not UTF-8")
	check(Context{Issued: testIssued, ShownDomain: "例え.jp"}, "https://example.jp/", nil, "not printable ASCII")
	check(Context{Issued: testIssued, ShownDomain: "a b"}, "https://example.jp/", nil, "not printable ASCII")
	check(Context{Issued: testIssued, ShownDomain: strings.Repeat("a", 254)}, "https://example.jp/", nil, "more than 253")
}

func TestRecipientLeftOut(t *testing.T) {
	c := testCodec(t, 7)
	check := func(recipient, shown string, kept bool) {
		t.Helper()
		link, err := c.Link(Context{Issued: testIssued, Recipient: recipient, ShownDomain: shown}, "https://example.jp/")
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Open(link)
		if err != nil || (d.Context.Recipient == recipient) != kept || !kept && d.Context.Recipient != "" || d.Context.ShownDomain != shown {
			t.Errorf("recipient %d bytes, shown %q: got %+v, %v; kept = %v", len(recipient), shown, d.Context, err, kept)
		}
	}
	check(strings.Repeat("r", 253), "", true)
	check(strings.Repeat("r", 254), "", false)
	check(strings.Repeat("r", 240), "example.com", true) // 242 + 13 = 255
	check(strings.Repeat("r", 241), "example.com", false)
	check("a@b", strings.Repeat("s", 253), false)
}

func TestDestHost(t *testing.T) {
	check := func(dest, wantHost string) {
		t.Helper()
		host, err := destHost(dest)
		if wantHost == "" {
			if !errors.Is(err, ErrBadDestination) {
				t.Errorf("destHost(%q) = %q, %v; want ErrBadDestination", dest, host, err)
			}
			return
		}
		if err != nil || host != wantHost {
			t.Errorf("destHost(%q) = %q, %v; want %q", dest, host, err, wantHost)
		}
		// Go's parser must find the same host wherever it parses dest.
		if u, err := url.Parse(dest); err == nil && u.Host != wantHost {
			t.Errorf("url.Parse(%q).Host = %q, want %q", dest, u.Host, wantHost)
		}
	}
	check("https://example.jp", "example.jp")
	check("http://example.jp/", "example.jp")
	check("HtTpS://Example.JP/", "Example.JP")
	check("https://example.jp:8443/a", "example.jp:8443")
	check("https://example.jp:/a", "example.jp:")
	check("https://example.jp?q", "example.jp")
	check("https://example.jp#f", "example.jp")
	check("https://user:p%40ss@example.jp/", "example.jp")
	check("https://paypal.com@evil.example/", "evil.example")
	check("https://a@b@evil.example/", "evil.example")
	check("https://[2001:db8::1]:443/", "[2001:db8::1]:443")
	check("https://例え.jp/パス", "例え.jp")
	check("https://xn--r8jz45g.jp/", "xn--r8jz45g.jp")
	check("https://example.jp/a b\\c", "example.jp")
	check("https://a&z=b/", "a&z=b")
	check("https://example.jp./", "example.jp.")

	check("", "")
	check("https:", "")
	check("https:/", "")
	check("https://", "")
	check("https:///a", "")
	check("https://:443/", "")
	check("https://user@/", "")
	check("https:example.jp", "")
	check("https:\\\\example.jp", "")
	check("https://evil.example\\@example.jp/", "")
	check("https://example.jp\\evil/", "")
	check("https://exa mple.jp/", "")
	check("https://ex%61mple.jp/", "")
	check("https://a<b/", "")
	check("https://a\"b/", "")
	check("https://a{b/", "")
	check("https://a|b/", "")
	check("https://a^b/", "")
	check("https://a`b/", "")
	check("https://us er@example.jp/", "")
	check("https://us%zzer@example.jp/", "")
	check("https://us%4@example.jp/", "")
	check("https://日本@example.jp/", "")
	check("https://example.jp:8a/", "")
	check("https://example.jp:1:2/", "")
	check("https://[::1/", "")
	check("https://[]/", "")
	check("https://[v1.x]/", "")
	check("https://[::1]x/", "")
	check("https://example.jp/\x00", "")
	check("https://example.jp/\t", "")
	check("https://example.jp/\x7f", "")
	check("\thttps://example.jp/", "")
	check(" https://example.jp/", "")
	check("https://example.jp/\xc3", "")
	check("ftp://example.jp/", "")
	check("httpx://example.jp/", "")
	check("javascript://example.jp/%0aalert(1)", "")
	check("data:text/html,x", "")
	check("file:///etc/passwd", "")
}

func TestNewCodec(t *testing.T) {
	kr := testCodec(t, 7).keys
	check := func(base string, ok bool) {
		t.Helper()
		_, err := NewCodec(base, kr)
		if (err == nil) != ok {
			t.Errorf("NewCodec(%q) = %v, want ok = %v", base, err, ok)
		}
	}
	check("https://kensa.example.com", true)
	check("http://kensa.example.com:8080", true)
	check("https://mail.example.com/kensa", true)
	check("https://mail.example.com/a/b%20c", true)
	check("", false)
	check("kensa.example.com", false)
	check("ftp://kensa.example.com", false)
	check("https://", false)
	check("https:kensa.example.com", false)
	check("https://:80", false)
	check("https://kensa.example.com/", false)
	check("https://mail.example.com/kensa/", false)
	check("https://kensa.example.com?", false)
	check("https://kensa.example.com?a=b", false)
	check("https://kensa.example.com#", false)
	check("https://kensa.example.com#f", false)
	check("https://u:p@kensa.example.com", false)
	check("https://kensa.example.com/a b", false)
	if _, err := NewCodec(testBase, &Keyring{}); err == nil {
		t.Error("NewCodec with an empty keyring succeeded")
	}
	if _, err := NewCodec(testBase, nil); err == nil {
		t.Error("NewCodec without a keyring succeeded")
	}
}

func TestBaseWithPath(t *testing.T) {
	c, err := NewCodec("https://mail.example.com/kensa", testCodec(t, 7).keys)
	if err != nil {
		t.Fatal(err)
	}
	link, err := c.Link(Context{Issued: testIssued}, "https://example.jp/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://mail.example.com/kensa/k/") || !c.IsLink(link) {
		t.Fatalf("link %q", link)
	}
	if _, err := c.Open(link); err != nil {
		t.Errorf("Open: %v", err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenRequest(u.Path, u.RawQuery); err != nil {
		t.Errorf("OpenRequest(%q, %q): %v", u.Path, u.RawQuery, err)
	}
	token := strings.TrimPrefix(u.Path, "/kensa/k/")
	for _, path := range []string{"/k/" + token, "/kensa/x/" + token, "/kensa/k/a/" + token, "/kensa/k/" + token + "/", "/other/kensa/k/" + token} {
		if _, err := c.OpenRequest(path, u.RawQuery); !errors.Is(err, ErrMalformed) {
			t.Errorf("OpenRequest(%q) = %v, want ErrMalformed", path, err)
		}
	}
	if _, err := testCodec(t, 7).Open(link); !errors.Is(err, ErrMalformed) {
		t.Errorf("Open under another base = %v, want ErrMalformed", err)
	}
}

func TestIsLink(t *testing.T) {
	c := testCodec(t, 7)
	check := func(s string, want bool) {
		t.Helper()
		if got := c.IsLink(s); got != want {
			t.Errorf("IsLink(%q) = %v, want %v", s, got, want)
		}
	}
	check(testBase+"/k/AQ?u=x", true)
	check(testBase+"/k/AQ?d=x.example&z=AA", true)
	check(testBase+"/x?u=http%3A", true)
	check(testBase+"/k/", false)
	check(testBase+"/k/AQ", false)
	// Other paths of the Kensa host are not Kensa links (issue 16).
	check(testBase+"/k/../../owa/redir?u=x", false)
	check(testBase+"/k/..%2f..%2fowa?u=x", false)
	check(testBase+"/k/AQ/../../owa?u=x", false)
	check(testBase+"/k/.?u=x", false)
	check(testBase+"/x/../owa?u=x", false)
	check(testBase+"/k", false)
	check(testBase+"/x/AQ", false)
	check(testBase, false)
	check(testBase+".evil/k/AQ", false)
	check("http://kensa.example.com/k/AQ", false)
	check("x"+testBase+"/k/AQ", false)
	check("", false)
}

func TestOpenErrors(t *testing.T) {
	c := testCodec(t, 7)
	link, err := c.Link(Context{Issued: testIssued, Recipient: "alice@example.com"}, "https://example.jp/a")
	if err != nil {
		t.Fatal(err)
	}
	check := func(link string, want error) {
		t.Helper()
		_, err := c.Open(link)
		if !errors.Is(err, want) {
			t.Errorf("Open(%q) = %v, want %v", link, err, want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), string(want.Error())) {
			t.Errorf("error %q does not start with %q", err, want)
		}
	}
	check(link+"b", ErrBadSignature)
	check(strings.Replace(link, "/k/AQ", "/k/Ag", 1), ErrVersion)
	check(flipByte(t, link, 1, 0x80), ErrUnknownKey)
	check(link+"%", ErrMalformed)
	check(strings.TrimSuffix(link, "/a")+"/javascript:", ErrBadSignature)
	check(strings.Replace(link, "?u=", "?u=%", 1), ErrMalformed)
	// A link whose key is gone is reported as such even when also altered.
	check(flipByte(t, link, 1, 0x80)+"x", ErrUnknownKey)
}

func TestInspect(t *testing.T) {
	c := testCodec(t, 7)
	link, err := c.Link(Context{Issued: testIssued, MessageDigest: MessageDigest(testMessageID), Flags: FlagText}, "https://example.jp/a")
	if err != nil {
		t.Fatal(err)
	}
	want := Public{1, 7, testIssued, FlagText, MessageDigest(testMessageID), "https://example.jp/a"}
	check := func(link string, want Public, wantErr error) {
		t.Helper()
		got, err := Inspect(link)
		if got != want || !errors.Is(err, wantErr) {
			t.Errorf("Inspect(%q) = %+v, %v; want %+v, %v", link, got, err, want, wantErr)
		}
	}
	check(link, want, nil)
	// Inspect reads links under any base and does not verify them.
	check(strings.Replace(link, testBase, "https://other.example/some/path", 1), want, nil)
	altered := want
	altered.Dest = "https://evil.example/"
	check(strings.Replace(link, "https://example.jp/a", "https://evil.example/", 1), altered, nil)
	check(strings.Replace(link, "/k/AQ", "/k/Ag", 1), Public{Version: 2}, ErrVersion)
	check(strings.Replace(link, "/k/", "/x/", 1), Public{}, ErrMalformed)
	check(strings.Replace(link, "?u=", "", 1), Public{}, ErrMalformed)
	check("AQ?u=x", Public{}, ErrMalformed)
	check("", Public{}, ErrMalformed)
}

func TestMessageDigest(t *testing.T) {
	check := func(id, hashed string) {
		t.Helper()
		sum := sha256.Sum256([]byte(hashed))
		if got := MessageDigest(id); !bytes.Equal(got[:], sum[:8]) {
			t.Errorf("MessageDigest(%q) = %x, want the digest of %q, %x", id, got, hashed, sum[:8])
		}
	}
	check("a@b", "a@b")
	check("<a@b>", "a@b")
	check(" \t<a@b>\r\n", "a@b")
	check("<<a@b>>", "<a@b>")
	check("< a@b >", " a@b ")
	check("<a@b", "<a@b")
	check("a@b>", "a@b>")
	check("\u00a0<a@b>", "\u00a0<a@b>")
	if d := MessageDigest("<a@b>"); fmt.Sprintf("%x", d) != "7508d8b5018ea640" {
		t.Errorf("MessageDigest(<a@b>) = %x", d)
	}
	for _, none := range []string{"", " ", "<>", " <> ", "\r\n"} {
		if d := MessageDigest(none); d != [8]byte{} {
			t.Errorf("MessageDigest(%q) = %x, want zeros", none, d)
		}
	}
}

func TestFlagsString(t *testing.T) {
	check := func(f Flags, want string) {
		t.Helper()
		if got := f.String(); got != want {
			t.Errorf("Flags(%#02x).String() = %q, want %q", uint8(f), got, want)
		}
	}
	check(0, "none")
	check(FlagMismatch, "mismatch")
	check(FlagMismatch|FlagText, "mismatch|text")
	check(FlagPasswordForm, "password-form")
	check(0xff, "mismatch|schemeless|unwrapped|compressed|text|password-form|0xc0")
}

func TestCode(t *testing.T) {
	check := func(err error, want string) {
		t.Helper()
		if got := Code(err); got != want {
			t.Errorf("Code(%v) = %q, want %q", err, got, want)
		}
	}
	check(nil, "")
	check(errors.New("other"), "")
	check(ErrKeyFile, "")
	check(ErrMalformed, "malformed")
	check(fmt.Errorf("%w: x", ErrVersion), "version")
	check(fmt.Errorf("a: %w", fmt.Errorf("%w: x", ErrUnknownKey)), "unknown-key")
	check(ErrBadSignature, "bad-signature")
	check(fmt.Errorf("%w: x", ErrBadDestination), "bad-destination")
	for _, e := range []error{ErrMalformed, ErrVersion, ErrUnknownKey, ErrBadSignature, ErrBadDestination, ErrKeyFile} {
		if !strings.HasPrefix(e.Error(), "linktoken: ") {
			t.Errorf("%q lacks the package prefix", e)
		}
	}
}
