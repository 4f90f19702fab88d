package sandbox

import "testing"

func TestDeviceOf(t *testing.T) {
	for _, tc := range []struct {
		ua   string
		want Device
	}{
		{"", DeviceDesktop},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", DeviceDesktop},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", DeviceDesktop}, // also an iPad asking for the desktop site
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", DeviceDesktop},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", DeviceDesktop},
		{"Mozilla/5.0 (Linux; Android 14; SO-51D) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", DeviceAndroid},
		{"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", DeviceAndroid}, // a tablet
		{"Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0", DeviceAndroid},
		{"Mozilla/5.0 (Linux; Android 14; SH-M26 Build/S1234; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 Line/14.3.0", DeviceAndroid}, // LINE's in-app browser
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", DeviceIOS},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", DeviceIOS},
		{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", DeviceIOS},
		{"Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1", DeviceIOS},
		{"MOZILLA/5.0 (IPHONE)", DeviceIOS},
		{"Dalvik/2.1.0 (Linux; U; ANDROID 14)", DeviceAndroid},
	} {
		if got := DeviceOf(tc.ua); got != tc.want || !got.Valid() {
			t.Errorf("DeviceOf(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
	if Device("tv").Valid() || Device("").Valid() {
		t.Error("an unknown class is valid")
	}
}

// FuzzDeviceOf: any User-Agent gets a valid class, and the class does not
// depend on the case of its letters.
func FuzzDeviceOf(f *testing.F) {
	for _, s := range []string{"", "iPhone", "Android", "Mozilla/5.0 (Windows NT 10.0)", "ipAd", "\xff\xfeandroid"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := DeviceOf(ua)
		if !d.Valid() {
			t.Fatalf("DeviceOf(%q) = %q", ua, d)
		}
	})
}
