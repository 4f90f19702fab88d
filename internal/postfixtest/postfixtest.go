// Package postfixtest runs a real, private Postfix on loopback for
// integration tests: swaks -> Postfix smtpd (-> milter) -> queue -> Postfix
// smtp client -> smtp-sink, which writes every delivered message to a file.
// No mocks. It is used only from tests.
//
// The binaries come from the tree that scripts/postfix-root.sh extracts with
// `apt-get download postfix swaks` + `dpkg -x` into $KENSA_RUN_DIR/pkgroot
// (default .run/pkgroot of the repo). The postfix package is not installed:
// the harness never reads or writes /etc/postfix, never talks to a system
// Postfix, and needs no postfix user (mail_owner = daemon, setgid_group =
// mail, default_privs = nobody, all from Debian's base-passwd). Postfix's
// master must be started as root, so the tests need root (Available says so).
//
// Each Start gets its own directory Dir (config, queue, maillog, captures)
// under os.TempDir(), its own free loopback ports, and listens only on
// 127.0.0.1; instances in parallel tests and test binaries do not meet.
// Every process an instance starts carries KENSA_POSTFIXTEST=Dir in its
// environment; the cleanup SIGKILLs whatever still has it after an orderly
// stop, and Start first ends instances whose test process died without
// cleaning up (SIGKILL, go test -timeout). KENSA_POSTFIX_KEEP=1 keeps Dir.
//
// # What arrives, compared with what was sent
//
// Send submits the bytes it is given with swaks' --no-data-fixup, after
// only the SMTP encoding: every line end becomes CRLF (a missing final line
// end is added) and lines starting with "." are dot-stuffed. Without
// --no-data-fixup swaks would rewrite the message (it replaces %DATE%-style
// tokens, turns a literal backslash-n into a line break, strips a leading
// "From " line and rebuilds the header).
//
// Postfix's smtpd adds one header, at the top:
//
//	Received: from client.kensa.test (unknown [127.0.0.1])
//		by mx.kensa.test (Postfix) with ESMTP id 3F1A29840D2
//		for <b@rcpt.test>; Mon, 23 Nov 2026 12:11:51 +0000 (UTC)
//
// (with more than one recipient the "for <...>" part is left out and the
// second line ends in ";"). Milters are not shown this header (Postfix,
// like Sendmail, hides its own Received header from them; a header a
// milter inserts at index 0 lands above it). Postfix adds no Date,
// Message-ID, From or To header and rewrites no address
// (local_header_rewrite_clients is empty), does no MIME conversion and
// does not fold long lines (smtp_line_length_limit = 0). It turns a bare
// CR (not followed by LF) into a space.
//
// smtp-sink writes, before the message, its own records and a three-line
// Received header, and after it one empty line:
//
//	X-Client-Addr: 127.0.0.1
//	X-Client-Proto: ESMTP
//	X-Helo-Args: mx.kensa.test
//	X-Mail-Args: <a@sender.test>            (plus any MAIL parameters, e.g. BODY=8BITMIME)
//	X-Rcpt-Args: <b@rcpt.test> ORCPT=rfc822;b@rcpt.test   (one per recipient)
//	Received: from mx.kensa.test ([127.0.0.1])
//		by sink-kpf-123 (smtp-sink) with ESMTP id 0517fb73;
//		Mon, 23 Nov 2026 12:10:57 +0000 (UTC)
//
// It stores the DATA with every CR removed (lines end in LF) and
// dot-unstuffed. Delivery.Raw is that file; Delivery.Message (and
// Delivered) is the file without smtp-sink's records, its Received header
// and the final empty line: the message as Postfix delivered it, starting
// with Postfix's Received header, in LF form. So an unmodified message
// satisfies
//
//	bytes.Equal(StripReceived(delivered), Normalize(sent))
package postfixtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kensa-mail/kensa/internal/testenv"
)

