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

// Sentinel is a Redis master watched by one Sentinel, on loopback.
type Sentinel struct {
	Master     *Server
	Addr       string // the sentinel's HOST:PORT
	MasterName string
}

// URL is the sentinel URL for redis.ParseFailoverURL.
func (s *Sentinel) URL() string { return "redis://" + s.Addr + "?master_name=" + s.MasterName }

// StartSentinel starts a master (as Start does) and one Sentinel that
// monitors it, and waits until the Sentinel names the master. Both stop
// when the test ends.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	m := Start(t)
	bin, err := testenv.RedisServerPath()
	if err != nil {
		testenv.Missing(t, testenv.Redis, err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		testenv.Missing(t, testenv.Redis, fmt.Errorf("redis-cli: %v", err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	s := &Sentinel{Master: m, Addr: addr, MasterName: "kensa"}
	// A Sentinel rewrites its config file, so it must be its own.
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n",
		port, dir, filepath.Join(dir, "sentinel.log"), s.MasterName, m.Port(), s.MasterName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", port, "sentinel", "get-master-addr-by-name", s.MasterName).Output()
		if strings.Contains(string(out), fmt.Sprint(m.Port())) {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Fatalf("sentinel on %s does not name the master: %s\n%s", addr, out, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
