package rewriter

import (
	"os"
	"strings"
	"testing"

	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// FuzzICal: the calendar reader never panics; each content line unfolds
// (as a regular expression unfolds it) to the text it reports, at the
// offsets it reports; folding any content line and unfolding it again gives
// it back, in lines of at most 75 octets (but where a run of CRs, which
// must not end a line, is longer); and calendarEdits changes only the
// content lines that hold a link, whose output re-reads as the same number
// of content lines, with every other content line byte for byte the same,
// and finds nothing more to change in its own output.
func FuzzICal(f *testing.F) {
	for _, name := range []string{"calendar-invite", "ics-attachment", "attachments-off"} {
		if b, err := os.ReadFile("../testdata/rewrite/" + name + ".eml"); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("DESCRIPTION:see https://a.example/x\\,y\n at\\nhttps://b.example/\\;z\nURL:https://c.example/\n")
	f.Add("X-ALT-DESC;FMTTYPE=text/html:<a href=\"https://a.exa\n\tmple/\">x</a>\nLOCATION;ALTREP=\"https://d.example/\":room\n")
	f.Add("SUMMARY:日本語の説明 https://a.example/ログイン\n ページ\n")
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, text string) {
		lines := readICal(text)
		for _, cl := range lines {
			if cl.start > cl.end || cl.end > len(text) || len(cl.pos) != len(cl.unfolded)+1 {
				t.Fatalf("bad offsets %d..%d, %d positions for %d bytes", cl.start, cl.end, len(cl.pos), len(cl.unfolded))
			}
			if want := icalFoldRe.ReplaceAllString(text[cl.start:cl.end], ""); want != cl.unfolded {
				t.Fatalf("unfolded %q, want %q", cl.unfolded, want)
			}
			for i := range cl.unfolded {
				if text[cl.pos[i]] != cl.unfolded[i] {
					t.Fatalf("position %d maps to %q, not %q", i, text[cl.pos[i]], cl.unfolded[i])
				}
			}
			icalSplit(cl.unfolded)
			folded := icalFold(cl.unfolded, "", " ", "\n")
			for _, l := range strings.Split(folded, "\n") {
				if len(l) > icalFoldOctets && !strings.Contains(l, "\r") {
					t.Fatalf("folded line of %d octets", len(l))
				}
			}
			if back := icalFoldRe.ReplaceAllString(folded, ""); back != cl.unfolded {
				t.Fatalf("fold then unfold: %q, want %q", back, cl.unfolded)
			}
		}

		// The rewriter hands calendarEdits text with "\n" line breaks.
		text = strings.ReplaceAll(text, "\r\n", "\n")
		lk := &linker{codec: opts.Codec, policy: opts.Policy, res: &Result{Skipped: map[string]int{}}, ctx: linktoken.Context{Issued: testNow}}
		edits := lk.calendarEdits(text)
		sortEdits(edits)
		out, err := applyEdits(text, 0, len(text), edits)
		if err != nil {
			t.Fatal(err)
		}
		in, again := readICal(text), readICal(out)
		if len(in) != len(again) {
			t.Fatalf("%d content lines became %d:\n%q\n%q", len(in), len(again), text, out)
		}
		changed := map[int]bool{}
		for _, e := range edits {
			for k, cl := range in {
				if e.start >= cl.start && e.start <= cl.end {
					changed[k] = true
				}
			}
		}
		for k := range in {
			a, b := text[in[k].start:in[k].end], out[again[k].start:again[k].end]
			if !changed[k] && a != b {
				t.Fatalf("content line %d without a link changed: %q became %q", k, a, b)
			}
		}
		if more := lk.calendarEdits(out); len(more) > 0 {
			t.Fatalf("not idempotent: %d more edits in\n%q", len(more), out)
		}
	})
}
