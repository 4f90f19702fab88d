package clickproxy

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/clicklog"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
)

// The SOC's reads of the click log: search, export, decode, messages.

var errNoSuchMessage = &httpError{status: fasthttp.StatusNotFound, code: api.CodeNotFound, msg: "no such message: the rewriter did not record it, or its record expired", err: errors.New("no such message")}

// clickQuery parses the request's query parameters.
func clickQuery(ctx *fasthttp.RequestCtx) (api.ClickQuery, error) {
	v, err := url.ParseQuery(string(ctx.URI().QueryString()))
	if err != nil {
		return api.ClickQuery{}, apiBadRequest(errors.New("query string: " + err.Error()))
	}
	q, err := api.ParseClickQuery(v)
	if err != nil {
		return q, apiBadRequest(err)
	}
	return q, nil
}

// resolveMessage turns a Message-ID in q.Message into the digest the
// links carry (the rewriter's record, keyMsgID). ok is false when no mail
// with that Message-ID was recorded: the search then finds nothing.
func (s *Server) resolveMessage(ctx context.Context, q *api.ClickQuery) (ok bool, err error) {
	if q.Message == "" || api.IsDigest(q.Message) {
		q.Message = strings.ToLower(q.Message)
		return true, nil
	}
	d, err := s.cfg.Redis.Get(ctx, keyMsgID+normalizeMessageID(q.Message)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	q.Message = d
	return true, nil
}

// normalizeMessageID is a Message-ID as the rewriter records it: in angle
// brackets, without surrounding space.
func normalizeMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return "<" + id + ">"
}

// searchClicks is GET /api/v1/clicks?ClickQuery.
func (s *Server) searchClicks(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := clickQuery(ctx)
	if err != nil {
		return err
	}
	if ctx.QueryArgs().Has("format") {
		return apiBadRequest(errors.New("format is for " + api.PathExport))
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	ok, err := s.resolveMessage(rctx, &q)
	if err != nil {
		return apiUnavailable("message records unavailable", err)
	}
	if !ok {
		writeJSON(ctx, api.ClickList{Clicks: []api.ClickEvent{}})
		return nil
	}
	p, err := s.cfg.Events.Search(rctx, q)
	switch {
	case errors.Is(err, clicklog.ErrBadCursor):
		return apiBadRequest(errors.New("cursor is not one this search returned"))
	case err != nil:
		return apiUnavailable("click log unavailable", err)
	}
	if p.Events == nil {
		p.Events = []api.ClickEvent{}
	}
	writeJSON(ctx, api.ClickList{Clicks: p.Events, Next: p.Next})
	return nil
}

// exportClicks is GET /api/v1/clicks/export?ClickQuery&format=jsonl|csv:
// every matching event, oldest first, streamed a page at a time. The
// query is checked before the answer starts; an error after it has
// started (Redis went away) ends the stream with a last line that says so
// (JSON Lines: {"error":...}; CSV: a row starting "#error"), so a
// truncated export is never mistaken for a whole one.
func (s *Server) exportClicks(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := clickQuery(ctx)
	if err != nil {
		return err
	}
	if q.Cursor != "" || q.Limit != 0 {
		return apiBadRequest(errors.New("the export takes no cursor or limit"))
	}
	format := string(ctx.QueryArgs().Peek("format"))
	switch format {
	case "", api.FormatJSONL:
		format = api.FormatJSONL
		ctx.SetContentType("application/x-ndjson")
	case api.FormatCSV:
		ctx.SetContentType("text/csv; charset=utf-8")
	default:
		return apiBadRequest(errors.New("format must be jsonl or csv"))
	}
	if q.To.IsZero() {
		q.To = s.cfg.Now() // a fixed end: the export does not chase new clicks
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	ok, err := s.resolveMessage(rctx, &q)
	cancel()
	if err != nil {
		return apiUnavailable("message records unavailable", err)
	}
	name := "kensa-clicks-" + q.To.UTC().Format("20060102T150405Z") + "." + format
	ctx.Response.Header.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	events, log, m := s.cfg.Events, s.log, s.m
	// The writer runs after the handler returns: it holds only copies.
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		var cw *csv.Writer
		if format == api.FormatCSV {
			cw = csv.NewWriter(w)
			cw.Write(api.ExportColumns)
		}
		n := 0
		err := error(nil)
		if ok {
			// No deadline for the whole export (a month may take minutes);
			// each Redis call has go-redis's own timeouts.
			err = events.Each(context.Background(), q, func(e *api.ClickEvent) error {
				n++
				if cw != nil {
					cw.Write(csvRow(e))
					if n%1000 == 0 {
						cw.Flush()
						return cw.Error()
					}
					return nil
				}
				b, err := json.Marshal(e)
				if err != nil {
					return err
				}
				w.Write(b)
				if err := w.WriteByte('\n'); err != nil {
					return err
				}
				if n%1000 == 0 {
					return w.Flush() // an error: the client went away
				}
				return nil
			})
		}
		if err != nil {
			log.Warn("export ended early", zap.Int("events", n), zap.Error(err))
			if cw != nil {
				cw.Write([]string{"#error", "export incomplete: click log unavailable"})
			} else {
				w.WriteString(`{"error":"export incomplete: click log unavailable","code":"unavailable"}` + "\n")
			}
		}
		if cw != nil {
			cw.Flush()
		}
		w.Flush()
		m.exported.Add(float64(n))
	})
	return nil
}

