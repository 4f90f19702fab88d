package clickproxy

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/clickproxy/pages"
)

// httpError is an error with its answer. Handlers return one (or wrap
// one); fail is the one place that turns it into a status, a page or a
// JSON body, a log line and a metric. An error that is not an httpError
// is a 500.
type httpError struct {
	status int
	key    string // the error page's pages.Page.ErrorKey (browser routes)
	code   string // the click log's error code, api.Error.Code and the metric's label
	msg    string // the text for API clients; never the text of err, which may be Redis's
	err    error  // for the service log
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// badLink maps a linktoken error to its page: the link is bad, so never a
// redirect.
func badLink(err error) error {
	code := linktoken.Code(err)
	switch code {
	case "unknown-key":
		return &httpError{status: fasthttp.StatusGone, key: "unknown-key", code: code, err: err}
	case "bad-signature":
		return &httpError{status: fasthttp.StatusBadRequest, key: "bad-signature", code: code, err: err}
	}
	if code == "" {
		code = "malformed"
	}
	return &httpError{status: fasthttp.StatusBadRequest, key: "malformed", code: code, err: err}
}

func badDestination(err error) error {
	return &httpError{status: fasthttp.StatusBadRequest, key: "malformed", code: "bad-destination", err: err}
}

var (
	errNotFound = &httpError{status: fasthttp.StatusNotFound, key: "not-found", code: api.CodeNotFound, msg: "not found", err: errors.New("not found")}
	// errRateLimited: the client network is over its limit (routes.go sets
	// Retry-After). Never a click event: a flood must not fill the log.
	errRateLimited = &httpError{status: fasthttp.StatusTooManyRequests, key: "too-many", code: api.CodeRateLimited, msg: "too many requests; retry after the time in Retry-After", err: errors.New("rate limited")}
	errMethod      = &httpError{status: fasthttp.StatusMethodNotAllowed, key: "malformed", code: "method", err: errors.New("method not allowed")}
	// errPendingGone: a follow-up whose click expired, was never kept, or
	// whose MAC is wrong (the three look the same from outside).
	errPendingGone = &httpError{status: fasthttp.StatusGone, key: "expired", code: "pending-expired", err: errors.New("no such pending click")}
	errProceedGone = &httpError{status: fasthttp.StatusGone, key: "expired", code: "proceed-invalid", err: errProceed}
)

func errPanic(v any) error {
	return &httpError{status: fasthttp.StatusInternalServerError, key: "internal", code: api.CodeInternal, err: fmt.Errorf("panic: %v", v)}
}

// apiBadRequest is a 400 whose text (validation problems, never internal
// errors) the client may read.
func apiBadRequest(err error) error {
	return &httpError{status: fasthttp.StatusBadRequest, code: api.CodeBadRequest, msg: err.Error(), err: err}
}

// apiUnavailable is a 503 for a Redis failure: the client reads msg, the
// log gets err.
func apiUnavailable(msg string, err error) error {
	return &httpError{status: fasthttp.StatusServiceUnavailable, code: api.CodeUnavailable, msg: msg, err: err}
}

// clickFailure ties an error to a click: the click ID to show on the page
// and the click event to log.
type clickFailure struct {
	id  string
	ev  *clicklog.Event
	err error
}

func (c *clickFailure) Error() string { return c.err.Error() }
func (c *clickFailure) Unwrap() error { return c.err }

// inClick attaches a click to err. ev (may be nil) is completed and
// emitted by fail.
func inClick(id string, ev *clicklog.Event, err error) error {
	return &clickFailure{id: id, ev: ev, err: err}
}

// fail answers with an error: on an API route a JSON api.Error, elsewhere
// the error page (never a redirect). Every error is counted, 5xx are
// logged as errors with the click ID, and a click's event is emitted.
func (s *Server) fail(ctx *fasthttp.RequestCtx, apiRoute bool, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: fasthttp.StatusInternalServerError, key: "internal", code: api.CodeInternal, err: err}
	}
	var cf *clickFailure
	id := ""
	if errors.As(err, &cf) {
		id = cf.id
	}
	s.m.errors.WithLabelValues(he.code).Inc()
	setSecurityHeaders(ctx)
	ctx.Response.Header.Del("Location")
	if apiRoute {
		msg := he.msg
		if msg == "" {
			msg = fasthttp.StatusMessage(he.status)
		}
		ctx.SetStatusCode(he.status)
		ctx.SetContentType("application/json")
		b, _ := json.Marshal(api.Error{Error: msg, Code: he.code, ClickID: id})
		ctx.SetBody(append(b, '\n'))
	} else {
		if id == "" {
			id = newClickID() // every error page has an ID to quote
		}
		ctx.Response.Header.Set("X-Kensa-Action", "error")
		ctx.Response.Header.Set("X-Kensa-Click-Id", id)
		s.render(ctx, he.status, pages.Page{
			Kind: pages.KindError, Lang: pages.PickLang(string(ctx.Request.Header.Peek("Accept-Language"))), ClickID: id, ErrorKey: he.key,
		})
		s.m.clicks.with("error").Inc()
	}
	if cf != nil && cf.ev != nil {
		ev := cf.ev
		ev.Action, ev.Error = "error", he.code
		ip := s.clientIP(ctx)
		ev.ClientIP, ev.UserAgent = ip.String(), string(ctx.UserAgent())
		ev.LatencyMS = float64(s.cfg.Now().Sub(ev.Time).Microseconds()) / 1000
		s.emitError(*ev, ip)
	}
	fields := []zap.Field{zap.Int("status", he.status), zap.String("code", he.code), zap.ByteString("path", ctx.Path()), zap.Error(he.err)}
	if id != "" {
		fields = append(fields, zap.String("click_id", id))
	}
	if he.status >= 500 {
		s.log.Error("request failed", fields...)
	} else {
		s.log.Debug("request refused", fields...)
	}
}
