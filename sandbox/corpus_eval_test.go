package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/browser"
)

// TestCorpusEval renders every page of ../shared/corpus/pages under its
// manifest host name through the real sandbox and reports recall (phish
// judged suspicious or malicious) and the false-positive rate (benign judged
// so). It takes about 2.5 minutes and is not yet part of make test: it does
// not yet assert issue 4's thresholds (recall >= 0.95, FP <= 0.03); the first
// run measured recall 90/97 = 0.928 and FP 3/175 = 0.017. Run it with
// KENSA_EVAL=1 go test ./sandbox -run TestCorpusEval -v -timeout 15m.
func TestCorpusEval(t *testing.T) {
	if os.Getenv("KENSA_EVAL") == "" {
		t.Skip("corpus evaluation: set KENSA_EVAL=1 (about 2.5 minutes; see the comment)")
	}
	root := "../../shared/corpus/pages"
	var m []struct{ ID, Label, Kind, Entry, Host, URL string }
	b, _ := os.ReadFile(filepath.Join(root, "manifest.json"))
	json.Unmarshal(b, &m)
	dirs := map[string][]string{}
	for _, e := range m {
		dirs[e.Host] = append(dirs[e.Host], filepath.Join(root, e.ID))
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		for _, d := range dirs[host] {
			p := filepath.Join(d, filepath.Clean(r.URL.Path))
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				http.ServeFile(w, r, p)
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer site.Close()
	s, err := New(context.Background(), Config{Browser: browser.Config{RenderTimeout: 10 * time.Second, Concurrency: 2}, TestMapHosts: netip.MustParseAddrPort(site.Listener.Addr().String())})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var tp, fn, fp, tn int
	var misses []string
	sem := make(chan bool, 2)
	var wg sync.WaitGroup
	for _, e := range m {
		wg.Add(1)
		sem <- true
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := "http://" + e.Host + "/" + e.Entry
			res, err := s.Scan(context.Background(), Request{URL: u})
			if err != nil {
				t.Log(err)
				return
			}
			bad := res.Verdict.Level == verdict.Suspicious || res.Verdict.Level == verdict.Malicious
			mu.Lock()
			defer mu.Unlock()
			var codes []string
			for _, r := range res.Verdict.Reasons {
				codes = append(codes, string(r.Level)+":"+string(r.Code))
			}
			switch {
			case e.Label == "phish" && bad:
				tp++
			case e.Label == "phish":
				fn++
				misses = append(misses, "MISS "+e.ID+" "+string(res.Verdict.Level)+" "+strings.Join(codes, ","))
			case bad:
				fp++
				misses = append(misses, "FP "+e.ID+" "+string(res.Verdict.Level)+" "+strings.Join(codes, ","))
			default:
				tn++
			}
		}()
	}
	wg.Wait()
	for _, x := range misses {
		t.Log(x)
	}
	t.Logf("recall %d/%d = %.3f; FP %d/%d = %.3f", tp, tp+fn, float64(tp)/float64(tp+fn), fp, fp+tn, float64(fp)/float64(fp+tn))
}
