package scaletest

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kensa-mail/kensa/internal/testenv"
)

// composeService is what the check reads of a compose service.
type composeService struct {
	Image       string            `yaml:"image"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	SecurityOpt []string          `yaml:"security_opt"`
	MemLimit    string            `yaml:"mem_limit"`
	Healthcheck map[string]any    `yaml:"healthcheck"`
	Environment map[string]string `yaml:"environment"`
	Networks    []string          `yaml:"networks"`
	Build       struct {
		Target string `yaml:"target"`
	} `yaml:"build"`
}

func readCompose(t *testing.T) (string, map[string]composeService) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return root, f.Services
}

// flags reads the flags after the subcommand: "--name=value", or
// "--name value" (not for a boolean flag, which takes no separate value).
func flags(t *testing.T, service string, args []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		if !strings.HasPrefix(args[i], "--") {
			t.Fatalf("%s: command %q: %q is not a flag", service, args, args[i])
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(args[i], "--"), "="); ok {
			out[k] = v
			continue
		}
		if i+1 >= len(args) {
			t.Fatalf("%s: command %q: %s without a value", service, args, args[i])
		}
		if v := args[i+1]; v == "true" || v == "false" {
			// Go's flag package would read it as a positional argument.
			t.Errorf("%s: %s %s: write a boolean flag as %s=%s", service, args[i], v, args[i], v)
		}
		out[strings.TrimPrefix(args[i], "--")] = args[i+1]
		i++
	}
	return out
}

// TestComposeMatchesTopology: docker-compose.yml runs the services the
// scale test starts, with the same commands and settings, so what the
// test proves is what the compose file deploys.
func TestComposeMatchesTopology(t *testing.T) {
	_, services := readCompose(t)
	want := map[string]bool{}
	for _, s := range Topology() {
		want[s.Name] = true
		c, ok := services[s.Name]
		if !ok {
			t.Errorf("docker-compose.yml has no service %s", s.Name)
			continue
		}
		if len(c.Command) == 0 || c.Command[0] != s.Command {
			t.Errorf("%s: command %q, want %s first", s.Name, c.Command, s.Command)
			continue
		}
		got := flags(t, s.Name, c.Command[1:])
		if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(s.Settings)); !slices.Equal(g, w) {
			t.Errorf("%s: compose sets %v, the scale test %v", s.Name, g, w)
		}
		for k, v := range s.Settings {
			if v != Any && got[k] != v {
				t.Errorf("%s: --%s is %q in compose, %q in the scale test", s.Name, k, got[k], v)
			}
		}
		for k := range s.TestTuning {
			if _, ok := got[k]; ok {
				t.Errorf("%s: compose sets --%s, a test-only tuning", s.Name, k)
			}
		}
		if b, ok := got["base-url"]; ok && !strings.HasPrefix(b, "${KENSA_BASE_URL:?") {
			t.Errorf("%s: --base-url %q: want the required ${KENSA_BASE_URL:?...}, never a default", s.Name, b)
		}
		if name, ok := got["name"]; ok && name != s.Name {
			t.Errorf("%s: --name %q: want the service name, unique per worker", s.Name, name)
		}
	}
	for name := range services {
		if !want[name] && ComposeOnly[name] == "" {
			t.Errorf("compose service %s is neither in Topology nor in ComposeOnly", name)
		}
	}
	for name := range ComposeOnly {
		if _, ok := services[name]; !ok {
			t.Errorf("ComposeOnly names %s, which compose does not have", name)
		}
	}
}

// TestComposeHardening: every Kensa container drops all capabilities, may
// not gain privileges, has a memory limit, a read-only root and a health
// check (but the one-shot init); the workers run Chromium under Kensa's
// seccomp profile, on the browser image.
func TestComposeHardening(t *testing.T) {
	root, services := readCompose(t)
	for name, c := range services {
		if !strings.HasPrefix(name, "kensa-") {
			continue
		}
		if !slices.Contains(c.CapDrop, "ALL") || !slices.Contains(c.SecurityOpt, "no-new-privileges:true") || c.MemLimit == "" || !c.ReadOnly {
			t.Errorf("%s: cap_drop %v, security_opt %v, mem_limit %q, read_only %v", name, c.CapDrop, c.SecurityOpt, c.MemLimit, c.ReadOnly)
		}
		if name != "kensa-init" && c.Healthcheck == nil {
			t.Errorf("%s: no healthcheck", name)
		}
	}
	for _, s := range Topology() {
		c := services[s.Name]
		switch s.Command {
		case "worker":
			if !slices.Contains(c.SecurityOpt, "seccomp=./deploy/seccomp-chromium.json") || c.Build.Target != "worker" {
				t.Errorf("%s: security_opt %v, build target %q: want the seccomp profile and the worker image", s.Name, c.SecurityOpt, c.Build.Target)
			}
		case "serve", "milter":
			if c.Build.Target != "kensa" {
				t.Errorf("%s: build target %q: want kensa, the image without a browser", s.Name, c.Build.Target)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "deploy", "seccomp-chromium.json")); err != nil {
		t.Error(err)
	}
}

// TestSeccompProfile: the profile refuses what it does not name, lets
// Chromium's namespace sandbox start, and names nothing that would let a
// compromised renderer out.
func TestSeccompProfile(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "seccomp-chromium.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		DefaultAction string   `json:"defaultAction"`
		Architectures []string `json:"architectures"`
		Syscalls      []struct {
			Names  []string `json:"names"`
			Action string   `json:"action"`
			Args   []struct {
				Index    uint   `json:"index"`
				Value    uint64 `json:"value"`
				ValueTwo uint64 `json:"valueTwo"`
				Op       string `json:"op"`
			} `json:"args"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.DefaultAction != "SCMP_ACT_ERRNO" || !slices.Contains(p.Architectures, "SCMP_ARCH_X86_64") {
		t.Errorf("defaultAction %s, architectures %v", p.DefaultAction, p.Architectures)
	}
	// allowed says whether a call with first argument arg passes.
	allowed := func(name string, arg uint64) bool {
		for _, r := range p.Syscalls {
			if r.Action != "SCMP_ACT_ALLOW" || !slices.Contains(r.Names, name) {
				continue
			}
			ok := true
			for _, a := range r.Args {
				switch a.Op {
				case "SCMP_CMP_MASKED_EQ":
					ok = ok && arg&a.Value == a.ValueTwo
				case "SCMP_CMP_EQ":
					ok = ok && arg == a.Value
				default:
					t.Fatalf("%s: op %s not understood by this test", name, a.Op)
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	const (
		newUser, newPID, newNet, newNS = 0x10000000, 0x20000000, 0x40000000, 0x00020000
		thread                         = 0x003d0f00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
	)
	for _, c := range []struct {
		name string
		arg  uint64
		want bool
	}{
		{"read", 0, true}, {"execve", 0, true}, {"seccomp", 0, true}, {"chroot", 0, true},
		{"clone", thread, true}, {"clone", newUser | newPID | newNet, true}, {"clone", newPID, true},
		{"unshare", newUser, true}, {"unshare", newNet, true},
		{"clone", newNS, false}, {"unshare", newNS, false},
		{"mount", 0, false}, {"umount2", 0, false}, {"ptrace", 0, false}, {"bpf", 0, false}, {"keyctl", 0, false},
		{"kexec_load", 0, false}, {"init_module", 0, false}, {"reboot", 0, false}, {"setns", 0, false},
		{"userfaultfd", 0, false}, {"perf_event_open", 0, false}, {"personality", 0x0040000, false},
	} {
		if got := allowed(c.name, c.arg); got != c.want {
			t.Errorf("%s(%#x): allowed %v, want %v", c.name, c.arg, got, c.want)
		}
	}
}
