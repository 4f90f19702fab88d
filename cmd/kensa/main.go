// Command kensa is Kensa's single binary: time-of-click link protection for
// e-mail. Each subcommand lives in its own file with its own typed config.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// A subcommand parses its own flags and runs. It returns an error to print;
// errUsage means the flags were wrong (exit status 2).
type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var subcommands = map[string]subcommand{
	"rewrite": {"rewrite the links of one message (stdin to stdout)", runRewrite},
	"scan":    {"render a URL in the sandbox and print the report and verdict", runScan},
	"decode":  {"verify a Kensa link and print its destination and context as JSON", runDecode},
	"milter":  {"rewrite links in mail passing through Postfix (a milter)", runMilter},
	"serve":   {"answer clicks on rewritten links (the click proxy, with the sandbox or the render queue)", runServe},
	"worker":  {"render links from the render queue (a sandbox worker, for serve --sandbox=remote)", runWorker},
	"keygen":  {"write a new link-signing key file, or add a key to one", runKeygen},
	"admin":   {"console users and API tokens: create-user, token, revoke-token, users, tokens", runAdmin},
	"version": {"print the version", runVersion},
}

var version = "dev"

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func realMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sc, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "kensa: unknown subcommand %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := sc.run(ctx, args[1:], stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "kensa %s: %v\n", args[0], err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kensa <subcommand> [flags]\n\nsubcommands:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, subcommands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'kensa <subcommand> -h' for its flags.")
}

func runVersion(_ context.Context, _ []string, _ io.Reader, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "kensa", version)
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kensa "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// usageError marks bad command-line use (exit status 2).
func usageError(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}
