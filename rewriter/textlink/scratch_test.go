package textlink

import (
	"strings"
	"testing"
	"time"
)

func TestScratchPerf(t *testing.T) {
	for _, p := range []string{"http://", "www.", "http://a", "https://例え", "a", "http://a.b/", "http://a.と(.", "http://x.え", "(", "http://a.b/(", "http://a.jp/a.", "http://え.み.", "www.a.b@", "http://a@", "http://a.b/%", "http://a.b/'", "http://a.b:1"} {
		for _, n := range []int{10000, 100000} {
			s := strings.Repeat(p, n/len(p))
			t0 := time.Now()
			Find(s)
			t.Logf("%q x%d: %v", p, n, time.Since(t0))
		}
	}
}
