package rewriter

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// This file extends the oracle (check_test.go) to calendar parts and to the
// attachments a reader opens in a browser (issue 10). It reads them on its
// own terms: its own classification of parts, its own unfolding (a regular
// expression) and unescaping, and the text and HTML comparisons of the
// oracle for values.

// oracleKind says how the oracle reads a leaf: "calendar", "html" (HTML or
// SVG attachment), or "" for the rules of check_test.go.
func oracleKind(mt, disp, filename string) string {
	ext := strings.ToLower(path.Ext(filename))
	opened := mt == "application/octet-stream" || mt == "application/x-download" || mt == "application/force-download" || mt == "text/plain" && disp == "attachment"
	switch {
	case mt == "text/calendar" || mt == "application/ics" || ext == ".ics":
		return "calendar"
	case mt == "text/html" && disp == "attachment", mt == "application/xhtml+xml", mt == "image/svg+xml":
		return "html"
	case opened && (ext == ".html" || ext == ".htm" || ext == ".shtml" || ext == ".xhtml" || ext == ".svg"):
		return "html"
	}
	return ""
}

var icalFoldRe = regexp.MustCompile(`\r?\n[ \t]`)

// icalContentLines unfolds a calendar and returns its content lines.
func icalContentLines(s string) []string {
	s = icalFoldRe.ReplaceAllString(s, "")
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// oracleICalSplit splits a content line at the first colon outside quotes.
func oracleICalSplit(l string) (nameParams, value string, ok bool) {
	q := false
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '"':
			q = !q
		case l[i] == ':' && !q:
			return l[:i], l[i+1:], true
		}
	}
	return "", "", false
}

var altrepRe = regexp.MustCompile(`(?i);ALTREP="([^"]*)"`)

func oracleUnescape(s string) string {
	return regexp.MustCompile(`\\[\\,;nN]`).ReplaceAllStringFunc(s, func(e string) string {
		if e[1] == 'n' || e[1] == 'N' {
			return "\n"
		}
		return e[1:]
	})
}

// calendarProp says how the oracle reads a property's value: "uri", "text",
// "html" or "" (not a link a client shows).
func calendarProp(nameParams string) string {
	name, params, _ := strings.Cut(nameParams, ";")
	name = strings.ToUpper(name)
	params = strings.ToUpper(params)
	switch {
	case name == "URL" || name == "CONFERENCE":
		return "uri"
	case name == "ATTACH" && !strings.Contains(params, "BASE64") && !strings.Contains(params, "VALUE=BINARY"):
		return "uri"
	case name == "X-ALT-DESC" && strings.Contains(params, "FMTTYPE=TEXT/HTML"):
		return "html"
	case name == "DESCRIPTION", name == "SUMMARY", name == "LOCATION", name == "COMMENT", name == "CONTACT", name == "RESOURCES", strings.HasPrefix(name, "X-"):
		return "text"
	}
	return ""
}

// checkCalendar compares two calendars content line by content line: a
// changed line keeps its name and parameters (but ALTREP), and its value
// changes only in links, each of which opens to the link it replaced. Every
// new physical line is at most 75 octets.
func checkCalendar(codec *linktoken.Codec, in, out string, st *checkStats) error {
	inPhys := map[string]bool{}
	for _, l := range strings.Split(in, "\n") {
		inPhys[strings.TrimSuffix(l, "\r")] = true
	}
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSuffix(l, "\r"); !inPhys[l] && len(l) > 75 {
			return fmt.Errorf("new line of %d octets: %q", len(l), l)
		}
	}
	il, ol := icalContentLines(in), icalContentLines(out)
	if len(il) != len(ol) {
		return fmt.Errorf("%d content lines in, %d out", len(il), len(ol))
	}
	for k := range il {
		a, b := il[k], ol[k]
		np, v, ok := oracleICalSplit(a)
		if !ok {
			if a != b {
				return fmt.Errorf("line %d %q became %q", k, a, b)
			}
			continue
		}
		np2, v2, _ := oracleICalSplit(b)
		ia, oa := altrepRe.FindAllStringSubmatch(np, -1), altrepRe.FindAllStringSubmatch(np2, -1)
		if altrepRe.ReplaceAllString(np, "") != altrepRe.ReplaceAllString(np2, "") || len(ia) != len(oa) {
			return fmt.Errorf("line %d: %q became %q", k, np, np2)
		}
		for j := range ia {
			if err := checkURI(codec, ia[j][1], oa[j][1], st); err != nil {
				return fmt.Errorf("line %d ALTREP: %w", k, err)
			}
		}
		var err error
		switch calendarProp(np) {
		case "uri":
			err = checkURI(codec, v, v2, st)
		case "text":
			err = checkText(codec, oracleUnescape(v), oracleUnescape(v2), st)
		case "html":
			err = checkHTML(codec, oracleUnescape(v), oracleUnescape(v2), st)
		default:
			if v != v2 {
				err = fmt.Errorf("value %q became %q", v, v2)
			}
		}
		if err != nil {
			return fmt.Errorf("line %d (%s): %w", k, np, err)
		}
	}
	return nil
}

// checkURI: a URI value is left as it is, or is a Kensa link to it.
func checkURI(codec *linktoken.Codec, in, out string, st *checkStats) error {
	if in == out {
		if isWebURL(cleanURL(in)) && !codec.IsLink(cleanURL(in)) {
			st.notRewritten = append(st.notRewritten, in)
		}
		return nil
	}
	dest, flags, err := openDest(codec, out)
	if err != nil {
		return fmt.Errorf("%q became %q: %w", in, out, err)
	}
	want := cleanURL(in)
	if flags&linktoken.FlagUnwrapped != 0 {
		want = expectedDest(want)
	}
	if dest != want {
		return fmt.Errorf("%q opens to %q, want %q", out, dest, want)
	}
	st.verified++
	return nil
}

// calendarLiveLinks returns the web links a client would open in a
// calendar that are not Kensa links: URI values and ALTREP, links in TEXT
// values, and the links of the HTML in X-ALT-DESC.
func calendarLiveLinks(codec *linktoken.Codec, cal string) []string {
	var live []string
	for _, l := range icalContentLines(cal) {
		np, v, ok := oracleICalSplit(l)
		if !ok {
			continue
		}
		for _, m := range altrepRe.FindAllStringSubmatch(np, -1) {
			if u := cleanURL(m[1]); isWebURL(u) && !codec.IsLink(u) {
				live = append(live, u)
			}
		}
		switch calendarProp(np) {
		case "uri":
			if u := cleanURL(v); isWebURL(u) && !codec.IsLink(u) {
				live = append(live, u)
			}
		case "text":
			live = append(live, textLiveLinks(codec, oracleUnescape(v))...)
		case "html":
			live = append(live, htmlLiveLinks(codec, oracleUnescape(v))...)
		}
	}
	return live
}

// textLiveLinks returns the links textlink finds in text that lie outside
// every Kensa link.
func textLiveLinks(codec *linktoken.Codec, text string) []string {
	var live []string
	for _, l := range findOutLinks(codec, text) {
		// findOutLinks gives Kensa links without a URL, other links with one.
		if s := text[l.Start:l.End]; l.URL != "" && !codec.IsLink(s) {
			live = append(live, s)
		}
	}
	return live
}
