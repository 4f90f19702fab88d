package unwrap

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// encodeV3 builds a Proofpoint v3 link for target, mirroring the decoder and
// what Proofpoint's encoder evidently does (see decodeProofpointV3): every
// character for which replace reports true, and always "%", "*", ";" and
// non-ASCII characters, is moved to the base64url part; each maximal run of
// moved bytes becomes "*" (one byte) or "**X" (2 to 65 bytes), longer runs
// are split greedily (66 is "**_*", as in cardi/proofpoint-url-decoder
// decode_test.py).
func encodeV3(host, target string, replace func(rune) bool) string {
	var enc strings.Builder
	var pool []byte
	run := 0
	flush := func() {
		for run > 0 {
			n := min(run, 65)
			if n == 1 {
				enc.WriteByte('*')
			} else {
				enc.WriteString("**")
				enc.WriteByte(runChar(n))
			}
			run -= n
		}
	}
	for _, r := range target {
		if r == '%' || r == '*' || r == ';' || r >= utf8.RuneSelf || replace != nil && replace(r) {
			pool = utf8.AppendRune(pool, r)
			run += utf8.RuneLen(r)
			continue
		}
		flush()
		enc.WriteRune(r)
	}
	flush()
	return "https://" + host + "/v3/__" + enc.String() + "__;" + base64.RawURLEncoding.EncodeToString(pool) +
		"!!AbCdEfGhIjK!LmNoPqRsTuVwXyZ0123456789-_$"
}

// runChar is the inverse of v3RunLength.
func runChar(n int) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[n-2]
}

func TestV3RunTable(t *testing.T) {
	for n := 2; n <= 65; n++ {
		if got, ok := v3RunLength(runChar(n)); !ok || got != n {
			t.Fatalf("v3RunLength(%q) = %d, %v; want %d", runChar(n), got, ok, n)
		}
	}
	for _, c := range []byte("!*.~ \n\x00") {
		if _, ok := v3RunLength(c); ok {
			t.Errorf("v3RunLength(%q) accepted", c)
		}
	}
}

// notURL replaces the characters that cardi's and Proofpoint's examples show
// replaced.
func notURL(r rune) bool { return strings.ContainsRune("#+[]{}|\\^`\"<> ~", r) }

