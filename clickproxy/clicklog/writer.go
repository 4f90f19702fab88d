package clicklog

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// run is the writer goroutine: it takes events from the queue in batches of
// up to maxBatch and writes each batch with one call of addScript. A batch
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
		warnLog   limiter
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

		var warn, err error
		batch, warn, err = l.write(ctx, batch)
		if warn != nil && warnLog.allow(l.now(), logInterval) {
			l.errLog.Warn("clicklog: click events written to the stream, but not all their index entries or counters",
				zap.Error(warn), zap.String("stream", l.stream))
		}
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

// write sends batch as one call of addScript and returns the events that
// were not written, in order, and the error; warn is an error that came
// after the events were in the stream (an index set or counter not
// written), which sending them again would not mend.
func (l *Log) write(ctx context.Context, batch []queued) (keep []queued, warn, err error) {
	l.args.build(l, batch, l.now())
	// Run: EVALSHA, and EVAL when Redis does not have the script (a
	// restart).
	res, err := addScript.Run(ctx, l.rdb, l.args.keys, l.args.argv...).Slice()
	if err != nil {
		// Nothing written, or (a connection lost before the answer) we
		// cannot tell what was: send it all again (at least once) rather
		// than lose any.
		l.args.failed()
		return batch, nil, err
	}
	l.args.done()
	n := int64(len(batch))
	l.written.Add(n)
	l.buffered.Add(-n)
	clear(batch) // let the written events' memory go
	if len(res) == 2 {
		if msg, _ := res[1].(string); msg != "" {
			warn = errors.New(msg)
		}
	}
	return batch[:0], warn, nil
}
