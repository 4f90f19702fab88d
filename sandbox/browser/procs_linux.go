//go:build linux

package browser

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// processesUsing returns the processes whose command line mentions dir (a
// profile directory: Chromium passes --user-data-dir to every child, and the
// crash handler gets a path inside it). The directory name is unique, so
// this finds our Chromium's processes and no one else's.
func processesUsing(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			// A zombie is dead already; its parent (or init) reaps it.
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// killProcessesUsing kills every process using dir, looking again until
// none has shown up for a few passes (a child can fork as its parent dies).
func killProcessesUsing(dir string) {
	deadline := time.Now().Add(3 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pids := processesUsing(dir)
		if len(pids) == 0 {
			quiet++
			continue
		}
		quiet = 0
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
}