// csvRow is an event in api.ExportColumns order.
func csvRow(e *api.ClickEvent) []string {
	b := func(v bool) string { return strconv.FormatBool(v) }
	sup := ""
	if e.Suppressed != 0 {
		sup = strconv.FormatInt(e.Suppressed, 10)
	}
	schema := ""
	if e.Schema != 0 {
		schema = strconv.Itoa(e.Schema)
	}
	return []string{
		e.Time.UTC().Format(time.RFC3339Nano), e.ClickID, e.Action, e.Outcome, e.Recipient, e.Message,
		e.URL, e.Host, e.Domain, e.URLDigest, e.Verdict, strings.Join(e.Reasons, "|"),
		b(e.Proceeded), e.Source, strconv.FormatFloat(e.LatencyMS, 'f', -1, 64), e.ClientIP, e.UserAgent,
		b(e.Scanner), e.ScannerWhy, e.Error, strings.Join(e.Clipped, "|"), sup,
		e.ECS, schema,
	}
}

// MaxDecodeInput bounds a pasted link.
const maxDecodeInput = 16 << 10

// decodeLink is GET /api/v1/decode?link= and POST {"link":...}: what
// `kensa decode` prints, with the text a mail client ran into the link
// trimmed as the click proxy trims it, and the link's URL page and mail.
func (s *Server) decodeLink(ctx *fasthttp.RequestCtx, _ string) error {
	var link string
	if ctx.IsPost() {
		var req api.DecodeRequest
		if err := json.Unmarshal(ctx.PostBody(), &req); err != nil {
			return apiBadRequest(errors.New("body is not JSON: " + err.Error()))
		}
		link = req.Link
	} else {
		link = string(ctx.QueryArgs().Peek("link"))
	}
	link = strings.TrimSpace(link)
	switch {
	case link == "":
		return apiBadRequest(errors.New("link is empty"))
	case len(link) > maxDecodeInput:
		return apiBadRequest(errors.New("link longer than 16 KiB"))
	}
	// A link pasted from a mail may be wrapped in <...> or quotes.
	link = strings.Trim(link, "<>\"' ")
	d, n, err := s.cfg.Codec.OpenTrimmed(link)
	if err != nil {
		code := linktoken.Code(err)
		return &httpError{status: fasthttp.StatusBadRequest, code: api.CodeBadRequest, msg: "not a valid Kensa link: " + code, err: err}
	}
	out := api.Decoded{
		URL: d.Dest, Base: s.cfg.Codec.Base(), Version: d.Version, KeyID: d.KeyID, Issued: d.Context.Issued.UTC(),
		Flags: []string{}, MessageDigest: hex.EncodeToString(d.Context.MessageDigest[:]), Recipient: d.Context.Recipient,
		ShownDomain: d.Context.ShownDomain, Trimmed: link[n:],
	}
	if f := d.Context.Flags.String(); f != "none" {
		out.Flags = strings.Split(f, "|")
	}
	if u, err := parseDest(d.Dest); err == nil {
		out.URLDigest = urlDigest(canonicalURL(d.Dest, u))
	}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	if mi, err := s.messageInfo(rctx, out.MessageDigest); err == nil {
		out.MessageID = mi.MessageID
	}
	writeJSON(ctx, out)
	return nil
}

// messageInfo reads the rewriter's record of a message (keyMsg).
func (s *Server) messageInfo(ctx context.Context, digest string) (api.MessageInfo, error) {
	b, err := s.cfg.Redis.Get(ctx, keyMsg+strings.ToLower(digest)).Bytes()
	if err != nil {
		return api.MessageInfo{}, err
	}
	var mi api.MessageInfo
	err = json.Unmarshal(b, &mi)
	return mi, err
}

// getMessage is GET /api/v1/messages?id=MESSAGE-ID-or-DIGEST.
func (s *Server) getMessage(ctx *fasthttp.RequestCtx, _ string) error {
	id := strings.TrimSpace(string(ctx.QueryArgs().Peek("id")))
	if id == "" || len(id) > api.MaxQueryField {
		return apiBadRequest(errors.New("id must be a Message-ID or a 16-hex-digit digest"))
	}
	q := api.ClickQuery{Message: id}
	rctx, cancel := context.WithTimeout(requestContext(ctx), redisAPITimeout)
	defer cancel()
	ok, err := s.resolveMessage(rctx, &q)
	if err != nil {
		return apiUnavailable("message records unavailable", err)
	}
	if !ok {
		return errNoSuchMessage
	}
	mi, err := s.messageInfo(rctx, q.Message)
	switch {
	case errors.Is(err, redis.Nil):
		return errNoSuchMessage
	case err != nil:
		return apiUnavailable("message records unavailable", err)
	}
	writeJSON(ctx, mi)
	return nil
}
