package browser

import "testing"

// These need no browser.

func TestDeviceFor(t *testing.T) {
	for _, c := range []struct {
		ua           string
		mobile       bool
		width        int64
		wantPlatform string
	}{
		{iPhoneUA, true, 390, "iPhone"},
		{androidUA, true, 412, "Linux armv8l"},
		{"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", true, 800, "Linux armv8l"},
		{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", true, 820, "iPad"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", false, 1366, "Win32"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", false, 1366, "MacIntel"},
		{"", false, 1366, ""},
	} {
		d := deviceFor(c.ua)
		if d.mobile != c.mobile || d.width != c.width || d.platform != c.wantPlatform {
			t.Errorf("%q: %+v", c.ua, d)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for in, want := range map[string][2]string{
		"":                              {"ja-JP", "ja-JP"},
		"ja-JP":                         {"ja-JP", "ja-JP"},
		"ja,en-US;q=0.9,en;q=0.8":       {"ja,en-US,en", "ja"},
		" en-US , * ;q=0.1":             {"en-US", "en-US"},
		"<script>, ja":                  {"ja", "ja"},
		"x-" + string(make([]byte, 40)): {"ja-JP", "ja-JP"},
	} {
		list, first := acceptLanguage(in)
		if list != want[0] || first != want[1] {
			t.Errorf("%q: %q %q, want %q", in, list, first, want)
		}
	}
}

func TestClientHints(t *testing.T) {
	if m := clientHints(iPhoneUA, deviceFor(iPhoneUA), ""); m != nil {
		t.Errorf("Safari sends no client hints: %+v", m)
	}
	m := clientHints(androidUA, deviceFor(androidUA), "")
	if m == nil || m.Platform != "Android" || m.PlatformVersion != "14" || m.Model != "SH-M26" || !m.Mobile || m.Brands[2].Brand != "Google Chrome" || m.Brands[2].Version != "126" || m.FullVersionList[1].Version != "126.0.0.0" {
		t.Errorf("android: %+v", m)
	}
	win := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56"
	if m := clientHints(win, deviceFor(win), ""); m == nil || m.Platform != "Windows" || m.Mobile || m.Brands[2].Brand != "Microsoft Edge" {
		t.Errorf("windows edge: %+v", m)
	}
}

func TestNormHostPort(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"Example.COM", "http"}:        "example.com:80",
		{"example.com", "https"}:       "example.com:443",
		{"example.com:8080", "https"}:  "example.com:8080",
		{"[::1]:80", ""}:               "[::1]:80",
		{"[::ffff:7f00:1]", "http"}:    "[::ffff:7f00:1]:80",
		{"169.254.169.254:80", ""}:     "169.254.169.254:80",
		{"metadata.example.:80", "ws"}: "metadata.example:80",
	} {
		if got := normHostPort(in[0], in[1]); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	s := "パスワード" // 3 bytes a rune
	for n := 0; n <= len(s); n++ {
		got := truncateUTF8(s, n)
		if len(got) > n || len(got)%3 != 0 {
			t.Errorf("%d: %q", n, got)
		}
	}
}

func TestEngineUA(t *testing.T) {
	win131 := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	for _, c := range []struct{ in, want string }{
		{win131, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},
		{androidUA, "Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0"},
		{iPhoneUA, iPhoneUA},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
		{"curl/8.0 Chrome/", "curl/8.0 Chrome/"},
	} {
		if got := engineUA(c.in, "156.0.8078.114"); got != c.want {
			t.Errorf("engineUA(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := engineUA(win131, ""); got != win131 {
		t.Errorf("no engine version: %q", got)
	}
	m := clientHints(engineUA(win131, "156.0.8078.114"), deviceFor(win131), "156.0.8078.114")
	if m.Brands[1].Version != "156" || m.FullVersionList[1].Version != "156.0.8078.114" {
		t.Errorf("client hints: %+v %+v", m.Brands[1], m.FullVersionList[1])
	}
}

func TestTimezoneFor(t *testing.T) {
	for in, want := range map[string]string{
		"ja-JP": "Asia/Tokyo", "ja": "Asia/Tokyo", "en-US": "America/New_York", "en": "Asia/Tokyo", "en-ZA": "Asia/Tokyo",
		"de-AT": "Europe/Berlin", "zh-TW": "Asia/Taipei", "zh-Hant": "Asia/Shanghai", "ko-KR": "Asia/Seoul", "xx": "Asia/Tokyo",
	} {
		if got := timezoneFor(in); got != want {
			t.Errorf("timezoneFor(%q) = %q, want %q", in, got, want)
		}
	}
}