// Config is the part of the Postfix setup a test chooses.
type Config struct {
	// MilterAddr is smtpd_milters, e.g. "inet:127.0.0.1:10035" or
	// "unix:/path"; empty runs without a milter.
	MilterAddr string
	// DefaultAction is milter_default_action: what Postfix does when the
	// milter is unreachable or fails ("accept", "tempfail", "reject",
	// "quarantine"). Empty means "accept". With smtpd_milters a tempfail or
	// reject is answered to the SMTP client (Send fails, see SendErr); the
	// message is not queued, so retrying is the client's job.
	DefaultAction string
	// MessageSizeLimit is message_size_limit in bytes; 0 means 64 MiB.
	MessageSizeLimit int64
	// RecipientLimit, when > 0, is both smtpd_recipient_limit (recipients
	// per SMTP transaction, so per milter run) and
	// default_destination_recipient_limit (recipients per delivery to the
	// sink). With 1, every recipient is its own transaction, milter run and
	// capture file. Send splits its recipients into transactions of at most
	// this many, as a real client does after "452 too many recipients".
	// 0 keeps Postfix's defaults (1000 and 50).
	RecipientLimit int
}

// Postfix is one running private Postfix with its smtp-sink.
type Postfix struct {
	// SMTPAddr is the smtpd listener ("127.0.0.1:port") to submit mail to.
	SMTPAddr string
	// SinkAddr is smtp-sink's listener, Postfix's relayhost.
	SinkAddr string
	// Dir holds conf/, queue/, data/, sink/ (captures), maillog.
	Dir string

	cfg     Config
	root    string
	confDir string
	env     []string
	sendSeq int64

	mu       sync.Mutex
	cache    map[string]Delivery // capture files already complete
	sink     *proc
	master   *proc // postfix start-fg: postfix-script, which waits for master
	stopOnce sync.Once
}

// Delivery is one message smtp-sink received, i.e. one delivery attempt
// by Postfix's smtp client that ended in "250".
type Delivery struct {
	File     string   // capture file
	MailFrom string   // envelope sender without <> ("" for the null sender)
	Rcpts    []string // envelope recipients without <>, in RCPT order
	Message  []byte   // the message as delivered, LF line ends (see package doc)
	Raw      []byte   // the whole capture file
}

// Hostnames that appear in the headers.
const (
	ClientHelo   = "client.kensa.test" // swaks' EHLO
	PostfixHost  = "mx.kensa.test"     // myhostname
	sinkHostBase = "sink-"
)

const (
	envKeep   = "KENSA_POSTFIX_KEEP" // keep Dir after the test
	envMarker = "KENSA_POSTFIXTEST"  // set on every process we start, value Dir
	readyFile = ".kensa-ready"
)

// Available returns nil if the extracted Postfix + swaks tree is there and
// usable here, else an error that says what to do.
func Available() error {
	_, err := testenv.PostfixRoot()
	return err
}

// Require skips or fails the test when Postfix is not Available, by
// internal/testenv's rule. Start calls it.
func Require(t testing.TB) {
	t.Helper()
	testenv.Require(t, testenv.Postfix)
}

func findRoot() (string, error) { return testenv.PostfixRoot() }

// Start starts smtp-sink and Postfix on free loopback ports and waits until
// both answer. t.Cleanup stops them and kills anything left; if the test
// failed it logs the maillog's tail first. Postfix not being available
// skips the test (see Require).
func Start(t testing.TB, cfg Config) *Postfix {
	t.Helper()
	Require(t)
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	sweepOnce.Do(sweepStale)
	if cfg.DefaultAction == "" {
		cfg.DefaultAction = "accept"
	}
	if cfg.MessageSizeLimit == 0 {
		cfg.MessageSizeLimit = 64 << 20
	}
	const attempts = 3
	for i := 1; ; i++ {
		p, err := start(root, cfg)
		if err == nil {
			t.Cleanup(func() { p.cleanup(t) })
			return p
		}
		retry := errors.Is(err, errAddrInUse) && i < attempts
		if p != nil {
			p.stop()
			if !retry {
				t.Logf("postfixtest: maillog tail:\n%s", tail(p.Maillog(), 60))
			}
			p.removeDir()
		}
		if !retry {
			t.Fatal(err)
		}
	}
}

var (
	errAddrInUse = errors.New("address already in use")
	sweepOnce    sync.Once
)

