package rewriter

import (
	"path"
	"strings"
)

// This file decides which leaves are rewritten, and how: text and HTML
// bodies, calendar invites (ical.go), and the attachments a reader opens in
// a browser: HTML and SVG files, the most common phishing payload of recent
// years, which every browser renders with live links and forms. Other
// attachments (PDF, Office documents, archives) are left byte for byte
// alone: their links are out of scope for now.

// leafKind returns how a leaf is read ("text", "html", "svg", "calendar",
// or "" for not at all), and whether it counts as an attachment, which
// Policy.RewriteAttachments may leave alone.
func leafKind(e *entity) (kind string, attached bool) {
	ext := strings.ToLower(path.Ext(strings.TrimSpace(e.filename)))
	// A file of a generic type is opened by its name.
	generic := e.mediaType == "application/octet-stream" || e.mediaType == "text/plain" && e.attachment ||
		e.mediaType == "application/x-download" || e.mediaType == "application/force-download"
	switch {
	case e.mediaType == "text/calendar" || e.mediaType == "application/ics" || ext == ".ics":
		// QUIRK: invites come as text/calendar, as application/ics
		// attachments (Outlook, Gmail), and as .ics files of any type.
		return "calendar", e.attachment
	case e.mediaType == "text/html":
		return "html", e.attachment
	case e.mediaType == "application/xhtml+xml":
		return "html", true
	case e.mediaType == "image/svg+xml":
		// An SVG part is a file a reader opens (in a browser), whatever
		// its disposition says.
		return "svg", true
	case generic && isHTMLExt(ext):
		return "html", true
	case generic && ext == ".svg":
		return "svg", true
	case e.mediaType == "text/plain" && !e.attachment:
		return "text", false
	}
	return "", false
}

func isHTMLExt(ext string) bool {
	switch ext {
	case ".html", ".htm", ".shtml", ".xhtml":
		return true
	}
	return false
}

// svgEdits finds the links of an SVG document: the href (or xlink:href) of
// its <a> elements, and whatever HTML a <foreignObject> holds. URLs in
// scripts and event handlers (onload="location=...") are out of scope: the
// rewriter does not read scripts, in SVG as in HTML.
func (lk *linker) svgEdits(text string) []edit { return lk.htmlEdits(text) }
