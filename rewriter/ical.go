package rewriter

import (
	"strings"
	"unicode/utf8"
)

// This file finds links in calendar invites (text/calendar parts and .ics
// attachments), which Outlook, Gmail and Apple Calendar show with clickable
// links: calendar-invite phishing puts its link in DESCRIPTION, LOCATION or
// URL, where a gateway that reads only text/plain and text/html misses it.
//
// Hand-written on purpose, like mime.go: github.com/emersion/go-ical decodes
// a calendar into properties and encodes it again, which refolds every line
// and re-escapes every value. Kensa must change the bytes of links and
// nothing else, so it reads content lines with their offsets (RFC 5545 §3.1
// unfolding), unescapes TEXT values with an offset map (§3.3.11), and
// refolds only the lines that hold a link it changed.
//
// Which properties: the TEXT ones clients show (DESCRIPTION, SUMMARY,
// LOCATION, COMMENT, CONTACT, RESOURCES, and every X- property, such as the
// meeting links of Teams and Google), X-ALT-DESC;FMTTYPE=text/html as HTML
// (Outlook shows it instead of DESCRIPTION), the URI ones a client opens
// (URL, ATTACH, CONFERENCE) as a whole value, and the ALTREP parameter of any
// property. UID, ORGANIZER, ATTENDEE and the like are identifiers, never
// shown as links: changing them would break replies and updates.

const icalFoldOctets = 75 // RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets

// icalLine is one content line: one or more physical lines of text joined by
// folds (a line break followed by a space or a tab).
type icalLine struct {
	start, end int      // in text: the content line, without its last line break
	phys       [][2]int // in text: each physical line, from its fold character (none on the first) to before its line break
	unfolded   string
	// pos maps unfolded to text: unfolded[i] is text[pos[i]]; pos[len(unfolded)] = end.
	pos []int
	// physU[k] is where physical line k starts in unfolded; physU[len(phys)] = len(unfolded).
	physU []int
}

// readICal splits text (with "\n" or "\r\n" line breaks) into content lines.
// It never fails: a line without a name or a colon is a content line all the
// same, and callers find no value in it.
func readICal(text string) []icalLine {
	var lines []icalLine
	var cur *icalLine
	var sb strings.Builder
	flush := func() {
		if cur != nil {
			cur.unfolded = sb.String()
			cur.pos = append(cur.pos, cur.end)
			cur.physU = append(cur.physU, len(cur.unfolded))
			lines = append(lines, *cur)
			cur = nil
			sb.Reset()
		}
	}
	for off := 0; off < len(text); {
		nl := strings.IndexByte(text[off:], '\n')
		next, le := len(text), len(text)
		if nl >= 0 {
			next, le = off+nl+1, off+nl
			if le > off && text[le-1] == '\r' {
				le--
			}
		}
		content := off
		if cur != nil && (text[off] == ' ' || text[off] == '\t') {
			content++ // QUIRK: RFC 5545 §3.1: the fold is the line break and one white space character.
		} else {
			flush()
			cur = &icalLine{start: off}
		}
		cur.phys = append(cur.phys, [2]int{off, le})
		cur.physU = append(cur.physU, sb.Len())
		for i := content; i < le; i++ {
			cur.pos = append(cur.pos, i)
		}
		sb.WriteString(text[content:le])
		cur.end = le
		off = next
	}
	flush()
	return lines
}

// icalParam is a property parameter; vs:ve is its value in the unfolded line
// (inside the quotes, if any).
type icalParam struct {
	name   string // upper-case
	value  string
	vs, ve int
}

// icalSplit returns the name, the parameters and the offset of the value of
// an unfolded content line, or false when it has no colon.
func icalSplit(l string) (name string, params []icalParam, valueStart int, ok bool) {
	i := 0
	for i < len(l) && l[i] != ';' && l[i] != ':' {
		i++
	}
	name = strings.ToUpper(strings.TrimSpace(l[:i]))
	for i < len(l) && l[i] == ';' {
		i++
		ns := i
		for i < len(l) && l[i] != '=' && l[i] != ';' && l[i] != ':' {
			i++
		}
		p := icalParam{name: strings.ToUpper(strings.TrimSpace(l[ns:i]))}
		if i < len(l) && l[i] == '=' {
			i++
		}
		p.vs = i
		for i < len(l) && l[i] != ';' && l[i] != ':' {
			if l[i] == '"' {
				q := strings.IndexByte(l[i+1:], '"')
				if q < 0 {
					return "", nil, 0, false
				}
				if p.vs == i && (i+q+2 == len(l) || strings.IndexByte(";:,", l[i+q+2]) >= 0) {
					p.vs, p.ve = i+1, i+1+q
				}
				i += q + 2
				continue
			}
			i++
		}
		if p.ve == 0 {
			p.ve = i
		}
		p.value = l[p.vs:p.ve]
		params = append(params, p)
	}
	if i >= len(l) || l[i] != ':' {
		return "", nil, 0, false
	}
	return name, params, i + 1, true
}

// icalUnescape undoes TEXT escaping (RFC 5545 §3.3.11) and maps each byte of
// the result to its offset in s; the map ends with len(s). An unknown
// escape is kept as it is, as most clients show it.
func icalUnescape(s string) (string, []int) {
	var sb strings.Builder
	m := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '\\', ',', ';':
				c = s[i+1]
			case 'n', 'N':
				c = '\n'
			default:
				sb.WriteByte(c)
				m = append(m, i)
				continue
			}
			sb.WriteByte(c)
			m = append(m, i)
			i++
			continue
		}
		sb.WriteByte(c)
		m = append(m, i)
	}
	return sb.String(), append(m, len(s))
}

var icalEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`)

// icalFold folds one content line's text for physical lines that start with
// prefix (the fold character, or "" on a content line's first line); every
// further line starts with fold, after the line break nl. Lines are at most icalFoldOctets octets and
// are never cut inside a UTF-8 sequence.
func icalFold(s, prefix, fold, nl string) string {
	var sb strings.Builder
	for first := true; first || s != ""; first = false {
		if !first {
			sb.WriteString(nl)
			prefix = fold
		}
		n := min(len(s), icalFoldOctets-len(prefix))
		for n > 0 && n < len(s) && (!utf8.RuneStart(s[n]) || s[n-1] == '\r') {
			n-- // never inside a UTF-8 sequence, nor after a CR that would join the line break
		}
		if n == 0 && s != "" {
			// Not UTF-8, or a run of CRs longer than a line: cut at the
			// first place that is neither, even if the line gets longer.
			n = 1
			for n < len(s) && (!utf8.RuneStart(s[n]) && n < 4 || s[n-1] == '\r') {
				n++
			}
		}
		sb.WriteString(prefix + s[:n])
		s = s[n:]
	}
	return sb.String()
}

// calendarEdits finds the links in a calendar's decoded text (lines joined
// by "\n") and returns edits that replace whole physical lines: the lines
// that hold a changed link, refolded; all other lines keep their bytes.
func (lk *linker) calendarEdits(text string) []edit {
	var edits []edit
	for _, cl := range readICal(text) {
		name, params, vstart, ok := icalSplit(cl.unfolded)
		if !ok {
			continue
		}
		var ue []edit // in cl.unfolded
		for _, p := range params {
			if p.name == "ALTREP" {
				if link, ok := lk.wrap(p.value, "", false, false); ok {
					ue = append(ue, edit{start: p.vs, end: p.ve, repl: link})
				}
			}
		}
		value := cl.unfolded[vstart:]
		switch {
		case name == "URL" || name == "CONFERENCE" || name == "ATTACH" && !icalBinary(params):
			if link, ok := lk.wrap(value, "", false, false); ok {
				ue = append(ue, edit{start: vstart, end: len(cl.unfolded), repl: link})
			}
		case name == "X-ALT-DESC" && strings.EqualFold(icalParamValue(params, "FMTTYPE"), "text/html"):
			ue = append(ue, icalTextEdits(value, vstart, lk.htmlEdits)...)
		case icalTextProp(name):
			ue = append(ue, icalTextEdits(value, vstart, lk.textEdits)...)
		}
		if len(ue) > 0 {
			edits = append(edits, refold(text, cl, ue)...)
		}
	}
	return edits
}

func icalTextProp(name string) bool {
	switch name {
	case "DESCRIPTION", "SUMMARY", "LOCATION", "COMMENT", "CONTACT", "RESOURCES":
		return true
	}
	return strings.HasPrefix(name, "X-")
}

func icalBinary(params []icalParam) bool {
	return strings.EqualFold(icalParamValue(params, "VALUE"), "BINARY") || strings.EqualFold(icalParamValue(params, "ENCODING"), "BASE64")
}

func icalParamValue(params []icalParam, name string) string {
	for _, p := range params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// icalTextEdits finds links in a TEXT value (escaped, at offset off of its
// content line) with find, which reads the unescaped value, and maps its
// edits back, escaping the replacements.
func icalTextEdits(value string, off int, find func(string) []edit) []edit {
	plain, m := icalUnescape(value)
	var out []edit
	for _, e := range find(plain) {
		out = append(out, edit{start: off + m[e.start], end: off + m[e.end], repl: icalEscaper.Replace(e.repl)})
	}
	return out
}

// refold applies edits (in cl.unfolded) to a content line and returns them
// as edits of text that replace each run of physical lines holding an edit
// by those lines' new content, folded again.
func refold(text string, cl icalLine, ue []edit) []edit {
	sortEdits(ue)
	physOf := func(u int) int { // the physical line holding unfolded offset u
		k := 0
		for k+1 < len(cl.phys) && cl.physU[k+1] <= u {
			k++
		}
		return k
	}
	var out []edit
	for i := 0; i < len(ue); {
		a := physOf(ue[i].start)
		b := physOf(max(ue[i].end-1, ue[i].start))
		j := i + 1
		for j < len(ue) && physOf(ue[j].start) <= b {
			b = max(b, physOf(max(ue[j].end-1, ue[j].start)))
			j++
		}
		newContent, err := applyEdits(cl.unfolded, cl.physU[a], cl.physU[b+1], ue[i:j])
		if err != nil {
			return nil // overlapping edits: leave the line alone
		}
		prefix, fold := "", " "
		if a > 0 {
			prefix = text[cl.phys[a][0] : cl.phys[a][0]+1]
			fold = prefix
		}
		// Lines are joined by "\n" as the strict path reads a part
		// (part.go); read leniently (fallback.go), text keeps its CRLF.
		nl := "\n"
		if strings.HasPrefix(text[cl.phys[b][1]:], "\r\n") || b > a && strings.HasPrefix(text[cl.phys[a][1]:], "\r\n") {
			nl = "\r\n"
		}
		out = append(out, edit{start: cl.phys[a][0], end: cl.phys[b][1], repl: icalFold(newContent, prefix, fold, nl)})
		i = j
	}
	return out
}

func sortEdits(e []edit) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].start < e[j-1].start; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}
