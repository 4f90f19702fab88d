package sandbox

import (
	"context"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Request is one link to check, with the clicker's browser.
type Request struct {
	URL       string
	UserAgent string // the clicker's; the render imitates it
	Language  string // Accept-Language; default ja-JP
}

// Result is what a scan returns.
type Result struct {
	Report  *capture.Report
	Verdict verdict.Verdict
}

// Scanner checks links. The click proxy uses it, in process or remote.
type Scanner interface {
	Scan(ctx context.Context, req Request) (Result, error)
}