func proofpointV3Cases(c func(in, want string)) {
	hashes := func(n int) string { return strings.Repeat("#", n) }
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	// cardi/proofpoint-url-decoder decode_test.py (TestDecodeV3Methods).
	c("https://urldefense.com/v3/__http://www.example.com__;!!foo!bar$", "http://www.example.com")
	c("https://urldefense.com/v3/__https://example.com/*newsletter__;Iw!!foo!bar$", "https://example.com/#newsletter")
	c("https://urldefense.com/v3/__http://example.com/?=*7B*7D**Aa1!b2@c3**D__;JSVbXSMjIyMj!!foo!bar$", "http://example.com/?=%7B%7D[]a1!b2@c3#####")
	c("https://urldefense.com/v3/__http://example.com/?=*22'*7B*7D**Aa1!b2@c3**D'*22__;JSUlW10jIyMjIyU!!foo!bar$", "http://example.com/?=%22'%7B%7D[]a1!b2@c3#####'%22")
	// These decode as urldecoder.py does, to a fragment with the invalid escape
	// "%6%5E", which url.Parse (and so the rewriter) refuses.
	c("https://urldefense.com/v3/__http://example.com/?=a1!b2@c3*d4$5e*6*5E7&8*9(10*7C*5C**B7D*7B__;IyUlKiUlW10lJQ!!foo!bar$", no)
	c("https://urldefense.com/v3/__http://example.com/?=a1!b2@c3*d4$5e*6*5E7&8*9(10)-=_*__;IyUlKis!!foo!bar$", no)
	c("https://urldefense.com/v3/__http://www.example.com/**_test__;"+b64(hashes(65))+"!!foo!bar$", "http://www.example.com/"+hashes(65)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/**_*test__;"+b64(hashes(66))+"!!foo!bar$", "http://www.example.com/"+hashes(66)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/**_**Atest__;"+b64(hashes(67))+"!!foo!bar$", "http://www.example.com/"+hashes(67)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/**_**Btest__;"+b64(hashes(68))+"!!foo!bar$", "http://www.example.com/"+hashes(68)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/**_**_test__;"+b64(hashes(130))+"!!foo!bar$", "http://www.example.com/"+hashes(130)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/**_**_*test__;"+b64(hashes(131))+"!!foo!bar$", "http://www.example.com/"+hashes(131)+"test")
	c("https://urldefense.com/v3/__http://www.example.com/__;!!foo!bar$", "http://www.example.com/")

	// Non-ASCII, cardi/proofpoint-url-decoder decode_test.py (TestSequenceUTF8).
	// Both readings agree:
	c("https://urldefense.com/v3/__http://www.example.com/**B.html__;w60j!!foo!bar$", "http://www.example.com/í#.html")
	c("https://urldefense.com/v3/__http://www.example.com/**C.html__;w60jIw!!foo!bar$", "http://www.example.com/í##.html")
	c("https://urldefense.com/v3/__http://www.example.com/**D.html__;w60jIyM!!foo!bar$", "http://www.example.com/í###.html")
	c("https://urldefense.com/v3/__http://www.example.com/**F.html__;w60jIyMjIw!!foo!bar$", "http://www.example.com/í#####.html")
	c("https://urldefense.com/v3/__http://www.example.com/**E.html__;5L2g5aW9!!foo!bar$", "http://www.example.com/你好.html")
	c("https://urldefense.com/v3/__http://www.example.com/**_**5.html__;w6DDqMOsw7LDucOAw4jDjMOSw5nDocOpw63Ds8O6w73DgcOJw43Dk8Oaw53DosOqw67DtMO7w4LDisOOw5TDm8Ojw7HDtcODw5HDlcOkw6vDr8O2w7zDv8OEw4vDj8OWw5zFuMOlw4XDpsOGxZPFksOnw4fDsMOQw7jDmA!!foo!bar$",
		"http://www.example.com/àèìòùÀÈÌÒÙáéíóúýÁÉÍÓÚÝâêîôûÂÊÎÔÛãñõÃÑÕäëïöüÿÄËÏÖÜŸåÅæÆœŒçÇðÐøØ.html")
	// The readings differ ("ía#" by bytes; urldecoder.py fails), so the link
	// stays wrapped:
	c("https://urldefense.com/v3/__http://www.example.com/**Aa*.html__;w60j!!foo!bar$", no)
	c("https://urldefense.com/v3/__http://www.example.com/**Aa*a*.html__;w60jIw!!foo!bar$", no)
	c(encodeV3("urldefense.com", "https://example.com/ñ/#top", notURL), no)

	// Real links quoted in public sources:
	// cardi/proofpoint-url-decoder issue #7 (one two-byte character as the run "**A").
	c("https://urldefense.com/v3/__https://es.linkedin.com/in/pastora-mart**Anez-samper-3049818__;w60!!D9dNQwwGXtA!VCWZpmS3jIZRe5xmjoL0_MX9ZUWwcPFyz6CnsBeDuRVdXGZbS1iTRYZ19iLt7VCJmmzf528Jpli6tlesUnQ$",
		"https://es.linkedin.com/in/pastora-martínez-samper-3049818")
	// tsibley/unsafelinks app.psgi (signature elided there).
	c("https://urldefense.com/v3/__https://github.com/nextstrain/augur/pull/1175*discussion_r1130183899__;Iw!!GuAItXPztq0!jULEM6V…DcY$",
		"https://github.com/nextstrain/augur/pull/1175#discussion_r1130183899")
	// ACE-Collective/urlfinderlib tests/test_url.py (runs of "/" and "?", "~", single slash).
	c("https://urldefense.com/v3/__https://link.edgepilot.com/s/822cebfe/5ZxIVsowtUueiP3V0OatBg?u=https:**Ago.microsoft.com*fwlink**ALinkid=844050__;Ly8vLz8!!NAqySMJg!B2KGwyFP3G5bqSRMBCEyMq9ccomB-Bybhf53qbl7ZlsYnJ3UKkAO0beFX-yj1V-raXJsLn3FHZlSQTjIvxO4_2Y$",
		"https://link.edgepilot.com/s/822cebfe/5ZxIVsowtUueiP3V0OatBg?u=https://go.microsoft.com/fwlink/?Linkid=844050")
	c("https://urldefense.com/v3/__https://domain.com/index.php?token=asdf*2babcd*2b1234*a*b__;fn5-fg!asdf!asdf!asdf-asdf$",
		"https://domain.com/index.php?token=asdf~2babcd~2b1234~a~b")
	c("https://urldefense.com/v3/__https:/domain.com/index.php?token=asdf__;!asdf!asdf!asdf-asdf$", "https://domain.com/index.php?token=asdf")
	// Anon4Now/proofpoint-url-decoder-gui example_encoded_urls.txt.
	c("https://urldefense.com/v3/__https://google.com__;!!D0SnjzUQI17x!VcBcfvul5wWsx1iw3KhoC66wtff2ieY2HggKpaddrxr1snmNT5EvlqvREzZY7KzEVcQYj6yeDX4$", "https://google.com")
	// urldefense.us, in mail quoted in public repositories (signatures shortened).
	c("https://urldefense.us/v3/__https://github.com/intel/torch-ccl/releases/tag/v2.1.300*2Bxpu__;JQ!!G_uCfscf7eWS!ZDMnN0Oxp1sCv06MkdlBqFIq0NMAXaCBOtl3fEtBq8Fn4-3iYY5-kPEKr-q4vZIL_i6f$",
		"https://github.com/intel/torch-ccl/releases/tag/v2.1.300%2Bxpu")
	c("https://urldefense.us/v3/__https:/www.anthropic.com/news/anthropic-amazon-compute__;!!Fqb0NABsjhF0Kh8I!f3EziG8q3wGsRgicn_ZGbvtLp5ZdopVN_KTE1QXfiqHcZ0l9w_sq_kpBwgsm-IHRGC18VQ89pR$",
		"https://www.anthropic.com/news/anthropic-amazon-compute")
	// demisto/content FormatURLApiModule_test.py ("+" in the base64url part;
	// that test expects "a*test", urldecoder.py gives "a+test").
	c("https://urldefense.com/v3/__https://google.com:443/search?q=a*test&gs=ps__;Kw!-612Flbf0JvQ3kNJkRi5Jg!Ue6tQudNKaShHg93trcdjqDP8se2ySE65jyCIe2K1D_uNjZ1Lnf6YLQERujngZv9UWf66ujQIQ$",
		"https://google.com:443/search?q=a+test&gs=ps")

	// Built with encodeV3.
	c(encodeV3("urldefense.com", example, nil), example)
	c(encodeV3("urldefense.com", "https://example.com/a b/[x]{y}|z^`\"<>~#frag", notURL), "https://example.com/a b/[x]{y}|z^`\"<>~#frag")
	c(encodeV3("urldefense.com", "https://example.com/100%25/*/;jsessionid=1", nil), "https://example.com/100%25/*/;jsessionid=1")
	c(encodeV3("urldefense.com", "https://example.com/"+strings.Repeat("%7E", 40), nil), "https://example.com/"+strings.Repeat("%7E", 40))
	c(encodeV3("urldefense.com", "https://example.jp/あ", nil), "https://example.jp/あ")
	c(encodeV3("urldefense.com", "https://bücher.example/", nil), "https://bücher.example/")
	c(encodeV3("urldefense.proofpoint.com", example, nil), example)
	c(encodeV3("URLDEFENSE.COM", example, nil), example)
	c(strings.Replace(encodeV3("urldefense.com", example, nil), "https://", "http://", 1), example)
	// As in urldecoder.py the target is percent-decoded before the
	// placeholders are replaced, so "%2A" acts as "*".
	c("https://urldefense.com/v3/__https://example.com/%2Atop__;Iw!!x!y$", "https://example.com/#top")
	c("https://urldefense.com/v3/__https%3A%2F%2Fexample.com%2F__;!!x!y$", "https://example.com/")
	c("https://urldefense.com/v3/__https://example.com/___;!!x!y$", "https://example.com/_")

	// Malformed.
	c("https://urldefense.com/v3/__http://www.example.com/", no)               // cardi test_incomplete_url_v3
	c("https://urldefense.com/v3/____;Iw!!foo!bar$", no)                       // cardi test_empty
	c("urldefense.com/v3/__http://www.example.com__;!!foo!bar$", no)           // no scheme
	c("https://urldefense.com/v3/__https://example.com__;Iw", no)              // no "!"
	c("https://urldefense.com/v3/__https://example.com__!!x!y$", no)           // no "__;"
	c("https://urldefense.com/v3/__https://example.com/*a*b__;Iw!!x!y$", no)   // "*" past the end
	c("https://urldefense.com/v3/__https://example.com/**Ba__;IyM!!x!y$", no)  // short run
	c("https://urldefense.com/v3/__https://example.com/a__;Iw!!x!y$", no)      // unused replaced byte
	c("https://urldefense.com/v3/__https://example.com/**.a__;IyM!!x!y$", no)  // unknown run letter
	c("https://urldefense.com/v3/__https://example.com/**éa__;IyM!!x!y$", no)  // non-ASCII run letter
	c("https://urldefense.com/v3/__https://example.com/*a__;I$w!!x!y$", no)    // not base64url
	c("https://urldefense.com/v3/__https://example.com/*a__;I+w!!x!y$", no)    // standard alphabet
	c("https://urldefense.com/v3/__https://example.com/*a__;I!!x!y$", no)      // truncated base64
	c("https://urldefense.com/v3/__https://example.com/*a__;_w!!x!y$", no)     // not UTF-8
	c("https://urldefense.com/v3/__https://example.com/%FFa__;!!x!y$", no)     // not UTF-8
	c("https://urldefense.com/v3/__https://exa\nmple.com/__;!!x!y$", no)       // newline
	c("https://urldefense.com/v3/__javascript:alert(1)__;!!x!y$", no)          // not http(s)
	c("https://urldefense.com/v3/__javascript:/alert(1)__;!!x!y$", no)         // not http(s), single-slash fix
	c("https://urldefense.com/v3/__//evil.top/__;!!x!y$", no)                  // relative
	c("https://urldefense.com/v3/__https:/x__;!!x!y$", no)                     // no host after the fix
	c("https://urldefense.com/v3/__https://__;!!x!y$", no)                     // no host
	c("https://urldefense.com.evil.top/v3/__https://example.com__;!!x!y$", no) // look-alike
	c("https://urldefense.co/v3/__https://example.com__;!!x!y$", no)           // look-alike
	c("https://urldefense-com.evil.top/v3/__https://example.com__;!!x!y$", no) // look-alike
	c("https://evil.top/v3/__https://example.com__;!!x!y$", no)                // look-alike
	c("https://urldefense.com@evil.top/v3/__https://example.com__;!!x!y$", no) // user info
	c("https://evil.top/urldefense.com/v3/__https://example.com__;!!x!y$", no) // path only
	c("https://urldefense.com/v4/__https://example.com__;!!x!y$", no)          // unknown version
	c("https://urldefense.com/x/v3/__https://example.com__;!!x!y$", no)        // wrong path
	c("https://urldefense.com/V3/__https://example.com__;!!x!y$", no)          // wrong path
	c("https://urldefense.com/v3/_https://example.com__;!!x!y$", no)           // wrong path
	c("https://urldefense.com/v3/url?u=https-3A__example.com&d=x", no)         // v2 query on v3
}

// TestV3RoundTrip encodes random ASCII URLs and decodes them again.
func TestV3RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "abcXYZ019-._~:/?#[]@!$&'()*+,;=% \"<>\\^`{|}"
	for i := range 2000 {
		var b strings.Builder
		b.WriteString("https://example.com/")
		for range rng.IntN(200) {
			b.WriteByte(chars[rng.IntN(len(chars))])
		}
		target := b.String()
		if !validTarget(target) {
			continue
		}
		set := chars[rng.IntN(len(chars)):]
		link := encodeV3("urldefense.com", target, func(r rune) bool { return strings.ContainsRune(set, r) })
		got, v, ok := Unwrap(link)
		if !ok || got != target || v != VendorProofpointV3 {
			t.Fatalf("case %d: Unwrap(%q) = (%q, %q, %v), want %q", i, link, got, v, ok, target)
		}
	}
}

