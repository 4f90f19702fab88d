package browser

import (
	"bytes"
	"testing"
)

// TestLateActions (issue 11, item 3): what a page does by itself shortly
// after it loaded is in the Report, with an Android User-Agent: a download
// that a timer starts 500 ms after load (by navigation, and by a script's
// click on an anchor with a download attribute), also behind a login form,
// and the download behind the page's single "ダウンロード" button. The
// benign twins: a timer that only changes the page's text, and a splash
// page that moves on to its own home page, give no download.
func TestLateActions(t *testing.T) {
	needBrowser(t)
	for _, tc := range []struct {
		name, url string
		clicked   string
	}{
		{"setTimeout location", "http://sagawa-redelivery.top/", ""},
		{"setTimeout anchor download", "http://sagawa-anchor.top/", ""},
		{"behind a login form", "http://sagawa-login.top/", ""},
		{"download call to action", "http://sagawa-cta.top/", "ダウンロード"},
	} {
		rep := render(t, tc.url, androidUA, "")
		// (An anchor's download goes through the download manager: no
		// response event, so no MIME type; the name and the first bytes
		// say what it is.)
		if rep.Err != "" || len(rep.Downloads) != 1 || rep.Downloads[0].FileName != "sagawa.apk" || !bytes.HasPrefix(rep.Downloads[0].Magic, []byte("PK\x03\x04")) {
			t.Errorf("%s: err %q downloads %+v", tc.name, rep.Err, rep.Downloads)
		}
		if rep.Clicked != tc.clicked {
			t.Errorf("%s: clicked %q, want %q", tc.name, rep.Clicked, tc.clicked)
		}
		if !rep.Mobile {
			t.Errorf("%s: not rendered as a phone", tc.name)
		}
	}
	// The login form is still what the report shows.
	if rep := render(t, "http://sagawa-login.top/", androidUA, ""); !hasSecretField(rep.Forms) {
		t.Errorf("login form lost: %+v", rep.Forms)
	}

	rep := render(t, "http://www.weather-news.example/", androidUA, "")
	if rep.Err != "" || len(rep.Downloads) != 0 || rep.Text != "東京 晴れ 最高気温 18度" || rep.Clicked != "" {
		t.Errorf("weather: err %q downloads %+v text %q clicked %q", rep.Err, rep.Downloads, rep.Text, rep.Clicked)
	}
	rep = render(t, "http://www.splash-shop.example/", androidUA, "")
	// What matters for the twin: no download, nothing clicked, on its own
	// site. Whether the timer's navigation to /home has committed by the
	// end depends on the machine's load (it is bounded by the deadline),
	// so either page of the site is accepted.
	if rep.Err != "" || len(rep.Downloads) != 0 || rep.Clicked != "" ||
		(rep.FinalURL != "http://www.splash-shop.example/home" && rep.FinalURL != "http://www.splash-shop.example/") {
		t.Errorf("splash: err %q downloads %+v final %q title %q", rep.Err, rep.Downloads, rep.FinalURL, rep.Title)
	}
}

// TestDownloadCallToActionAmbiguous: two download links are not a single
// obvious call to action; neither is followed.
func TestDownloadCallToActionAmbiguous(t *testing.T) {
	needBrowser(t)
	for len(testSite.ctaHit) > 0 {
		<-testSite.ctaHit
	}
	rep := render(t, "http://www.app-guide.example/", androidUA, "")
	if rep.Clicked != "" || len(rep.Downloads) != 0 || len(testSite.ctaHit) != 0 {
		t.Errorf("clicked %q downloads %+v hits %d", rep.Clicked, rep.Downloads, len(testSite.ctaHit))
	}
}
