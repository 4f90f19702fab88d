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
