package inprocess

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/internal/testenv"
	"github.com/kensa-mail/kensa/internal/testsite"
	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/browser"
	"github.com/kensa-mail/kensa/sandbox/rules"
)

// corpusPage is one entry of ../shared/corpus/pages/manifest.json.
type corpusPage struct {
	ID, Label, Kind, Entry, Host, Brand string
}

// corpusPages reads the page corpus (KENSA_CORPUS overrides
// ../shared/corpus). Without it the caller is skipped, unless
// KENSA_REQUIRE names it (internal/testenv).
func corpusPages(t testing.TB) (string, []corpusPage) {
	root := testenv.CorpusDir(t, "pages")
	b, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatalf("page corpus: %v", err)
	}
	var m []corpusPage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return root, m
}

// corpusSite serves every corpus page under its manifest host name: the
// sandbox maps every name to this one loopback server, which picks the
// page directory by the Host header.
func corpusSite(t testing.TB, root string, m []corpusPage) *testsite.Site {
	dirs := map[string][]string{}
	for _, e := range m {
		dirs[e.Host] = append(dirs[e.Host], filepath.Join(root, e.ID))
	}
	site, err := testsite.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		if r.URL.Path == "/empty" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!doctype html><title>empty</title>"))
			return
		}
		for _, d := range dirs[host] {
			p := filepath.Join(d, filepath.Clean("/"+r.URL.Path))
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				p = filepath.Join(p, "index.html")
			}
			// Not http.ServeFile: it redirects .../index.html to .../.
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			defer f.Close()
			if fi, err := f.Stat(); err == nil && !fi.IsDir() {
				http.ServeContent(w, r, p, fi.ModTime(), f)
				return
			}
		}
		http.NotFound(w, r)
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	return site
}

// TestCorpusEval renders every page of ../shared/corpus/pages under its
// manifest host name through the real sandbox (egress proxy and Chromium),
// once, and judges what it captured twice:
//
//   - with the full brand list: recall (phishing judged suspicious or
//     malicious), block rate (phishing judged malicious) and false
//     positives (benign judged suspicious or malicious; benign judged
//     malicious counted apart). Bars (issue 11): recall >= 0.98, block
//     rate >= 0.90, at most 1 % of benign pages warned and none blocked.
//   - with the page's own brand removed from the brand list (the brand
//     ablation), for every phishing page with a brand: recall must stay
//     >= 0.95. This is what shows the rules were not fitted to the list.
//
// Every page that misses a bar is listed by its manifest ID. It takes
// minutes on 2 cores, so -short skips it. KENSA_EVAL_ONLY=REGEXP renders
// only the matching page IDs and prints their reasons (for working on a
// rule); the bars are then not checked. KENSA_EVAL_REPORTS=DIR (an absolute
// path, e.g. .run/corpus-reports, which git ignores) keeps each captured
// report there as JSON and judges a page from its saved report instead of
// rendering it again: for iterating on rules only, never in make test.
func TestCorpusEval(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus evaluation renders 272 pages; not with -short")
	}
	root, m := corpusPages(t)
	only := os.Getenv("KENSA_EVAL_ONLY")
	if only != "" {
		re := regexp.MustCompile(only)
		var sel []corpusPage
		for _, e := range m {
			if re.MatchString(e.ID) {
				sel = append(sel, e)
			}
		}
		m = sel
	}
	results := corpusResults(t, root, m, os.Getenv("KENSA_EVAL_REPORTS"))
	ev := evaluateCorpus(t, m, results, only != "")
	for _, x := range ev.lines {
		t.Log(x)
	}
	t.Logf("full brand list: %s", &ev.full)
	t.Logf("brand ablation (each branded phishing page judged without its brand): %s", &ev.ablated)
	t.Logf("%d renders failed", ev.failed)
	t.Logf("not warned: %v; warned but not blocked: %v; benign warned: %v; ablation not warned: %v",
		ev.full.missed, ev.full.warnedOnly, ev.full.fpIDs, ev.ablated.missed)
	if only != "" {
		return
	}
	if r := ev.full.recall(); r < 0.98 {
		t.Errorf("recall %.3f < 0.98", r)
	}
	if b := ev.full.blockRate(); b < 0.90 {
		t.Errorf("block rate %.3f < 0.90", b)
	}
	if f := ev.full.fpRate(); f > 0.01 {
		t.Errorf("false-positive rate %.3f > 0.01", f)
	}
	if ev.full.fpBlock > 0 {
		t.Errorf("%d benign pages blocked, want none", ev.full.fpBlock)
	}
	if r := ev.ablated.recall(); r < 0.95 {
		t.Errorf("recall under brand ablation %.3f < 0.95", r)
	}
}

