package scaletest

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/sandbox"
	"github.com/kensa-mail/kensa/sandbox/remote"
)

// BenchmarkScaleRenders is render throughput through the queue with one
// and with two workers (2 tabs each): 24 new pages per iteration, enqueued
// 12 at a time, as proxies would. Reported: renders/s. All processes share
// this machine's cores, so the second worker adds tabs, not cores.
func BenchmarkScaleRenders(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			names := []string{"kensa-worker-1", "kensa-worker-2"}[:workers]
			d := startDeployment(b, names...)
			c, err := remote.NewClient(context.Background(), remote.ClientConfig{Redis: d.rdb})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			const pages, inflight = 24, 12
			var rendered, failed int
			// The workers' memory (PSS), Chromium included, sampled while they render.
			var peak int64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					var sum int64
					for _, n := range names {
						if p := d.procs[n]; p.cmd != nil {
							sum += treePSS(p.cmd.Process.Pid)
						}
					}
					peak = max(peak, sum)
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
					}
				}
			}()
			start := time.Now()
			for i := range b.N {
				sem := make(chan struct{}, inflight)
				var wg sync.WaitGroup
				var mu sync.Mutex
				for p := range pages {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer func() { <-sem; wg.Done() }()
						ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
						defer cancel()
						_, err := c.Scan(ctx, sandbox.Request{URL: fmt.Sprintf("http://bench%d.shop.test/page/%d-%d", p, i, p)})
						mu.Lock()
						if err != nil {
							failed++
						} else {
							rendered++
						}
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			el := time.Since(start)
			close(stop)
			<-sampled
			b.ReportMetric(float64(rendered)/el.Seconds(), "renders/s")
			b.ReportMetric(float64(peak)/float64(workers)/(1<<20), "MiB-per-worker-peak")
			b.ReportMetric(float64(failed), "failed")
		})
	}
}

// BenchmarkScaleClicks is cached-verdict click throughput with one and
// with two kensa serve replicas: wrk (-c32 per replica, 5 s) against each
// replica at once, summed. Reported: clicks/s. wrk, the replicas and Redis
// share this machine's cores.
func BenchmarkScaleClicks(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk not installed (scripts/setup.sh installs it)")
	}
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			names := append([]string{"kensa-worker-1"}, serves[:replicas]...)
			d := startDeployment(b, names...)
			dest := "http://bench.shop.test/page/clicks"
			path := d.clicker.path(dest)
			for _, s := range serves[:replicas] {
				checkRedirects(b, "priming", dest, []answer{d.click(s, dest)})
			}
			total := 0.0
			for range b.N {
				var wg sync.WaitGroup
				rps := make([]float64, replicas)
				for i, s := range serves[:replicas] {
					wg.Add(1)
					go func() {
						defer wg.Done()
						out, err := exec.Command(wrk, "-t1", "-c32", "-d5s", "-H", "Accept-Language: ja",
							"-H", "User-Agent: Mozilla/5.0 (bench) Chrome/131.0", "-H", "Host: kensa.test",
							"http://"+d.addrs[s]+path).Output()
						if err != nil {
							b.Errorf("wrk: %v", err)
							return
						}
						sc := bufio.NewScanner(strings.NewReader(string(out)))
						for sc.Scan() {
							if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "Requests/sec:" {
								rps[i], _ = strconv.ParseFloat(f[1], 64)
							}
						}
					}()
				}
				wg.Wait()
				for _, r := range rps {
					total += r
				}
			}
			b.ReportMetric(total/float64(b.N), "clicks/s")
		})
	}
}