func start(root string, cfg Config) (*Postfix, error) {
	dir, err := os.MkdirTemp("", "kpf-")
	if err != nil {
		return nil, err
	}
	if err := writeOwner(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Postfix's daemons run as `daemon` and must reach the queue.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &Postfix{
		Dir:     dir,
		cfg:     cfg,
		root:    root,
		confDir: filepath.Join(dir, "conf"),
		cache:   map[string]Delivery{},
	}
	ports, err := pickPorts(2)
	if err != nil {
		return p, err
	}
	p.SMTPAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	p.SinkAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	p.env = append(os.Environ(),
		"LD_LIBRARY_PATH="+filepath.Join(root, "usr/lib/postfix"),
		envMarker+"="+dir,
		"LANG=C", "TZ=UTC")
	if err := p.writeConfig(); err != nil {
		return p, err
	}

	// The sink first: Postfix delivers to it as soon as mail arrives.
	sinkHost := sinkHostBase + filepath.Base(dir)
	p.sink, err = p.spawn("sink.log", filepath.Join(root, "usr/sbin/smtp-sink"),
		"-4", "-u", "daemon", "-h", sinkHost,
		"-d", filepath.Join(dir, "sink", "%Y%m%d%H%M%S."),
		p.SinkAddr, "64")
	if err != nil {
		return p, err
	}
	if err := p.waitBanner(p.SinkAddr, sinkHost, p.sink, "sink.log"); err != nil {
		return p, err
	}

	// postfix start-fg: the postfix command execs postfix-script, which
	// checks the setup and then runs `master -s` and waits for it. So
	// master and its children stay our descendants, and its exit (a port
	// taken, a bad main.cf) is seen right away.
	p.master, err = p.spawn("postfix.log", filepath.Join(root, "usr/sbin/postfix"), "-c", p.confDir, "start-fg")
	if err != nil {
		return p, err
	}
	if err := p.waitBanner(p.SMTPAddr, "kpf-smtpd "+filepath.Base(dir), p.master, "postfix.log"); err != nil {
		return p, err
	}
	return p, nil
}

// proc is a process we started, with its exit observed.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (p *Postfix) spawn(logName, name string, args ...string) (*proc, error) {
	logf, err := os.Create(filepath.Join(p.Dir, logName))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = p.Dir
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test process dies without its cleanup, the kernel kills
	// postfix-script. Not master (own session, not our child) nor
	// smtp-sink (changing its uid clears the parent-death signal): the
	// next Start's sweepStale ends those.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("postfixtest: start %s: %w", name, err)
	}
	pr := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		pr.err = cmd.Wait()
		logf.Close()
		close(pr.done)
	}()
	return pr, nil
}