// evalStats counts one way of judging the corpus.
type evalStats struct {
	phish, warned, blocked int // phishing pages; judged suspicious or malicious; judged malicious
	benign, fp, fpBlock    int // benign pages; judged suspicious or malicious; judged malicious
	missed, warnedOnly     []string
	fpIDs                  []string
}

func (s *evalStats) add(e corpusPage, l verdict.Level) {
	bad := l == verdict.Suspicious || l == verdict.Malicious
	switch {
	case e.Label == "phish":
		s.phish++
		if bad {
			s.warned++
		} else {
			s.missed = append(s.missed, e.ID)
		}
		if l == verdict.Malicious {
			s.blocked++
		} else if bad {
			s.warnedOnly = append(s.warnedOnly, e.ID)
		}
	default:
		s.benign++
		if bad {
			s.fp++
			s.fpIDs = append(s.fpIDs, e.ID)
		}
		if l == verdict.Malicious {
			s.fpBlock++
		}
	}
}

func (s *evalStats) recall() float64    { return float64(s.warned) / float64(max(s.phish, 1)) }
func (s *evalStats) blockRate() float64 { return float64(s.blocked) / float64(max(s.phish, 1)) }
func (s *evalStats) fpRate() float64    { return float64(s.fp) / float64(max(s.benign, 1)) }

func (s *evalStats) String() string {
	out := fmt.Sprintf("recall %d/%d = %.3f; block rate %d/%d = %.3f", s.warned, s.phish, s.recall(), s.blocked, s.phish, s.blockRate())
	if s.benign > 0 {
		out += fmt.Sprintf("; false positives %d/%d = %.3f (blocked %d)", s.fp, s.benign, s.fpRate(), s.fpBlock)
	}
	return out
}

// corpusEval is the outcome of TestCorpusEval.
type corpusEval struct {
	full, ablated evalStats
	failed        int
	lines         []string
}

// evaluateCorpus judges every rendered page with the full brand list and,
// for branded phishing pages, without their brand. The verdict of a page is
// rules.Judge over its report plus what the scanner added across renders
// (cloaking), so that a saved report judges like a fresh one.
func evaluateCorpus(t *testing.T, m []corpusPage, results map[string]*sandbox.Result, verbose bool) *corpusEval {
	ev := &corpusEval{}
	for _, e := range m {
		res := results[e.ID]
		if res == nil {
			continue
		}
		rep := res.Report
		if rep.Err != "" {
			ev.failed++
			ev.lines = append(ev.lines, fmt.Sprintf("ERR  %s %s (%s)", e.ID, rep.Err, rep.Duration.Round(time.Millisecond)))
		}
		v := judgeCorpusPage(res, rules.Policy{})
		ev.full.add(e, v.Level)
		line := fmt.Sprintf("%s %s %s", e.ID, v.Level, reasonCodes(v))
		switch {
		case e.Label == "phish" && v.Level == verdict.Malicious:
		case e.Label == "phish" && v.Level == verdict.Suspicious:
			ev.lines = append(ev.lines, "WARN "+line)
		case e.Label == "phish":
			ev.lines = append(ev.lines, "MISS "+line)
		case v.Level == verdict.Suspicious || v.Level == verdict.Malicious:
			ev.lines = append(ev.lines, "FP   "+line)
		}
		if e.Label == "phish" && e.Brand != "" {
			list := rules.DefaultBrands().Without(func(b rules.Brand) bool { return brandNamed(e.Brand, b) })
			if list.Len() == rules.DefaultBrands().Len() {
				t.Errorf("%s: brand %q matches no entry of the brand list; the ablation would remove nothing", e.ID, e.Brand)
			}
			va := judgeCorpusPage(res, rules.Policy{Brands: list})
			ev.ablated.add(e, va.Level)
			if va.Level != verdict.Malicious {
				tag := "ABL-WARN "
				if va.Level != verdict.Suspicious {
					tag = "ABL-MISS "
				}
				ev.lines = append(ev.lines, tag+fmt.Sprintf("%s %s %s", e.ID, va.Level, reasonCodes(va)))
			}
		}
		if verbose {
			ev.lines = append(ev.lines, "     "+line, fmt.Sprintf("       err=%q title=%q site=%q headings=%q copyright=%q icons=%q text=%d bytes forms=%d links=%d scripts=%d/%d bytes took=%s chain=%v",
				rep.Err, rep.Title, rep.SiteName, rep.Headings, rep.Copyright, rep.Icons, len(rep.Text), len(rep.Forms), len(rep.Links), len(rep.Scripts.Sources), len(rep.Scripts.Inline), rep.Duration, rep.Chain))
			for _, r := range v.Reasons {
				ev.lines = append(ev.lines, fmt.Sprintf("       %s %s %v %s", r.Level, r.Code, r.Evidence, r.EN))
			}
		}
	}
	sort.Strings(ev.lines)
	return ev
}

