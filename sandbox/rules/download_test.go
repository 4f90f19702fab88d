package rules

import (
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

func TestDownloadReasons(t *testing.T) {
	check := func(name string, d capture.Download, want verdict.Level) {
		t.Helper()
		rs := DownloadReasons(&capture.Report{Downloads: []capture.Download{d}})
		got := verdict.FromReasons(rs)
		if got != want {
			t.Errorf("%s: %s (%v), want %s", name, got, rs, want)
		}
		for _, r := range rs {
			if r.Code != verdict.CodeDownload || r.JA == "" || r.EN == "" {
				t.Errorf("%s: bad reason %+v", name, r)
			}
		}
	}
	check("APK by MIME", capture.Download{FileName: "yamato.apk", MIMEType: "application/vnd.android.package-archive"}, verdict.Malicious)
	check("APK by name, zip magic", capture.Download{FileName: "sagawa.apk", Magic: []byte("PK\x03\x04\x14\x00")}, verdict.Malicious)
	check("renamed PE", capture.Download{FileName: "invoice.pdf", MIMEType: "application/pdf", Magic: []byte("MZ\x90\x00")}, verdict.Malicious)
	check("ELF", capture.Download{FileName: "update", Magic: []byte("\x7fELF\x02")}, verdict.Malicious)
	check("msi by name", capture.Download{FileName: "setup.msi"}, verdict.Malicious)
	check("script", capture.Download{FileName: "請求書.vbs"}, verdict.Malicious)
	check("disk image", capture.Download{FileName: "document.iso"}, verdict.Malicious)
	check("mobileconfig", capture.Download{FileName: "profile.mobileconfig"}, verdict.Malicious)
	check("zip", capture.Download{FileName: "documents.zip", Magic: []byte("PK\x03\x04")}, verdict.Suspicious)
	check("rar", capture.Download{FileName: "a.bin", Magic: []byte("Rar!\x1a\x07")}, verdict.Suspicious)
	check("docx is a zip but not an archive lure", capture.Download{FileName: "report.docx", Magic: []byte("PK\x03\x04")}, verdict.Clean)
	check("macro document", capture.Download{FileName: "請求書.xlsm", Magic: []byte("PK\x03\x04")}, verdict.Suspicious)
	check("pdf", capture.Download{FileName: "report.pdf", MIMEType: "application/pdf", Magic: []byte("%PDF-1.7")}, verdict.Clean)
	check("image", capture.Download{FileName: "photo.jpg", MIMEType: "image/jpeg"}, verdict.Clean)
	if rs := DownloadReasons(&capture.Report{}); rs != nil {
		t.Errorf("no downloads: %v", rs)
	}
}

func TestUnknownSources(t *testing.T) {
	check := func(text string, want bool) {
		t.Helper()
		got := len(UnknownSourcesReasons(&capture.Report{Text: text})) > 0
		if got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
	check("設定から「提供元不明のアプリ」を許可してからインストールしてください", true)
	check("Please enable Install Unknown Apps for your browser", true)
	check("Allow from this source, then tap Install", true)
	check("お荷物の配達状況をご確認ください", false)
	check("", false)
}

func TestFakeUpdateReasons(t *testing.T) {
	check := func(name string, r capture.Report, want verdict.Level) {
		t.Helper()
		rs := FakeUpdateReasons(&r)
		if got := verdict.FromReasons(rs); got != want {
			t.Errorf("%s: %s (%+v), want %s", name, got, rs, want)
		}
		for _, x := range rs {
			if x.Code != verdict.CodeFakeUpdate || x.JA == "" || x.EN == "" {
				t.Errorf("%s: bad reason %+v", name, x)
			}
		}
	}
	const plugin = "WARNING: Your browser plugins are out of date. Flash Player: Outdated. Update Now"
	check("plugin manager, no link", capture.Report{Title: "Plugin Manager", Text: plugin}, verdict.Suspicious)
	check("plugin manager, GET form to an exe", capture.Report{Title: "Plugin Manager", Text: plugin,
		Forms: []capture.Form{{Method: "GET", Action: "https://flash-update.example.top/static/update.exe"}}}, verdict.Malicious)
	check("Japanese, link to an APK", capture.Report{Title: "お知らせ", Text: "お使いのブラウザが古くなっています。今すぐ更新してください。",
		Links: []capture.Link{{URL: "https://x.example.top/chrome-update.apk?v=2", Text: "更新"}}}, verdict.Malicious)
	check("one ordinary phrase", capture.Report{Title: "Release notes", Text: "Update now to get the new features."}, verdict.Clean)
	check("a software vendor's download page", capture.Report{Title: "Download", Text: "Download the installer for Windows.",
		Links: []capture.Link{{URL: "https://vendor.example.com/setup.exe"}}}, verdict.Clean)
}
