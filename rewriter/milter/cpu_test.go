package milter_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuByName is the CPU time (user + system, in clock ticks) of processes,
// by their command name, read from /proc: what BenchmarkPostfix reports
// per message beside its wall-clock figures, since CPU time does not
// depend on what else the shared cores are doing. A process's reaped
// children count in its own line (cutime, cstime), so Postfix's short-lived
// processes are counted under master once they exit.
type cpuByName map[string]int64

// postfixCPU returns the CPU time of the processes of the private Postfix
// in dir (every one carries KENSA_POSTFIXTEST=dir in its environment).
func postfixCPU(dir string) cpuByName {
	out := cpuByName{}
	marker := []byte("KENSA_POSTFIXTEST=" + dir + "\x00")
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err != nil || !bytes.Contains(env, marker) {
			continue
		}
		name, ticks, ok := procTicks(p)
		if ok {
			out[name] += ticks
		}
	}
	return out
}

// pidCPU returns the CPU time of one process.
func pidCPU(pid int) int64 {
	_, ticks, _ := procTicks("/proc/" + strconv.Itoa(pid))
	return ticks
}

// procTicks reads /proc/PID/stat: the command name and utime + stime +
// cutime + cstime (fields 14 to 17).
func procTicks(dir string) (string, int64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return "", 0, false
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", 0, false
	}
	f := strings.Fields(s[closing+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return "", 0, false
	}
	var t int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		t += n
	}
	return s[open+1 : closing], t, true
}

// sub returns the CPU time spent from a to b, by name.
func (b cpuByName) sub(a cpuByName) cpuByName {
	d := cpuByName{}
	for k, v := range b {
		if v-a[k] != 0 {
			d[k] = v - a[k]
		}
	}
	return d
}

func (b cpuByName) total() int64 {
	var t int64
	for _, v := range b {
		t += v
	}
	return t
}