func TestPyUnquote(t *testing.T) {
	c := func(in, want string, wantOK bool) {
		t.Helper()
		got, ok := pyUnquote(in)
		if got != want && wantOK || ok != wantOK {
			t.Errorf("pyUnquote(%q) = (%q, %v), want (%q, %v)", in, got, ok, want, wantOK)
		}
	}
	c("", "", true)
	c("a+b", "a+b", true)
	c("%41%2f%2F", "A//", true)
	c("%", "%", true)
	c("%4", "%4", true)
	c("%zz%4g", "%zz%4g", true)
	c("%%41", "%A", true)
	c("%E3%81%82", "あ", true)
	c("%E3%81", "", false)
	c("%FF", "", false)
	c("\xff", "", false)
}

func TestFixSingleSlash(t *testing.T) {
	c := func(in, want string) {
		t.Helper()
		if got := fixSingleSlash(in); got != want {
			t.Errorf("fixSingleSlash(%q) = %q, want %q", in, got, want)
		}
	}
	c("https:/example.com", "https://example.com")
	c("HTTP:/x.y", "HTTP://x.y")
	c("svn+ssh:/ab", "svn+ssh://ab")
	c("https://example.com", "https://example.com")
	c("https:/x", "https:/x")
	c("https:/é", "https:/é")
	c("https:/éa", "https://éa")
	c("https:example.com", "https:example.com")
	c(":/ab", ":/ab")
	c("ht tp:/ab", "ht tp:/ab")
	c("https:///ab", "https:///ab")
	c("", "")
}
