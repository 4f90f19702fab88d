package scaletest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestClickLogRotation is logrotate's dance against a real kensa serve:
// the click log file is moved away and serve gets SIGHUP; the click before
// stays in the moved file, the click after is in a new file of the
// configured name. (The sandbox is remote with no worker: the clicks are
// answered with the checking page, and logged all the same.)
func TestClickLogRotation(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	dir := t.TempDir()
	bin := buildKensa(t)
	r := startRedis(t, dir, nil)
	keys := filepath.Join(dir, "keys.json")
	out, err := exec.Command(bin, "keygen").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, out, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, clicks := freeAddr(t), filepath.Join(dir, "clicks.jsonl")
	cfg := filepath.Join(dir, "kensa.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("base_url: http://kensa.test\nkey_file: %s\nserve:\n  listen: %s\n  redis: redis://%s/0\n  sandbox: remote\n  click_log: %s\n",
		keys, addr, r.addr, clicks)), 0o600)
	p := &proc{name: "serve", bin: bin, args: []string{"serve", "--config", cfg}, dir: dir}
	p.start(t)
	t.Cleanup(p.stop)
	// /readyz waits for a worker; /healthz says serve answers.
	eventually(t, "serve answers", 60*time.Second, func() bool { return httpOK("http://" + addr + "/healthz") })

	c := newClicker(t, keys, "http://kensa.test")
	click := func(dest string) string {
		t.Helper()
		a := c.get(context.Background(), addr, c.path(dest))
		if a.err != nil || a.clickID == "" {
			t.Fatalf("click on %s: %+v\n%s", dest, a, p.tail())
		}
		return a.clickID
	}
	holds := func(file, id string) bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), id)
	}
	before := click("https://shop.example.co.jp/before")
	eventually(t, "the first click is in the click log", 30*time.Second, func() bool { return holds(clicks, before) })
	if err := os.Rename(clicks, clicks+".1"); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "serve says it reopened the click log", 30*time.Second, func() bool {
		return strings.Contains(p.tail(), "click log files reopened")
	})
	after := click("https://shop.example.co.jp/after")
	eventually(t, "the second click is in a new click log", 30*time.Second, func() bool { return holds(clicks, after) })
	if holds(clicks, before) || !holds(clicks+".1", before) || holds(clicks+".1", after) {
		t.Errorf("after rotation: the first click should be only in the moved file, the second only in the new one")
	}
}