func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// waitBanner polls addr until it greets with a 220 line containing want,
// so that a foreign listener on a reused port is not mistaken for ours,
// and gives up as soon as pr exits.
func (p *Postfix) waitBanner(addr, want string, pr *proc, logName string) error {
	deadline := time.Now().Add(30 * time.Second)
	exited := func() error {
		if !pr.exited() {
			return nil
		}
		out, _ := os.ReadFile(filepath.Join(p.Dir, logName))
		err := fmt.Errorf("postfixtest: %s exited during startup (%v): %s", filepath.Base(pr.cmd.Path), pr.err, tail(string(out), 20))
		if strings.Contains(string(out)+p.Maillog(), "Address already in use") {
			return fmt.Errorf("%w: %v", errAddrInUse, err)
		}
		return err
	}
	var last error
	for {
		if err := exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfixtest: %s did not greet on %s within 30s: %v", filepath.Base(pr.cmd.Path), addr, last)
		}
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err != nil {
			last = err
			time.Sleep(20 * time.Millisecond)
			continue
		}
		// Wait for the greeting in short slices, watching pr meanwhile.
		r := bufio.NewReader(c)
		var line string
		for {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			s, err := r.ReadString('\n')
			line += s
			if err == nil {
				break
			}
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() || pr.exited() || time.Now().After(deadline) {
				last = err
				break
			}
		}
		c.Write([]byte("QUIT\r\n"))
		c.Close()
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "220 ") && strings.Contains(line, want) {
			return nil
		}
		if line != "" {
			last = fmt.Errorf("greeting %q is not ours", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pickPorts is freePorts; tests replace it to provoke a port clash.
var pickPorts = freePorts

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (p *Postfix) writeConfig() error {
	daemon, err := user.Lookup("daemon")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(daemon.Uid)
	for _, d := range []string{"conf", "queue", "data", "sink", "out"} {
		if err := os.Mkdir(filepath.Join(p.Dir, d), 0o755); err != nil {
			return err
		}
	}
	// The master's lock file and the sink's captures are written as daemon.
	for _, d := range []string{"data", "sink"} {
		if err := os.Chown(filepath.Join(p.Dir, d), uid, -1); err != nil {
			return err
		}
	}
	R := p.root
	// postfix-files drives `postfix check`; the extracted postdrop and
	// postqueue are not set-gid (nothing here needs them to be).
	files, err := os.ReadFile(filepath.Join(R, "etc/postfix/postfix-files"))
	if err != nil {
		return err
	}
	files = bytes.ReplaceAll(files, []byte(":$setgid_group:2755:"), []byte(":-:755:"))
	dynamic, err := os.ReadFile(filepath.Join(R, "usr/share/postfix/dynamicmaps.cf"))
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		"main.cf":        []byte(p.mainCF()),
		"master.cf":      []byte(p.masterCF()),
		"postfix-files":  files,
		"dynamicmaps.cf": dynamic,
	} {
		path := filepath.Join(p.confDir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		// Postfix rereads a config file whose mtime is within a second or
		// so of "now", sleeping 300ms each time (dict_load_file: it may
		// still be being edited): up to 2s per Postfix command.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			return err
		}
	}
	return nil
}

// mainCF is the instance's main.cf.
func (p *Postfix) mainCF() string {
	R, D := p.root, p.Dir
	milters := p.cfg.MilterAddr
	limits := ""
	if n := p.cfg.RecipientLimit; n > 0 {
		limits = fmt.Sprintf("smtpd_recipient_limit = %d\ndefault_destination_recipient_limit = %d\n", n, n)
	}
	return `# Written by internal/postfixtest. Private instance for one test.
compatibility_level = 3.6
config_directory = ` + D + `/conf
meta_directory = ` + D + `/conf
queue_directory = ` + D + `/queue
data_directory = ` + D + `/data
daemon_directory = ` + R + `/usr/lib/postfix/sbin
command_directory = ` + R + `/usr/sbin
shlib_directory = ` + R + `/usr/lib/postfix
sendmail_path = ` + R + `/usr/sbin/sendmail
newaliases_path = ` + R + `/usr/bin/newaliases
mailq_path = ` + R + `/usr/bin/mailq
manpage_directory = ` + R + `/usr/share/man
sample_directory = no
readme_directory = no
html_directory = no
# The binaries have RUNPATH /usr/lib/postfix; the marker lets cleanup find
# every process of this instance.
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH ` + envMarker + `
mail_owner = daemon
setgid_group = mail
default_privs = nobody
maillog_file = ` + D + `/maillog
maillog_file_prefixes = ` + D + `
myhostname = ` + PostfixHost + `
mydomain = kensa.test
myorigin = $myhostname
smtpd_banner = $myhostname ESMTP kpf-smtpd ` + filepath.Base(D) + `
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:` + portOf(p.SinkAddr) + `
disable_dns_lookups = yes
smtpd_peername_lookup = no
smtpd_client_restrictions = permit_mynetworks, reject
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
in_flow_delay = 0
# Deliver the message as it was queued.
local_header_rewrite_clients =
smtp_line_length_limit = 0
disable_mime_output_conversion = yes
message_size_limit = ` + strconv.FormatInt(p.cfg.MessageSizeLimit, 10) + `
mailbox_size_limit = 0
virtual_mailbox_limit = 0
` + limits + `# Deferred mail is retried within about a second.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 1s
delay_warning_time = 0
notify_classes =
biff = no
smtpd_milters = ` + milters + `
non_smtpd_milters =
milter_protocol = 6
milter_default_action = ` + p.cfg.DefaultAction + `
milter_connect_timeout = 5s
milter_command_timeout = 30s
milter_content_timeout = 120s
`
}

// masterCF is the instance's master.cf: only the services a relay needs.
func (p *Postfix) masterCF() string {
	port := portOf(p.SMTPAddr)
	return `# Written by internal/postfixtest. chroot = n everywhere.
127.0.0.1:` + port + ` inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
`
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// Send submits msg to Postfix with swaks and fails the test if any part of
// the SMTP transaction is refused. Call it from the test's goroutine;
// elsewhere use SendErr.
func (p *Postfix) Send(t testing.TB, from string, to []string, msg []byte) {
	t.Helper()
	if err := p.SendErr(from, to, msg); err != nil {
		t.Fatal(err)
	}
}

// SendErr is Send returning the error (with swaks' transcript, the DATA
// left out) instead of failing the test, for tests that expect a refusal,
// e.g. "451 4.7.1" from milter_default_action = tempfail. It returns once
// Postfix has queued the message (or refused it); delivery to the sink
// follows asynchronously, see WaitDelivered. from "" is the null sender.
// With Config.RecipientLimit, the recipients are sent in several SMTP
// transactions of at most that many each.
func (p *Postfix) SendErr(from string, to []string, msg []byte) error {
	if len(to) == 0 {
		return errors.New("postfixtest: Send without recipients")
	}
	p.mu.Lock()
	p.sendSeq++
	seq := p.sendSeq
	p.mu.Unlock()
	file := filepath.Join(p.Dir, "out", fmt.Sprintf("%d.eml", seq))
	if err := os.WriteFile(file, smtpData(msg), 0o600); err != nil {
		return err
	}
	defer os.Remove(file)
	if from == "" {
		from = "<>"
	}
	batch := len(to)
	if n := p.cfg.RecipientLimit; n > 0 && n < batch {
		batch = n
	}
	for len(to) > 0 {
		n := min(batch, len(to))
		if err := p.swaks(from, to[:n], file); err != nil {
			return err
		}
		to = to[n:]
	}
	return nil
}

func (p *Postfix) swaks(from string, to []string, file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "perl", filepath.Join(p.root, "usr/bin/swaks"),
		"--server", p.SMTPAddr, "--helo", ClientHelo,
		"--from", from, "--to", strings.Join(to, ","),
		"--data", "@"+file, "--no-data-fixup",
		"--suppress-data", // the transcript shows "N lines sent", not the DATA
		"--timeout", "300s")
	cmd.Env = p.env
	cmd.Dir = p.Dir
	out, err := cmd.CombinedOutput()
	// swaks exits 0 if only some recipients were refused; its transcript
	// marks every unexpected reply with "<**".
	if err == nil && bytes.Contains(out, []byte("\n<** ")) {
		err = errors.New("a reply was not the expected one")
	}
	if err != nil {
		return fmt.Errorf("postfixtest: swaks --from %s --to %s: %v\n%s", from, strings.Join(to, ","), err, out)
	}
	return nil
}

// smtpData is msg as SMTP DATA for swaks --no-data-fixup: CRLF line ends
// (bare LF becomes CRLF, bare CR is left alone), a final line end, leading
// dots doubled, and the "." that ends DATA (swaks adds its CRLF).
func smtpData(msg []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(msg) + len(msg)/50 + 8)
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			b.WriteByte('.')
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	b.WriteByte('.')
	return b.Bytes()
}

