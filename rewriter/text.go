package rewriter

import (
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/rewriter/textlink"
)

// This file finds links in text/plain parts, as html.go does for text/html.
// Where a link ends in plain text is rewriter/textlink's question; this file
// skips the links inside existing Kensa links and hands the rest to
// linker.wrap (rewriter.go), which decides and signs.

// textEdits finds links in a plain-text part.
func (lk *linker) textEdits(text string) []edit {
	var edits []edit
	// Text inside an existing Kensa link (as the link format delimits it)
	// is never touched, even where it looks like a link of its own.
	kensa := linktoken.Find(lk.codec.Base(), text)
	k := 0
	for _, l := range textlink.Find(text) {
		for k < len(kensa) && kensa[k][1] <= l.Start {
			k++
		}
		if k < len(kensa) && kensa[k][0] < l.End {
			lk.res.count("already-kensa")
			continue
		}
		if link, ok := lk.wrap(l.URL, "", true, l.Schemeless); ok {
			edits = append(edits, edit{start: l.Start, end: l.End, repl: link})
		}
	}
	return edits
}