// judgeCorpusPage judges a scanned page under a policy, keeping the
// scanner's cross-render findings (cloaking), which no single report shows.
func judgeCorpusPage(res *sandbox.Result, p rules.Policy) verdict.Verdict {
	v := rules.Judge(res.Report, p)
	for _, r := range res.Verdict.Reasons {
		if r.Code == verdict.CodeCloaking {
			v.Reasons = append(v.Reasons, r)
			v.Level = verdict.Worst(v.Level, r.Level)
		}
	}
	return v
}

func reasonCodes(v verdict.Verdict) string {
	var codes []string
	for _, r := range v.Reasons {
		codes = append(codes, string(r.Level)+":"+string(r.Code))
	}
	return strings.Join(codes, ",")
}

// brandNamed reports whether the manifest's brand slug ("ea-origin",
// "stackoverflow") names brand b: its name or one of its names reduced to
// lower-case ASCII letters and digits equals the slug, or starts with it.
func brandNamed(slug string, b rules.Brand) bool {
	want := asciiSlug(slug)
	if want == "" {
		return false
	}
	for _, n := range append([]string{b.Name}, b.Names...) {
		if s := asciiSlug(n); s != "" && strings.HasPrefix(s, want) {
			return true
		}
	}
	return false
}

func asciiSlug(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}

// corpusResults renders the pages through the real sandbox, two at a
// time. With cacheDir set, a page whose report is saved there is read back
// instead, and a fresh render is saved (screenshot left out).
func corpusResults(t *testing.T, root string, m []corpusPage, cacheDir string) map[string]*sandbox.Result {
	out := map[string]*sandbox.Result{}
	var todo []corpusPage
	for _, e := range m {
		if cacheDir != "" {
			if b, err := os.ReadFile(filepath.Join(cacheDir, e.ID+".json")); err == nil {
				var res sandbox.Result
				if err := json.Unmarshal(b, &res); err == nil && res.Report != nil {
					out[e.ID] = &res
					continue
				}
			}
		}
		todo = append(todo, e)
	}
	if len(todo) == 0 {
		return out
	}
	testenv.Require(t, testenv.Chromium)
	if cacheDir != "" {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	site := corpusSite(t, root, todo)
	s, err := New(context.Background(), Config{
		Browser:       browser.Config{RenderTimeout: 20 * time.Second, Concurrency: 2}, // generous: a render that times out on a loaded machine is not the rules' failure
		TestMapHosts:  site.Addr,
		TestTrustSPKI: []string{site.SPKI},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	sem := make(chan bool, 2)
	var wg sync.WaitGroup
	for _, e := range todo {
		wg.Add(1)
		sem <- true
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := s.Scan(context.Background(), sandbox.Request{URL: "http://" + e.Host + "/" + e.Entry})
			if err != nil {
				t.Errorf("%s: %v", e.ID, err)
				return
			}
			res.Report.Screenshot = nil
			if cacheDir != "" {
				if b, err := json.Marshal(res); err == nil {
					os.WriteFile(filepath.Join(cacheDir, e.ID+".json"), b, 0o644)
				}
			}
			mu.Lock()
			out[e.ID] = &res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