// Normalize returns msg as it arrives in Delivery.Message when nothing
// (no milter) changed it, without Postfix's Received header: CRLF becomes
// LF, a bare CR becomes a space (Postfix does that), and a missing final
// line end is added.
func Normalize(msg []byte) []byte {
	out := bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte("\r"), []byte(" "))
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

// StripReceived returns msg without its first header field if that is a
// Received: field (with its continuation lines): the one Postfix prepends,
// unless a milter inserted a header above it.
func StripReceived(msg []byte) []byte {
	if len(msg) < 9 || !strings.EqualFold(string(msg[:9]), "Received:") {
		return msg
	}
	rest := msg
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			return rest
		}
	}
}

// Deliveries returns every message smtp-sink has completely received, oldest
// (first completed) first. A capture file still being written is left out.
func (p *Postfix) Deliveries() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := p.completeCaptures()
	out := make([]Delivery, 0, len(names))
	for _, name := range names {
		d, ok := p.cache[name]
		if !ok {
			raw, err := os.ReadFile(name)
			if err != nil {
				continue
			}
			d = parseCapture(name, raw)
			p.cache[name] = d
		}
		out = append(out, d)
	}
	return out
}

// Delivered returns the Message of every Delivery, oldest first.
func (p *Postfix) Delivered() [][]byte {
	ds := p.Deliveries()
	out := make([][]byte, len(ds))
	for i, d := range ds {
		out[i] = d.Message
	}
	return out
}

