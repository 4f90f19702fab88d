package clickproxy

import (
	"context"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/sandbox"
)

const (
	uaAndroid = "Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)

// TestVerdictPerDevice: a verdict is cached per device class. A link
// whose page is harmless for desktop browsers and phishing for phones is
// redirected for the desktop click that came first, and blocked for the
// later Android and iPhone clicks, each rendered as that phone; each class
// then answers from its own cache entry, with its own screenshot.
func TestVerdictPerDevice(t *testing.T) {
	e := newFakeEnv(t, Policy{})
	dest := "http://" + fakeCloak + "/r/8231"
	click := func(ua string) answer {
		t.Helper()
		return e.settle(e.get(e.link(dest), "User-Agent", ua))
	}
	renders := func() int { return e.scanner.count(dest) }

	if a := click(""); a.action != "neutral" { // no User-Agent: a scanner, which never decides
		t.Errorf("no User-Agent: %s", a.action)
	}
	if a := click("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"); a.action != "redirect" || renders() != 1 {
		t.Errorf("desktop: %s after %d renders", a.action, renders())
	}
	for i, ua := range []string{uaAndroid, uaIPhone} {
		a := click(ua)
		if a.action != "block" || a.status != 403 || a.location != "" || renders() != 2+i {
			t.Errorf("%s: %d %s after %d renders", sandbox.DeviceOf(ua), a.status, a.action, renders())
		}
		m := reShot.FindStringSubmatch(a.body)
		if m == nil || !strings.Contains(m[1], ":"+string(sandbox.DeviceOf(ua))+"?") {
			t.Errorf("%s: screenshot %v", sandbox.DeviceOf(ua), m)
			continue
		}
		if s := e.get(e.base + strings.ReplaceAll(m[1], "&amp;", "&")); s.status != 200 || !strings.HasSuffix(s.body, string(sandbox.DeviceOf(ua))) {
			t.Errorf("%s: screenshot %d %q", sandbox.DeviceOf(ua), s.status, s.body)
		}
	}
	// Each class now answers from its own entry, without a render.
	for ua, want := range map[string]string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15": "redirect", uaAndroid: "block", uaIPhone: "block"} {
		if a := click(ua); a.action != want {
			t.Errorf("again as %s: %s, want %s", sandbox.DeviceOf(ua), a.action, want)
		}
	}
	if renders() != 3 {
		t.Errorf("%d renders, want 3", renders())
	}
	// In Redis: one verdict per class; forgetting the destination (an
	// override) drops them all.
	ctx := context.Background()
	digest := urlDigest(dest)
	for _, d := range sandbox.Devices {
		if n, _ := e.rdb.Exists(ctx, tagged(keyVerdict, digest+":"+string(d))).Result(); n != 1 {
			t.Errorf("no verdict in Redis for %s", d)
		}
	}
	e.srv.store.forget(ctx, digest)
	for _, d := range sandbox.Devices {
		if n, _ := e.rdb.Exists(ctx, tagged(keyVerdict, digest+":"+string(d))).Result(); n != 0 {
			t.Errorf("verdict for %s not forgotten", d)
		}
		if _, ok := e.srv.store.getMem(verdictKey(digest, d), e.srv.cfg.Now()); ok {
			t.Errorf("verdict for %s still in memory", d)
		}
	}
}

func TestVerdictKey(t *testing.T) {
	d := urlDigest("https://example.com/")
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{verdictKey(d, sandbox.DeviceDesktop), true},
		{verdictKey(d, sandbox.DeviceAndroid), true},
		{verdictKey(d, sandbox.DeviceIOS), true},
		{d, false},
		{d + ":", false},
		{d + ":tv", false},
		{d + ":android:x", false},
		{strings.ToUpper(d) + ":ios", false},
		{d[:31] + ":ios", false},
		{"../../etc/passwd:ios", false},
	} {
		if got := validVerdictKey(tc.key); got != tc.want {
			t.Errorf("validVerdictKey(%q) = %v", tc.key, got)
		}
	}
	if k := verdictKey(d, sandbox.DeviceIOS); keyDigest(k) != d || k != d+":ios" {
		t.Errorf("key %q, digest %q", k, keyDigest(k))
	}
}
