package rules

import (
	"bytes"
	"net/url"
	"path"
	"strings"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// downloadKind classifies a file by its magic bytes first (a lure renames
// files freely), then by its MIME type and name.
func downloadKind(d capture.Download) string {
	m := d.Magic
	switch {
	case bytes.HasPrefix(m, []byte("MZ")):
		return "executable" // Windows PE
	case bytes.HasPrefix(m, []byte("\x7fELF")):
		return "executable"
	case bytes.HasPrefix(m, []byte{0xcf, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(m, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return "executable" // Mach-O
	case bytes.HasPrefix(m, []byte("PK\x03\x04")):
		// APKs and Office files are zips too: the name decides.
		if k := downloadKindByName(d); k != "" {
			return k
		}
		switch strings.ToLower(path.Ext(d.FileName)) {
		case ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub":
			return "other"
		}
		return "archive"
	case bytes.HasPrefix(m, []byte("Rar!")), bytes.HasPrefix(m, []byte("7z\xbc\xaf")), bytes.HasPrefix(m, []byte{0x1f, 0x8b}):
		return "archive"
	case bytes.HasPrefix(m, []byte("koly")), bytes.HasPrefix(m, []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")) && strings.HasSuffix(strings.ToLower(d.FileName), ".iso"):
		return "disk-image"
	}
	switch strings.ToLower(d.MIMEType) {
	case "application/vnd.android.package-archive":
		return "apk"
	case "application/x-msdownload", "application/x-msdos-program", "application/x-ms-installer", "application/x-msi", "application/x-dosexec", "application/x-executable":
		return "executable"
	case "application/x-apple-diskimage", "application/x-iso9660-image":
		return "disk-image"
	}
	if k := downloadKindByName(d); k != "" {
		return k
	}
	switch strings.ToLower(d.MIMEType) {
	case "application/zip", "application/x-zip-compressed", "application/x-rar-compressed", "application/vnd.rar", "application/x-7z-compressed", "application/gzip", "application/x-tar":
		return "archive"
	}
	return "other"
}

func downloadKindByName(d capture.Download) string {
	switch strings.ToLower(path.Ext(d.FileName)) {
	case ".apk", ".xapk", ".apks":
		return "apk"
	case ".exe", ".scr", ".com", ".pif", ".msi", ".msix", ".appx", ".dll", ".app", ".pkg", ".deb", ".rpm", ".jar":
		return "executable"
	case ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".hta", ".lnk", ".sh", ".py", ".mobileconfig":
		return "script"
	case ".iso", ".img", ".vhd", ".vhdx", ".dmg":
		return "disk-image"
	case ".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".cab", ".lzh":
		return "archive"
	case ".docm", ".xlsm", ".pptm", ".dotm", ".xlam":
		return "macro-document"
	}
	return ""
}

var downloadKindWords = map[string][2]string{
	"apk":            {"Android アプリ（APK）", "an Android app (APK)"},
	"executable":     {"実行ファイル", "a program"},
	"script":         {"スクリプト", "a script"},
	"disk-image":     {"ディスクイメージ", "a disk image"},
	"archive":        {"圧縮ファイル", "an archive"},
	"macro-document": {"マクロ付きの文書", "a document with macros"},
}

// DownloadReasons judges the files a page pushed: programs, APKs,
// installers, scripts and disk images are malicious (nobody needs one from
// a link in mail), archives are suspicious (they carry the same inside).
func DownloadReasons(r *capture.Report) []verdict.Reason {
	var out []verdict.Reason
	for _, d := range r.Downloads {
		kind := downloadKind(d)
		words, ok := downloadKindWords[kind]
		if !ok {
			continue
		}
		level := verdict.Malicious
		if kind == "archive" || kind == "macro-document" {
			level = verdict.Suspicious
		}
		out = append(out, verdict.Reason{
			Code:     verdict.CodeDownload,
			Level:    level,
			Evidence: map[string]string{"file_name": d.FileName, "kind": kind, "mime_type": d.MIMEType, "url": d.URL},
			JA:       "このリンクを開くと" + words[0] + "「" + d.FileName + "」がダウンロードされます。開かないでください。",
			EN:       "This link downloads " + words[1] + " (" + d.FileName + "). Do not open it.",
		})
	}
	return out
}

// unknownSourcesPhrases are instructions to allow apps from outside the app
// store, the step every APK lure needs.
var unknownSourcesPhrases = []string{
	"提供元不明のアプリ", "提供元不明アプリ", "不明なアプリのインストール", "不明なソース", "提供元不明",
	"unknown sources", "install unknown apps", "allow from this source",
}

// UnknownSourcesReasons reports page text telling the user to allow apps
// from unknown sources. Alone it is suspicious.
func UnknownSourcesReasons(r *capture.Report) []verdict.Reason {
	text := strings.ToLower(r.Text)
	for _, p := range unknownSourcesPhrases {
		if strings.Contains(text, strings.ToLower(p)) {
			return []verdict.Reason{{
				Code:     verdict.CodeUnknownSources,
				Level:    verdict.Suspicious,
				Evidence: map[string]string{"phrase": p},
				JA:       "このページは「提供元不明のアプリ」のインストールを許可するよう求めています。偽アプリを入れさせる手口です。",
				EN:       "This page asks you to allow apps from unknown sources, the step fake-app scams need.",
			}}
		}
	}
	return nil
}

// fakeUpdatePhrases are what fake browser- and plugin-update pages say
// (the "Plugin Manager" kits, SocGholish-style "your browser is out of
// date" overlays). They are matched lower-cased in the title and text; two
// different phrases are needed, because one ("update now") is ordinary.
var fakeUpdatePhrases = []string{
	"plugins are out of date", "plugin is out of date", "plugins are severely out of date",
	"browser is out of date", "browser is outdated", "your browser needs", "update your browser",
	"update your plugins", "update your browser plugins", "update the plugin", "flash player",
	"run the update file", "download the update file", "install the update", "critical update",
	"update now", "outdated",
	"ブラウザが古", "ブラウザを更新", "ブラウザのアップデート", "プラグインが古", "プラグインを更新",
	"プラグインのアップデート", "更新ファイルを実行", "アップデートファイル", "今すぐ更新", "今すぐアップデート",
}

// executableLink reports a link, or a form that submits by GET, leading
// straight to a program, script or disk image.
func executableLink(r *capture.Report) (string, bool) {
	urls := make([]string, 0, len(r.Links)+len(r.Forms))
	for _, l := range r.Links {
		urls = append(urls, l.URL)
	}
	for _, f := range r.Forms {
		if f.Method == "GET" {
			urls = append(urls, f.Action)
		}
	}
	for _, u := range urls {
		// The file name is the URL path's last segment: a bare host
		// ("https://caniuse.com/#feat=x") names no file, .com or not.
		pu, err := url.Parse(u)
		if err != nil || pu.Path == "" || strings.HasSuffix(pu.Path, "/") {
			continue
		}
		switch downloadKindByName(capture.Download{FileName: path.Base(pu.Path)}) {
		case "executable", "apk", "script", "disk-image":
			return u, true
		}
	}
	return "", false
}

// FakeUpdateReasons reports a page that tells the visitor their browser or
// a plugin is out of date and must be updated: suspicious on its words
// alone, malicious when the page also links straight to a program.
func FakeUpdateReasons(r *capture.Report) []verdict.Reason {
	text := strings.ToLower(r.Title + "\n" + r.Text)
	var hits []string
	for _, p := range fakeUpdatePhrases {
		if strings.Contains(text, strings.ToLower(p)) {
			hits = append(hits, p)
		}
	}
	if len(hits) < 2 {
		return nil
	}
	ev := map[string]string{"phrases": strings.Join(hits, "; ")}
	reason := verdict.Reason{
		Code: verdict.CodeFakeUpdate, Level: verdict.Suspicious, Evidence: ev,
		JA: "このページは「ブラウザやプラグインが古いので更新が必要」と偽っています。ブラウザの更新がWebページから配られることはありません。何もダウンロードしないでください。",
		EN: "This page claims your browser or a plugin is out of date. Real browser updates never come from a web page; do not download anything from it.",
	}
	if u, ok := executableLink(r); ok {
		ev["link"] = u
		reason.Level = verdict.Malicious
		reason.JA = "このページは「ブラウザやプラグインの更新」と偽ってプログラムをダウンロードさせようとしています（" + path.Base(u) + "）。開かないでください。"
		reason.EN = "This page poses as a browser or plugin update to make you download a program (" + path.Base(u) + "). Do not open it."
	}
	return []verdict.Reason{reason}
}

// DownloadLinkReasons reports a link (or a GET form) that leads straight to
// an app, program, script or disk image: clean-level evidence alone
// (download sites link installers), a strong sign together with a
// lookalike domain, a claimed brand or unknown-sources instructions (the
// score in score.go).
func DownloadLinkReasons(r *capture.Report) []verdict.Reason {
	u, ok := executableLink(r)
	if !ok {
		return nil
	}
	pu, _ := url.Parse(u) // executableLink parsed it
	name := path.Base(pu.Path)
	kind := downloadKindByName(capture.Download{FileName: name})
	switch strings.ToLower(path.Ext(name)) {
	case ".js", ".sh", ".py":
		// Developer documentation links scripts to read, not to run.
		return nil
	}
	words := downloadKindWords[kind]
	return []verdict.Reason{{
		Code: verdict.CodeDownloadLink, Level: verdict.Clean,
		Evidence: map[string]string{"url": u, "file_name": name, "kind": kind},
		JA:       "このページには" + words[0] + "「" + name + "」への直接リンクがあります。",
		EN:       "This page links straight to " + words[1] + " (" + name + ").",
	}}
}