// WaitDelivered waits until smtp-sink has received at least n messages and
// returns all it has (oldest first), or fails the test at the timeout. It
// polls; it is a wait, not a timing assertion, so be generous.
func (p *Postfix) WaitDelivered(t testing.TB, n int, timeout time.Duration) [][]byte {
	t.Helper()
	ds := p.WaitDeliveries(t, n, timeout)
	out := make([][]byte, len(ds))
	for i, d := range ds {
		out[i] = d.Message
	}
	return out
}

// WaitDeliveries is WaitDelivered returning the envelope too.
func (p *Postfix) WaitDeliveries(t testing.TB, n int, timeout time.Duration) []Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		have := len(p.completeCaptures())
		p.mu.Unlock()
		if have >= n {
			return p.Deliveries()
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfixtest: %d of %d messages delivered after %v; maillog tail:\n%s", have, n, timeout, tail(p.Maillog(), 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// completeCaptures lists the capture files smtp-sink has closed, oldest
// first. smtp-sink creates a file at MAIL FROM and closes it before it
// answers the final "."; the directory is read before the sink's open
// files, so a file not open then is complete. Call with p.mu held.
func (p *Postfix) completeCaptures() []string {
	dir := filepath.Join(p.Dir, "sink")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	open := map[string]bool{}
	if p.sink != nil && !p.sink.exited() {
		fdDir := fmt.Sprintf("/proc/%d/fd", p.sink.cmd.Process.Pid)
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil {
				open[target] = true
			}
		}
	}
	type file struct {
		name string
		mod  time.Time
	}
	var files []file
	for _, e := range ents {
		name := filepath.Join(dir, e.Name())
		if !e.Type().IsRegular() || open[name] {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{name, info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].name < files[j].name
	})
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	return names
}

// parseCapture splits an smtp-sink capture file (see the package doc).
func parseCapture(name string, raw []byte) Delivery {
	d := Delivery{File: name, Raw: raw}
	rest := raw
	inReceived := false
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := string(rest[:i])
		if inReceived && !strings.HasPrefix(line, "\t") {
			break // end of smtp-sink's Received header
		}
		rest = rest[i+1:]
		switch {
		case inReceived:
		case strings.HasPrefix(line, "Received: "):
			inReceived = true
		case strings.HasPrefix(line, "X-Mail-Args: "):
			d.MailFrom = envelopeAddr(line[len("X-Mail-Args: "):])
		case strings.HasPrefix(line, "X-Rcpt-Args: "):
			d.Rcpts = append(d.Rcpts, envelopeAddr(line[len("X-Rcpt-Args: "):]))
		}
	}
	// The LF of the ".\r\n" that ended DATA.
	d.Message = bytes.TrimSuffix(rest, []byte("\n"))
	return d
}

func envelopeAddr(args string) string {
	if f := strings.Fields(args); len(f) > 0 {
		return strings.TrimSuffix(strings.TrimPrefix(f[0], "<"), ">")
	}
	return ""
}

// Maillog returns Postfix's log so far.
func (p *Postfix) Maillog() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "maillog"))
	return string(b)
}

