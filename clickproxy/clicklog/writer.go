package clicklog

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// run is the writer goroutine: it takes events from the queue in batches of
// up to maxBatch and writes each batch with one pipeline of XADDs. A batch
// that fails is kept, in order, and retried after a backoff; meanwhile new
// events wait in the queue. After Close, it writes what is queued until the
// queue is empty or Close's ctx is done.
func (l *Log) run() {
	defer close(l.done)
	var (
		ctx       = context.Background()
		closing   bool
		batch     = make([]queued, 0, maxBatch)
		backoff   = minBackoff
		downSince time.Time // zero while Redis is fine
		failLog   limiter
	)
	startClosing := func() {
		closing = true
		ctx = l.closeCtx
	}
	for {
		if len(batch) == 0 && !closing {
			select {
			case b := <-l.queue:
				batch = append(batch, b)
			case <-l.closing:
				startClosing()
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case b := <-l.queue:
				batch = append(batch, b)
			default:
				break fill
			}
		}
		if len(batch) == 0 || (closing && ctx.Err() != nil) {
			return // closing: everything written, or out of time
		}

		var err error
		batch, err = l.write(ctx, batch)
		if err == nil {
			if !downSince.IsZero() {
				l.errLog.Info("clicklog: redis writes resumed",
					zap.Duration("down_for", l.now().Sub(downSince)), zap.Int64("buffered", l.buffered.Load()))
				downSince = time.Time{}
			}
			backoff = minBackoff
			continue
		}
		if closing && ctx.Err() != nil {
			return
		}
		if downSince.IsZero() {
			downSince = l.now()
		}
		if failLog.allow(l.now(), logInterval) {
			l.errLog.Warn("clicklog: redis write failed; click events wait in memory",
				zap.Error(err), zap.String("stream", l.stream), zap.Int64("buffered", l.buffered.Load()),
				zap.Int64("buffer", l.buffer), zap.Duration("retry_in", backoff))
		}
		var closingCh <-chan struct{}
		if !closing {
			closingCh = l.closing
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
			backoff = min(2*backoff, maxBackoff)
		case <-closingCh:
			startClosing() // try again at once, within Close's ctx
		case <-ctx.Done(): // only Close's ctx can be done
			t.Stop()
			return
		}
		t.Stop()
	}
}

// write sends batch as one pipeline and returns the events that were not
// written, in order, and the error. Only events whose XADD failed are kept:
// an XADD that succeeded is never sent again by the writer.
func (l *Log) write(ctx context.Context, batch []queued) ([]queued, error) {
	if !l.scriptLoaded {
		if err := addScript.Load(ctx, l.rdb).Err(); err != nil {
			return batch, err
		}
		l.scriptLoaded = true
	}
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	now := l.now()
	for i, q := range batch {
		cmds[i] = addScript.EvalSha(ctx, pipe, q.keys, l.args(q, now)...)
	}
	_, err := pipe.Exec(ctx)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		l.scriptLoaded = false // Redis restarted without it: load it again
	}
	if err == nil {
		n := int64(len(batch))
		l.written.Add(n)
		l.buffered.Add(-n)
		clear(batch) // let the written events' memory go
		return batch[:0], nil
	}
	keep := batch[:0]
	for i, c := range cmds {
		if c.Err() != nil {
			keep = append(keep, batch[i])
		}
	}
	if len(keep) == 0 {
		// An error that no command owns: we cannot tell what was written,
		// so send it all again (at least once) rather than lose any.
		return batch, err
	}
	clear(batch[len(keep):])
	n := int64(len(batch) - len(keep))
	l.written.Add(n)
	l.buffered.Add(-n)
	return keep, err
}
