package sandbox

import (
	"context"
	"errors"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Request is one link to check, with the clicker's browser.
type Request struct {
	URL       string `json:"url"`
	UserAgent string `json:"user_agent,omitempty"` // the clicker's; the render imitates it
	Language  string `json:"language,omitempty"`   // Accept-Language; default ja-JP
	// FairKey names the queue a render waits in when the sandbox is busy:
	// renders are shared out fairly between keys (sandbox/fair), so one
	// flood of links cannot starve everyone else. The click proxy uses the
	// destination's registrable domain. Empty is one key of its own.
	FairKey string `json:"fair_key,omitempty"`
}

// ErrSaturated is what a Scanner returns, at once, when it has too many
// renders waiting to take another (sandbox/fair). The click proxy makes it
// an unknown verdict with the reason sandbox-busy, never clean, and does
// not cache it.
var ErrSaturated = errors.New("sandbox: saturated, render refused")

// Result is what a scan returns.
type Result struct {
	Report  *capture.Report `json:"report"`
	Verdict verdict.Verdict `json:"verdict"`
}

// Scanner checks links. The click proxy uses it, in process or remote.
type Scanner interface {
	Scan(ctx context.Context, req Request) (Result, error)
}
