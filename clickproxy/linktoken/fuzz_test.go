package linktoken

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadVectors(f *testing.F) *vectorFile {
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		f.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		f.Fatal(err)
	}
	return &vf
}

func FuzzOpen(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Valid {
		f.Add(v.Link)
	}
	for _, v := range vf.Invalid {
		f.Add(v.Link)
	}
	codecs := map[uint8]*Codec{6: testCodec(f, 6), 7: testCodec(f, 7)}
	c := codecs[7]
	f.Fuzz(func(t *testing.T, link string) {
		d, err := c.Open(link)
		pub, perr := Inspect(link)
		if c.IsLink(link) {
			path, query, _ := strings.Cut(link[len(testBase):], "?")
			d2, err2 := c.OpenRequest(path, query)
			if Code(err2) != Code(err) || !reflect.DeepEqual(d2, d) {
				t.Errorf("OpenRequest = %+v, %v; Open = %+v, %v", d2, err2, d, err)
			}
		}
		if err != nil {
			if Code(err) == "" || !strings.HasPrefix(err.Error(), "linktoken: ") {
				t.Errorf("Open error without a code: %v", err)
			}
			return
		}

		if want := (Public{d.Version, d.KeyID, d.Context.Issued, d.Context.Flags, d.Context.MessageDigest, d.Dest}); perr != nil || pub != want {
			t.Errorf("Inspect = %+v, %v; Open = %+v", pub, perr, d)
		}

		signer := codecs[d.KeyID]
		relink, err := signer.Link(d.Context, d.Dest)
		if err != nil {
			t.Fatalf("Link(Open(%q)): %v", link, err)
		}
		if d2, err := c.Open(relink); err != nil || !reflect.DeepEqual(d2, d) {
			t.Errorf("Open(relink) = %+v, %v; want %+v", d2, err, d)
		}

		// The same key and context give the same token, unless the link
		// carried context items Link does not write.
		token, query, _ := strings.Cut(strings.TrimPrefix(link, testBase+"/k/"), "?")
		reToken, reQuery, _ := strings.Cut(strings.TrimPrefix(relink, testBase+"/k/"), "?")
		tok, _ := decodeB64(token)
		k := c.keys.keys[d.KeyID]
		plaintext := ctr(k, tok[len(tok)-tagLen:], tok[headerLen:len(tok)-tagLen])
		if bytes.Equal(plaintext, encodeContext(d.Context.Recipient, d.Context.ShownDomain)) && reToken != token {
			t.Errorf("relinked token %s, want %s", reToken, token)
		}
		// And the same link, unless the query was escaped or compressed
		// differently.
		canonical := false
		if u, ok := strings.CutPrefix(query, "u="); ok {
			canonical = string(escape(nil, d.Dest)) == u
		} else if host, err := destHost(d.Dest); err == nil {
			canonical = query == "d="+string(escapeHost(nil, host))+"&z="+b64.EncodeToString(deflate(d.Dest))
		}
		if canonical && reToken == token && reQuery != query {
			t.Errorf("Link(Open(%q)) = %q", link, relink)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Valid {
		if v.Context != nil {
			f.Add(v.Dest, v.Context.Recipient, v.Context.ShownDomain, uint8(flagsFromNames(f, v.Context.Flags)), int64(1795000000), uint64(42))
		}
	}
	f.Add("https://example.jp/a.", "", "", uint8(0), int64(0), uint64(0))
	f.Add("javascript:alert(1)", "a@b", "x", uint8(0xff), int64(-1), uint64(1))
	c := testCodec(f, 7)
	f.Fuzz(func(t *testing.T, dest, recipient, shown string, flags uint8, issued int64, digest uint64) {
		ctx := Context{Issued: time.Unix(issued, 0), Recipient: recipient, ShownDomain: shown, Flags: Flags(flags)}
		for i := range ctx.MessageDigest {
			ctx.MessageDigest[i] = byte(digest >> (8 * i))
		}
		link, err := c.Link(ctx, dest)
		host, hostErr := destHost(dest)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "linktoken: ") {
				t.Errorf("Link error without the package prefix: %v", err)
			}
			if errors.Is(err, ErrBadDestination) != (hostErr != nil || len(dest) > maxDest) {
				t.Errorf("Link(%q) = %v, but destHost = %v", dest, err, hostErr)
			}
			return
		}
		if hostErr != nil {
			t.Fatalf("Link accepted %q, destHost: %v", dest, hostErr)
		}
		// Go's own parser, where it accepts dest, finds the same host.
		if u, err := url.Parse(dest); err == nil {
			if u.Host != host || u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" {
				t.Errorf("url.Parse(%q): scheme %q host %q opaque %q; destHost %q", dest, u.Scheme, u.Host, u.Opaque, host)
			}
		}

		d, err := c.Open(link)
		if err != nil {
			t.Fatalf("Open(Link(%+v, %q) = %q): %v", ctx, dest, link, err)
		}
		want := Context{
			Issued:        time.Unix(issued, 0).UTC(),
			MessageDigest: ctx.MessageDigest,
			Recipient:     recipient,
			ShownDomain:   shown,
			Flags:         ctx.Flags & flagsCaller,
		}
		if shown != "" {
			want.Flags |= FlagMismatch
			if len(recipient)+len(shown)+4 > maxContext {
				want.Recipient = ""
			}
		} else if len(recipient)+2 > maxContext {
			want.Recipient = ""
		}
		if q := strings.IndexByte(link, '?'); strings.HasPrefix(link[q:], "?d=") {
			want.Flags |= FlagCompressed
		}
		if d.Dest != dest || d.Context != want || d.KeyID != 7 || d.Version != 1 {
			t.Errorf("Open(Link) = %+v, want %q %+v", d, dest, want)
		}
		if len(link) > MaxLinkLength && want.Flags&FlagCompressed == 0 {
			t.Errorf("form A link of %d characters", len(link))
		}
		for i := 0; i < len(link); i++ {
			if !literal[link[i]] && link[i] != '%' {
				t.Fatalf("link %q has byte %q", link, link[i])
			}
		}
		text := "(" + link + ")."
		if r := Find(testBase, text); len(r) != 1 || text[r[0][0]:r[0][1]] != link {
			t.Errorf("Find(%q) = %v", text, r)
		}
	})
}

func FuzzFind(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Find {
		f.Add(vf.Base, v.Text)
	}
	f.Add("https://a", "https://a/k/https://a/k/x%4")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, base, text string) {
		end := 0
		for _, r := range Find(base, text) {
			if r[0] < end || r[1] <= r[0] || r[1] > len(text) {
				t.Fatalf("Find(%q, %q): range %v after %d", base, text, r, end)
			}
			end = r[1]
			link := text[r[0]:r[1]]
			body, ok := strings.CutPrefix(link, base+"/k/")
			if !ok {
				body, ok = strings.CutPrefix(link, base+"/x?") // an unsigned link
			}
			if !ok || body == "" {
				t.Errorf("Find(%q, %q): %q is not base/k/... or base/x?...", base, text, link)
			}
			if !lastLiteral[link[len(link)-1]] {
				t.Errorf("Find(%q, %q): %q ends with punctuation", base, text, link)
			}
			for i := 0; i < len(body); i++ {
				if body[i] == '%' {
					if _, err := unescape(body[i : i+3]); i+3 > len(body) || err != nil {
						t.Errorf("Find(%q, %q): %q has a bad escape", base, text, link)
					}
					i += 2
				} else if !literal[body[i]] {
					t.Errorf("Find(%q, %q): %q has byte %q", base, text, link, body[i])
				}
			}
		}
	})
}
