package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
)

// Cluster is a running Redis Cluster of three masters on loopback, no
// replicas and no persistence: enough to prove that Kensa's keys and
// transactions respect hash slots (a command over keys of two slots fails
// with CROSSSLOT on it).
type Cluster struct {
	Addrs []string
}

// URL is the cluster's URL for redis.ParseClusterURL.
func (c *Cluster) URL() string {
	u := "redis://" + c.Addrs[0]
	for i, a := range c.Addrs[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + a
	}
	return u
}

// StartCluster starts three cluster-enabled redis-servers, joins them with
// redis-cli --cluster create, and waits for cluster_state:ok. They stop
// when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := testenv.RedisServerPath()
	if err != nil {
		testenv.Missing(t, testenv.Redis, err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		testenv.Missing(t, testenv.Redis, fmt.Errorf("redis-cli: %v", err))
	}
	c := &Cluster{}
	dir := t.TempDir()
	for len(c.Addrs) < 3 {
		port := clusterPort(t)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)), "--save", "", "--appendonly", "no",
			"--dir", dir, "--logfile", filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitPing(t, cli, addr)
		c.Addrs = append(c.Addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range c.Addrs {
		host, port, _ := net.SplitHostPort(a)
		for {
			out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis cluster node %s not ok:\n%s", a, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

// clusterPort returns a free port whose cluster bus port (+10000) is free too.
func clusterPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port+10000 > 65535 {
			continue
		}
		if bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000)); err == nil {
			bus.Close()
			return port
		}
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}

func waitPing(t testing.TB, cli, addr string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command(cli, "-h", host, "-p", port, "ping").Output()
		if strings.TrimSpace(string(out)) == "PONG" {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(addr), "redis.log"))
			t.Fatalf("cluster node %s did not start %s", addr, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