// WaitLog waits until the maillog contains substr and returns the log, or
// fails the test at the timeout.
func (p *Postfix) WaitLog(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		log := p.Maillog()
		if strings.Contains(log, substr) {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfixtest: maillog has no %q after %v; tail:\n%s", substr, timeout, tail(log, 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Flush asks Postfix to retry deferred mail now (postfix flush, i.e.
// postqueue -f). Deferred mail is also retried on its own within about a
// second (queue_run_delay, minimal_backoff_time).
func (p *Postfix) Flush(t testing.TB) {
	t.Helper()
	cmd := exec.Command(filepath.Join(p.root, "usr/sbin/postfix"), "-c", p.confDir, "flush")
	cmd.Env = p.env
	cmd.Dir = p.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("postfixtest: postfix flush: %v\n%s", err, out)
	}
}

func (p *Postfix) cleanup(t testing.TB) {
	if t.Failed() {
		t.Logf("postfixtest: %s maillog tail:\n%s", p.Dir, tail(p.Maillog(), 60))
	}
	p.stop()
	if os.Getenv(envKeep) != "" {
		os.Remove(filepath.Join(p.Dir, ownerFile)) // not stale: kept on purpose
		t.Logf("postfixtest: kept %s (%s is set)", p.Dir, envKeep)
		return
	}
	p.removeDir()
}

func (p *Postfix) removeDir() {
	if os.Getenv(envKeep) == "" {
		os.RemoveAll(p.Dir)
	}
}

// stop ends Postfix the way `postfix stop` does (SIGTERM to master, which
// passes it on to its children) and the sink, then SIGKILLs whatever of
// this instance is left: every process carrying our marker.
func (p *Postfix) stop() {
	p.stopOnce.Do(func() {
		if pid := p.masterPID(); pid > 0 && p.master != nil && !p.master.exited() {
			// master is a session leader; its children are in its group.
			syscall.Kill(-pid, syscall.SIGTERM)
			waitDone(p.master.done, 5*time.Second) // postfix-script exits with master
		}
		if p.sink != nil && !p.sink.exited() {
			p.sink.cmd.Process.Signal(syscall.SIGTERM)
			waitDone(p.sink.done, 5*time.Second)
		}
		killMarked(p.Dir)
		for _, pr := range []*proc{p.master, p.sink} {
			if pr != nil && !pr.exited() {
				pr.cmd.Process.Kill()
				waitDone(pr.done, 5*time.Second)
			}
		}
	})
}

func waitDone(done <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func (p *Postfix) masterPID() int {
	b, err := os.ReadFile(filepath.Join(p.Dir, "queue", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// killMarked SIGKILLs, until none is left (or 5s), every live process whose
// environment has our marker for dir: master, its daemons, smtp-sink,
// swaks, postfix-script.
func killMarked(dir string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := marked(dir)
		if len(left) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// marked lists live (not zombie) processes with our marker for dir.
func marked(dir string) []int {
	marker := []byte("\x00" + envMarker + "=" + dir + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(append([]byte{0}, env...), marker) {
			continue
		}
		if procState(pid) == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// procStat returns field n (1-based, as in proc(5)) of /proc/pid/stat.
func procStat(pid, n int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	j := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if j < 0 || n < 3 {
		return ""
	}
	f := strings.Fields(string(b[j+1:]))
	if n-3 >= len(f) {
		return ""
	}
	return f[n-3]
}

func procState(pid int) byte {
	if s := procStat(pid, 3); s != "" {
		return s[0]
	}
	return 0
}

// ownerFile in Dir names the test process that owns the instance, as
// "pid starttime", so that a later Start can tell an instance whose test
// process died without its cleanup (SIGKILL, a go test timeout) from one
// that is running.
const ownerFile = "owner"

func writeOwner(dir string) error {
	pid := os.Getpid()
	return os.WriteFile(filepath.Join(dir, ownerFile), fmt.Appendf(nil, "%d %s\n", pid, procStat(pid, 22)), 0o644)
}

// sweepStale stops and removes the instances under os.TempDir() whose
// owning test process is gone. Instances without an owner file (being
// created, or kept with KENSA_POSTFIX_KEEP) are left alone.
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "kpf-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		var pid int
		var start string
		if _, err := fmt.Sscan(string(b), &pid, &start); err != nil || pid <= 0 {
			continue
		}
		if procStat(pid, 22) == start && procState(pid) != 'Z' {
			continue // its test is still running
		}
		killMarked(dir)
		os.RemoveAll(dir)
	}
}

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
